"""xm keys that sized memory xend computed itself: ``shadow_memory`` and
``videoram``.  xend took them as lower bounds or qemu-dm sizes (image.py); xl
takes them as exact sizes for qemu-xen, so a value at xend's default is dropped
(xl's own default does what xend did) and a larger one is kept.
"""

from __future__ import annotations

import contextlib

from xl_py.settings.legacy_base import Bad, Ctx, LegacyValue, as_bool, as_int


def h_shadow_memory(ctx: Ctx, v: LegacyValue) -> None:
    """xend (image.py) gave a PV guest no shadow memory and an HVM guest
    max(4 * (256 * vcpus + 2 * maxmem_MiB) KiB, shadow_memory); xl takes the value as is."""
    mib = as_int(v.value)
    if not ctx.hvm:
        ctx.item(v, "dropped", (), "xend gave PV guests no shadow memory whatever this said; "
                 "xl's default applies")
        return
    with contextlib.suppress(Bad):  # bad vcpus= / maxmem= are reported on their own rows
        vcpus = as_int(ctx.value("vcpus", 1))
        maxmem = as_int(ctx.value("maxmem", ctx.value("memory", 128)))
        floor = -(-4 * (256 * vcpus + 2 * maxmem) // 1024)
        if mib <= floor:
            ctx.item(v, "dropped", (), f"xend gave this guest max({floor}, {mib}) = {floor} "
                     f"MiB, its own default, as xl's default does (less with HAP); "
                     f"shadow_memory={mib} would give exactly {mib} MiB under xl")
            return
    ctx.out["shadow_memory"] = mib
    ctx.item(v, "kept", ("shadow_memory",), "")


def h_videoram(ctx: Ctx, v: LegacyValue) -> None:
    """xend sized qemu-dm's VGA memory with it (image.py; default 4, which xm create and
    config.sxp write out); qemu-xen needs 8 MB for cirrus, 16 for stdvga (libxl)."""
    mib = as_int(v.value)
    if not ctx.hvm:
        ctx.item(v, "dropped", (), "HVM-only option in a PV guest config: xl ignores it")
        return
    std = False
    with contextlib.suppress(Bad):  # a bad stdvga= is reported on its own row
        std = bool(as_bool(ctx.value("stdvga", 0)))
    card, floor = ("STDVGA", 16) if std else ("CIRRUS", 8)
    if mib < floor:
        ctx.item(v, "dropped", (), f"{mib} MB of qemu-dm's VGA memory; libxl refuses it for "
                 f"qemu-xen ('videoram must be at least {floor} MB for {card} on QEMU_XEN'): "
                 f"xl's default, {floor} MB")
        return
    ctx.out["videoram"] = mib
    ctx.item(v, "kept", ("videoram",), "")
