"""xm keys that build the guest kernel's command line: ``root``, ``ip`` /
``gateway`` / ``netmask`` / ``hostname`` / ``interface`` / ``dhcp`` and
``nfs_server`` / ``nfs_root`` (create.py configure_image, XendConfig)."""

from __future__ import annotations

import re

from xl_py.settings.legacy_base import Bad, Ctx, LegacyValue, as_str


def extra_has(ctx: Ctx, word: str) -> bool:
    """Does the source's extra= already carry ``word=``?  xend then left its own
    ``root=`` / ``ip=`` off (XendConfig.update_with_image_sxp); its check also
    matched ``nfsroot=``, which we do not copy: that dropped the root=/dev/nfs
    an NFS-root guest needs."""
    extra = ctx.value("extra", "")
    return isinstance(extra, str) and re.search(rf"(?:^|\s){word}=\S", extra) is not None


def h_root(ctx: Ctx, v: LegacyValue) -> None:
    """``root = "/dev/sda1 ro"``: xl writes ``root=`` + the value, as xend did;
    xend stripped a leading ``root=`` (create.py configure_image)."""
    text = as_str(v.value)
    root = text[len("root="):] if text.startswith("root=") else text
    if extra_has(ctx, "root"):
        ctx.item(v, "dropped", (), "extra= already has root=: xend left this root= off the "
                 "kernel command line, and so does the migration")
        return
    ctx.out["root"] = root
    if root != text:
        ctx.item(v, "changed", ("root",), f"leading 'root=' removed as xend did: "
                 f"root=\"{root}\"")
    else:
        ctx.item(v, "kept", ("root",), "")


def h_ip_part(ctx: Ctx, v: LegacyValue) -> None:
    if extra_has(ctx, "ip"):
        ctx.item(v, "dropped", (), "extra= already has ip=: xend did not add its own")
    elif ctx.value("ip", "") or ctx.value("dhcp", "off") != "off":
        ctx.item(v, "changed", ("extra",), "xend put ip=IP:NFS:GW:MASK:HOST:IF:DHCP on the "
                 "kernel command line; so does the migrated extra=")
    else:
        ctx.item(v, "dropped", (), "only used with ip= or dhcp=, which are not set")


def h_nfs(ctx: Ctx, v: LegacyValue) -> None:
    if not ctx.value("nfs_root"):
        ctx.item(v, "dropped", (), "only used with nfs_root=, which is not set"
                 if v.name == "nfs_server" else "empty")
        return
    if not ctx.value("nfs_server"):
        raise Bad("nfs_root without nfs_server: xend refused to start the guest "
                   "('Must set nfs root and nfs server')")
    hint = "" if ctx.inp.get("root") is not None else (
        "; xend added no root=: set root=\"/dev/nfs\" if the kernel needs it")
    ctx.item(v, "changed", ("extra",), "xend put nfsroot=SERVER:PATH on the kernel command "
             "line; so does the migrated extra=" + hint)


def cmdline(ctx: Ctx) -> None:
    """ip=/nfs_* keys: the kernel command line xend built.  create.py prepends
    ``nfsroot=S:P`` to extra; XendConfig then prepends ``ip=...`` and ``root=R``
    unless extra has them: "root=R ip=... nfsroot=S:P extra".  xl builds
    "root=R extra", so extra= gets "ip=... nfsroot=S:P extra"."""
    extra = ctx.out.get("extra")
    words = [extra] if isinstance(extra, str) and extra else []
    nfs_server, nfs_root = ctx.value("nfs_server"), ctx.value("nfs_root")
    if nfs_root and nfs_server:
        words.insert(0, f"nfsroot={as_str(nfs_server)}:{as_str(nfs_root)}")
    ip, dhcp = ctx.value("ip", ""), ctx.value("dhcp", "off")
    if (ip or dhcp != "off") and not extra_has(ctx, "ip"):
        fields = [ip, nfs_server or "127.0.255.255", ctx.value("gateway", ""),
                  ctx.value("netmask", ""), ctx.value("hostname", ""),
                  ctx.value("interface", "eth0"), dhcp]
        text = ":".join(as_str(f) for f in fields)
        words.insert(0, "ip=" + (text[3:] if text.startswith("ip=") else text))
    if words != ([extra] if isinstance(extra, str) and extra else []):
        ctx.out["extra"] = " ".join(words)
