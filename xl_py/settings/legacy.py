"""Legacy xm keys -> xl.cfg keys, one table row per xm key, with a per-key report.

xend 4.4's ``create.py`` declares the keys an xm config may set; xl reads
some of them under the same name, some renamed, some with another meaning, and
silently ignores the rest.  :data:`RULES` holds one row per xm key; each row
names the handler that writes the xl.cfg entries and a report item whose
status is one of:

``kept``      same key, same meaning
``renamed``   another xl key, same meaning (``cpu_cap`` -> ``cap``)
``changed``   rewritten (device specs, ``vcpu_avail``, ``restart``, ``ip=`` …)
``dropped``   no xl equivalent; the reason says why and what to do instead
``decision``  could map several ways; left out, the admin decides
``added``     not in the source, written by the migration (a persisted uuid)
``ignored``   not an xm option at all (helper variables such as ``arch``)

The input is a :class:`LegacyInput` — xm variables (``from_xm``) or an SXP
config flattened to the same names (``xl_py.settings.legacy_sxp``).
"""

from __future__ import annotations

import contextlib
import math
import os.path
import re
from collections.abc import Callable
from typing import Any

from xl_py.errors import Diagnostic
from xl_py.settings import legacy_devices as dev
from xl_py.settings.legacy_base import (
    Bad,
    Ctx,
    Handler,
    LegacyInput,
    LegacyValue,
    Migration,
    ReportItem,
    Status,
    XlValue,
    as_bool,
    as_int,
    as_list,
    as_str,
    as_str_or_list,
    decide,
    drop,
    from_xm,
    keep,
    pygrub_note,
    rename,
    xl_bootloader,
)
from xl_py.settings.legacy_cmdline import cmdline, h_ip_part, h_nfs, h_root
from xl_py.settings.legacy_sizes import h_shadow_memory, h_videoram

__all__ = ["RULES", "RUNTIME", "LegacyInput", "LegacyValue", "Migration", "ReportItem",
           "Status", "from_xm", "migrate"]


def ignore_pv_part(ctx: Ctx, v: LegacyValue) -> None:
    """vnc/sdl keys: HVM display options; in a PV config they build a vfb (xend 3.0)."""
    if ctx.hvm:
        ctx.out[v.name] = _display_value(v.name, v.value)
        ctx.item(v, "kept", (v.name,), "")
    elif ctx.inp.get("vfb") is None and _pv_display_on(ctx):
        _display_value(v.name, v.value)
        ctx.item(v, "changed", ("vfb",), "PV display option: folded into vfb=[...] as xend did")
    elif ctx.inp.get("vfb") is None:
        _display_value(v.name, v.value)
        ctx.item(v, "dropped", (), "PV display option without vnc=1 or sdl=1: xend made no "
                 "vfb of it, and neither does the migration")
    elif v.name == "keymap":
        as_str(v.value)
        ctx.item(v, "changed", ("vfb",), "added to each vfb spec without keymap=, as xend did")
    else:
        ctx.item(v, "dropped", (), "PV guest with vfb=[...]: the vfb spec carries the display")


def _pv_display_on(ctx: Ctx) -> bool:
    """Does a PV config's top-level vnc= / sdl= ask for a display (see _pv_vfb)?"""
    with contextlib.suppress(Bad):  # a bad vnc=/sdl= is reported on its own row
        return bool(as_bool(ctx.value("vnc", 0)) or as_bool(ctx.value("sdl", 0)))
    return False


_DISPLAY_STR = frozenset({"vnclisten", "vncpasswd", "display", "xauthority", "keymap"})


def _display_value(key: str, value: Any) -> XlValue:
    """vnc/sdl options: strings, the display number, or 0/1 flags."""
    if key in _DISPLAY_STR:
        return as_str(value)
    return as_int(value) if key == "vncdisplay" else as_bool(value)


def h_builder(ctx: Ctx, v: LegacyValue) -> None:
    kind = as_str(v.value)
    if kind not in _BUILDERS:
        raise Bad(f"builder {kind!r} is not 'linux' or 'hvm'")
    ctx.item(v, "renamed", ("type",), f"builder='{kind}' -> type=\"{'hvm' if ctx.hvm else 'pv'}\"")


def h_kernel(ctx: Ctx, v: LegacyValue) -> None:
    path = as_str(v.value)
    if not ctx.hvm:
        ctx.out["kernel"] = path
        ctx.item(v, "kept", ("kernel",), "")
    elif os.path.basename(path) in _HVMLOADERS:
        ctx.item(v, "dropped", (), "HVM firmware: xl always loads its own hvmloader")
    else:
        ctx.item(v, "decision", (), f"HVM firmware {path!r}: xl's kernel= means direct kernel "
                 "boot; use firmware_override= only if this is really firmware")


_HVMLOADERS = ("hvmloader", "vmxloader")  # vmxloader: Xen 3.0's name for it


def h_loader(ctx: Ctx, v: LegacyValue) -> None:
    path = as_str(v.value)
    if not ctx.hvm:
        ctx.item(v, "dropped", (), "HVM firmware in a PV guest config: xend ignored it")
    elif os.path.basename(path) in _HVMLOADERS:
        ctx.item(v, "dropped", (), "HVM firmware: xl always loads its own hvmloader")
    else:
        ctx.item(v, "decision", (), f"firmware loader {path!r}: use firmware_override= if needed")


def h_device_model(ctx: Ctx, v: LegacyValue) -> None:
    path = as_str(v.value)
    if "stubdom-dm" in path:
        ctx.item(v, "decision", (), "stub domain device model: set "
                 "device_model_stubdomain_override=1 if you want one")
        return
    ctx.item(v, "dropped", (), f"xl starts its own device model (qemu-xen); {path!r} "
             "(qemu-dm, i.e. qemu-xen-traditional) is not in Xen 4.17 builds. "
             "Use device_model_override= only if you really need another binary")


def h_bootloader(ctx: Ctx, v: LegacyValue) -> None:
    path = as_str(v.value)
    ctx.out["bootloader"] = xl_bootloader(path)
    if ctx.out["bootloader"] != path:
        ctx.item(v, "changed", ("bootloader",), pygrub_note(path))
    else:
        ctx.item(v, "kept", ("bootloader",), "")


def h_bootargs(ctx: Ctx, v: LegacyValue) -> None:
    args = as_str(v.value).split() if isinstance(v.value, str) else as_list(v.value)
    if not args:
        ctx.item(v, "dropped", (), "empty")
        return
    current = ctx.out.get("bootloader_args")
    ctx.out["bootloader_args"] = args + (current if isinstance(current, list) else [])
    ctx.item(v, "renamed", ("bootloader_args",),
             "xl calls it bootloader_args and takes a list of arguments")


def h_bootentry(ctx: Ctx, v: LegacyValue) -> None:
    current = ctx.out.get("bootloader_args")
    args = current if isinstance(current, list) else []
    ctx.out["bootloader_args"] = [*args, f"--entry={as_str(v.value)}"]
    ctx.item(v, "changed", ("bootloader_args",), "passed to the bootloader as --entry=")


def h_cpu(ctx: Ctx, v: LegacyValue) -> None:
    """xend 3.1+ (XendConfig): ``cpu=N`` is folded into ``cpus`` as "N,<cpus>"."""
    cpu = as_int(v.value)
    cpus = ctx.value("cpus")
    if isinstance(cpus, list | tuple):
        raise Bad(f"cpu={cpu} with a list cpus=: xend refused the pair")
    ctx.out["cpus"] = f"{cpu},{as_str(cpus).strip()}" if cpus is not None else str(cpu)
    ctx.item(v, "changed", ("cpus",), f"xend pinned every vcpu to CPU {cpu} (added to cpus=): "
             f"cpus=\"{ctx.out['cpus']}\"")


def h_cpus(ctx: Ctx, v: LegacyValue) -> None:
    """A string is a set of CPUs for every vcpu in xend and xl ("0-3,^1" included).
    A list of integers is xend 3.1's form of the same set (xend 4 refused it); a
    list of strings is one set per vcpu in xend 4 and in xl."""
    if ctx.inp.get("cpu") is not None:
        ctx.item(v, "changed", ("cpus",), "merged with cpu= (see cpu)")
        return
    value = v.value
    if isinstance(value, list | tuple) and value and all(
            isinstance(c, int) and not isinstance(c, bool) for c in value):
        ctx.out["cpus"] = ",".join(str(c) for c in value)
        ctx.item(v, "changed", ("cpus",), f"xend 3.1 pinned every vcpu to the listed CPUs: "
                 f"cpus=\"{ctx.out['cpus']}\" (xl's list form pins one vcpu per item)")
        return
    ctx.out["cpus"] = as_str_or_list(value)
    ctx.item(v, "kept", ("cpus",), "")


def h_maxmem(ctx: Ctx, v: LegacyValue) -> None:
    """XendConfig's memory sanity check: maxmem below memory (default 128) failed."""
    maxmem = as_int(v.value)
    memory = maxmem
    with contextlib.suppress(Bad):  # a bad memory= is reported on its own row
        memory = as_int(ctx.value("memory", 128))
    if maxmem < memory:
        default = " (xend's default)" if ctx.inp.get("memory") is None else ""
        raise Bad(f"{maxmem} is below memory={memory}{default}: xend refused to start the guest "
                  "('memory_dynamic_max must be less than or equal to memory_static_max')")
    ctx.out["maxmem"] = maxmem
    ctx.item(v, "kept", ("maxmem",), "")


def h_vcpus(ctx: Ctx, v: LegacyValue) -> None:
    """With vcpu_avail= the count is xl's maxvcpus; the vcpu_avail row writes both
    (xend read every option before using any, so the order of the two is free)."""
    count = as_int(v.value)
    if ctx.inp.get("vcpu_avail") is None:
        ctx.out["vcpus"] = count
        ctx.item(v, "kept", ("vcpus",), "")
    else:
        ctx.item(v, "changed", ("maxvcpus",), f"the number of vcpus: maxvcpus={count}; "
                 "vcpu_avail= says how many are online (see vcpu_avail)")


def h_vcpu_avail(ctx: Ctx, v: LegacyValue) -> None:
    mask = as_int(v.value)
    maxv = as_int(ctx.value("vcpus", 1))
    if not 1 <= maxv <= _MAX_COUNT or mask < 0:
        raise Bad(f"bitmask {mask} of {maxv} vcpus: vcpus must be 1..{_MAX_COUNT} and the "
                   "mask not negative")
    online = bin(mask & ((1 << maxv) - 1)).count("1")
    ctx.out["vcpus"] = online
    ctx.out["maxvcpus"] = maxv
    lowest = mask & ((1 << maxv) - 1) == (1 << online) - 1
    ctx.item(v, "changed", ("vcpus", "maxvcpus"),
             f"bitmask {mask:#x} of {maxv} vcpus -> vcpus={online}, maxvcpus={maxv}"
             + ("" if lowest else "; xl onlines the first vcpus, not the ones the mask chose"))


_ACTIONS = frozenset({"destroy", "restart", "preserve", "rename-restart", "coredump-destroy",
                      "coredump-restart", "soft-reset"})


def h_action(ctx: Ctx, v: LegacyValue) -> None:
    action = as_str(v.value)
    if action not in _ACTIONS:
        raise Bad(f"{action!r} is not one of {', '.join(sorted(_ACTIONS))}")
    ctx.out[v.name] = action
    ctx.item(v, "kept", (v.name,), "")


_RESTART = {"onreboot": ("destroy", "restart", "destroy"), "always": ("restart",) * 3,
            "never": ("destroy",) * 3}


def h_restart(ctx: Ctx, v: LegacyValue) -> None:
    policy = as_str(v.value)
    if policy not in _RESTART:
        raise Bad(f"{policy!r} is not onreboot, always or never")
    written = []
    for key, action in zip(("on_poweroff", "on_reboot", "on_crash"), _RESTART[policy],
                           strict=True):
        if ctx.inp.get(key) is None:
            ctx.out[key] = action
            written.append(key)
    ctx.item(v, "changed", tuple(written), f"restart='{policy}' -> "
             + ", ".join(f"{k}=\"{ctx.out[k]}\"" for k in written))


_TSC = {0: "default", 1: "always_emulate", 2: "native", 3: "native_paravirt"}
_TIMER = {0: "delay_for_missed_ticks", 1: "no_delay_for_missed_ticks",
          2: "no_missed_ticks_pending", 3: "one_missed_tick_pending"}


def named(names: dict[int, str], hvm_only: bool = False) -> Handler:
    """Integer modes xl deprecated: written with xl's names (same meaning)."""
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        if hvm_only and not ctx.hvm:
            ctx.item(v, "dropped", (), "HVM-only option in a PV guest config")
            return
        if isinstance(v.value, str) and v.value in names.values():
            ctx.out[v.name] = v.value
        else:
            number = as_int(v.value)
            if number not in names:
                raise Bad(f"{number} is not one of {sorted(names)}")
            ctx.out[v.name] = names[number]
        ctx.item(v, "kept", (v.name,), f"written as {v.name}=\"{ctx.out[v.name]}\"")
    return handle


def h_qemu_dm_switch(off: str, decision: str) -> Handler:
    """A Xen 3.0.2/3.0.3 qemu-dm switch (-nic-ne2000, -enable-audio): ``off`` says
    what 0 means in xl, ``decision`` what to set for 1 on an HVM guest."""
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        if not as_bool(v.value):
            ctx.item(v, "dropped", (), off)
        elif not ctx.hvm:
            ctx.item(v, "dropped", (), "HVM-only option in a PV guest config: xend ignored it")
        else:
            ctx.item(v, "decision", (), decision)
    return handle


def h_stdvga(ctx: Ctx, v: LegacyValue) -> None:
    enabled = as_bool(v.value)
    if not ctx.hvm:
        ctx.item(v, "dropped", (), "HVM-only option in a PV guest config: xl ignores it")
    elif enabled:
        ctx.out["vga"] = "stdvga"
        ctx.item(v, "renamed", ("vga",), "stdvga=1 -> vga=\"stdvga\"")
    else:
        ctx.item(v, "dropped", (), "stdvga=0 is the default (cirrus)")


def h_parallel(ctx: Ctx, v: LegacyValue) -> None:
    if as_str(v.value) == "none":
        ctx.item(v, "dropped", (), "no parallel port, as xl's guests have by default")
    else:
        ctx.item(v, "dropped", (), "xl has no parallel port option; "
                 "device_model_args=['-parallel', ...] passes one to qemu")


_MAX_COUNT = 4096  # vcpus / nics beyond any guest's: refused before lists are built


def _nic_count(value: Any) -> int:
    count = as_int(value)
    if count > _MAX_COUNT:
        raise Bad(f"{count} NICs: more than {_MAX_COUNT}")
    return count


def h_nics(ctx: Ctx, v: LegacyValue) -> None:
    """xend added empty vif entries up to nics= (create.py configure_vifs)."""
    count = _nic_count(v.value)
    have = len(as_list(ctx.value("vif", [])))
    if count <= 0:
        ctx.item(v, "dropped", (), f"deprecated; nics={count} made xend add no vif")
        return
    if count <= have:
        ctx.item(v, "dropped", (), f"deprecated; vif= already lists {have} NIC(s)")
        return
    ctx.item(v, "changed", ("vif",), f"xend added {count - have} vif entry(ies) with "
             f"default settings to reach {count} NICs; so does the migrated vif=")


def h_cdrom(ctx: Ctx, v: LegacyValue) -> None:
    """Xen 3.0.2/3.0.3 ``cdrom=PATH``: qemu-dm's -cdrom, i.e. the hdc CD-ROM drive
    that later xm files spell ``disk=['file:PATH,hdc:cdrom,r']`` (see _cdrom)."""
    path = as_str(v.value)
    if not ctx.hvm:
        ctx.item(v, "dropped", (), "HVM-only option in a PV guest config: xend ignored it")
    elif not path:
        ctx.item(v, "dropped", (), "empty")
    else:
        ctx.item(v, "changed", ("disk",), f"Xen 3.0's CD-ROM: added to disk= as "
                 f"\"{_cdrom_spec(path)}\"")


def _cdrom_spec(path: str) -> str:
    return f"format=raw, vdev=hdc, access=ro, devtype=cdrom, target={path}"


def _cdrom(ctx: Ctx) -> None:
    cdrom = ctx.inp.get("cdrom")
    if cdrom is None or not ctx.hvm or not cdrom.value:
        return
    specs = ctx.out.get("disk", [])
    specs = specs if isinstance(specs, list) else []
    if any(re.search(r"(?:^|,)\s*vdev=hdc\s*(?:,|$)", spec) for spec in specs):
        ctx.error(cdrom, "disk= already has an hdc, where Xen 3.0's qemu-dm put the "
                  "CD-ROM: give one of them another vdev")
        return
    ctx.out["disk"] = [*specs, _cdrom_spec(as_str(cdrom.value))]


def _nics(ctx: Ctx) -> None:
    nics = ctx.value("nics")
    if nics is None:
        return
    specs = ctx.out.get("vif", [])
    specs = specs if isinstance(specs, list) else []
    missing = _nic_count(nics) - len(specs)
    if missing > 0:
        ctx.out["vif"] = specs + [""] * missing


_XEND_LIFE = {
    ("on_xend_start", "start"): "xend started this guest with itself; with xl, link the "
    "config into /etc/xen/auto/ so the xendomains service starts it at boot",
    ("on_xend_stop", "shutdown"): "xend's stop shut this guest down; with xl, the xendomains "
    "service does so for the guests in /etc/xen/auto/ (XENDOMAINS_SAVE= empty)",
    ("on_xend_stop", "suspend"): "xend's stop saved this guest; with xl, the xendomains "
    "service saves the guests in /etc/xen/auto/ (XENDOMAINS_SAVE=)",
}


def h_on_xend(ctx: Ctx, v: LegacyValue) -> None:
    detail = _XEND_LIFE.get((v.name, as_str(v.value)), "xl has no daemon: nothing starts "
                            "or stops the guest on its own, as with xend's default")
    ctx.item(v, "dropped", (), detail)


def h_description(ctx: Ctx, v: LegacyValue) -> None:
    lines = as_str(v.value).splitlines()
    if not any(line.strip() for line in lines):
        ctx.item(v, "dropped", (), "empty")
        return
    ctx.comments.extend(f"description: {line}" for line in lines)
    ctx.item(v, "dropped", (), "xl has no description; kept as a comment in the output")


def h_superpages(ctx: Ctx, v: LegacyValue) -> None:
    """xend passed superpages= to the PV domain builder only (image.py)."""
    if not as_bool(v.value):
        ctx.item(v, "dropped", (), "superpages=0 is xend's default: nothing to carry over")
    elif ctx.hvm:
        ctx.item(v, "dropped", (), "xend used superpages= for PV guests only; Xen backs HVM "
                 "guests with superpages where it can, without an option")
    else:
        ctx.item(v, "dropped", (), "xl has no superpages option for PV guests (Xen no "
                 "longer backs PV guests with superpages)")


def h_irq(ctx: Ctx, v: LegacyValue) -> None:
    values = v.value if isinstance(v.value, list | tuple) else [v.value]
    ctx.out["irqs"] = [str(as_int(i)) for i in values]
    ctx.item(v, "renamed", ("irqs",), "xl calls it irqs (a list)")


def h_uuid(ctx: Ctx, v: LegacyValue) -> None:
    text = as_str(v.value).strip().lower()
    hexdigits = text.replace("-", "")
    if not re.fullmatch(r"[0-9a-f]{32}", hexdigits):
        raise Bad(f"{v.value!r} is not a UUID")
    canon = "-".join((hexdigits[:8], hexdigits[8:12], hexdigits[12:16], hexdigits[16:20],
                      hexdigits[20:]))
    ctx.out["uuid"] = canon
    ctx.item(v, "kept", ("uuid",), "" if canon == text else f"written as {canon}")


def _device_list(name: str, convert: Callable[[str], dev.DeviceSpec]) -> Handler:
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        specs: list[str] = []
        changes: list[str] = []
        for raw in as_list(v.value):
            result = convert(raw)
            for problem in result.problems:
                ctx.error(v, problem)
            specs.append(result.spec)
            changes.extend(result.changes)
        ctx.out[name] = specs
        if changes:
            ctx.item(v, "changed", (name,), "; ".join(dict.fromkeys(changes)))
        else:
            ctx.item(v, "kept", (name,), "")
    return handle


def h_vfb(ctx: Ctx, v: LegacyValue) -> None:
    """xend gave every vfb without keymap= the top-level keymap (configure_vfbs)."""
    _device_list("vfb", dev.convert_vfb)(ctx, v)
    keymap = ctx.value("keymap")
    specs = ctx.out.get("vfb")
    if keymap is None or not isinstance(specs, list):
        return
    ctx.out["vfb"] = [spec if re.search(r"(?:^|,)\s*keymap=", spec)
                      else ",".join(filter(None, (spec, f"keymap={as_str(keymap)}")))
                      for spec in specs]


# runtime state xend recorded in (domain ...) SXP; never configuration
RUNTIME = frozenset({
    "domid", "state", "shutdown_reason", "cpu_time", "online_vcpus", "up_time", "start_time",
    "store_mfn", "console_mfn", "status", "memory_dynamic_min", "memory_dynamic_max",
    "memory_static_min", "memory_static_max", "vcpus_params", "notes", "platform",
    "other_config", "is_control_domain", "image_type",
})


# xl.cfg keys that xend did not know: an xm file setting one meant it for xl
XL_ONLY_KEYS = frozenset({
    "maxvcpus", "type", "cap", "irqs", "bootloader_args", "cmdline", "vga", "firmware",
    "bios", "device_model_override", "device_model_version", "device_model_args",
    "device_model_stubdomain_override", "spice", "usbctrl", "usbdev", "channel", "vtpm",
    "p9", "vnuma", "cpus_soft", "max_grant_frames", "max_event_channels", "seclabel",
    "iomem", "rdm", "dtdev", "e820_host", "vkb", "vdispl", "vsnd", "altp2m", "mmio_hole",
    "max_maptrack_frames", "driver_domain", "on_watchdog", "on_soft_reset", "pvh",
})


def h_helper(ctx: Ctx, v: LegacyValue) -> None:
    if v.name in XL_ONLY_KEYS:
        ctx.item(v, "decision", (), f"an xl.cfg key, but not an xm one: xend ignored it. "
                 f"Add {v.name}= to the xl.cfg if it was meant (value was {v.value!r})")
    elif ctx.inp.kind == "sxp" and v.name in RUNTIME:
        ctx.item(v, "ignored", (), "runtime state xend recorded, not configuration")
    elif ctx.inp.kind == "sxp":
        ctx.item(v, "dropped", (), "not an xm option; xl has no equivalent")
    else:
        ctx.item(v, "ignored", (), "not an xm option (a helper variable); xend ignored it")


def h_bootloader_file(ctx: Ctx, v: LegacyValue) -> None:
    """``bootloader:kernel`` etc.: image files pygrub extracted (legacy_sxp names them so)."""
    ctx.report.append(ReportItem(
        v.name.partition(":")[2], "dropped", (), "extracted by the bootloader for the last "
        "boot; xl runs the bootloader itself at every start", v.start, v.end))


def h_cpu_weight(ctx: Ctx, v: LegacyValue) -> None:
    if isinstance(v.value, float) or (isinstance(v.value, str) and "." in v.value):
        ctx.item(v, "decision", (), f"xend 3.0 float weight {v.value!r}; xl's credit weight "
                 "is an integer 1..65535 (default 256)")
        return
    ctx.out["cpu_weight"] = as_int(v.value)
    ctx.item(v, "kept", ("cpu_weight",), "")


_XM_CREATE_OPTIONS = (
    ("help", ""), ("help_config", ""), ("quiet", ": xl create -q"), ("path", ""),
    ("defconfig", ": xl create -f"), ("config", ""), ("dryrun", ": xl -N create"),
    ("xmldryrun", ""), ("skipdtd", ""), ("paused", ": xl create -p"),
    ("console_autoconnect", ": xl create -c"), ("vncviewer-autopass", ": xl create -A"),
)


def _rules() -> dict[str, Handler]:
    hvm_bool = keep(as_bool, hvm_only=True)
    table: list[tuple[str, Handler]] = [
        ("name", keep(as_str)),
        ("builder", h_builder),
        ("uuid", h_uuid),
        ("memory", keep(as_int)),
        ("maxmem", h_maxmem),
        ("shadow_memory", h_shadow_memory),
        ("memory_sharing", drop("memory sharing (tmem/paging) is not configured through xl")),
        ("vcpus", h_vcpus),
        ("vcpu_avail", h_vcpu_avail),
        ("cpus", h_cpus),
        ("cpu", h_cpu),
        ("cpu_cap", rename("cap", as_int)),
        ("cpu_weight", h_cpu_weight),
        ("pool", keep(as_str)),
        ("bootloader", h_bootloader),
        ("bootargs", h_bootargs),
        ("bootentry", h_bootentry),
        ("kernel", h_kernel),
        ("ramdisk", keep(as_str)),
        ("loader", h_loader),
        ("root", h_root),
        ("extra", keep(as_str)),
        ("features", drop("xl negotiates PV features itself; there is no features= key")),
        ("on_poweroff", h_action),
        ("on_reboot", h_action),
        ("on_crash", h_action),
        ("restart", h_restart),
        ("on_xend_start", h_on_xend),
        ("on_xend_stop", h_on_xend),
        ("disk", _device_list("disk", dev.convert_disk)),
        ("vif", _device_list("vif", dev.convert_vif)),
        ("vfb", h_vfb),
        ("pci", _device_list("pci", dev.convert_pci)),
        ("pci_msitranslate", hvm_bool),
        ("pci_power_mgmt", hvm_bool),
        ("ioports", keep(as_str_or_list)),
        ("irq", h_irq),
        ("vif2", drop("netchannel2 was never supported by xl")),
        ("nics", h_nics),
        ("vscsi", drop("xl has no PV SCSI (pvscsi); pass the disk with disk= or pci=")),
        ("vusb", decide("PV USB: rewrite as usbctrl=[...] and usbdev=[...]")),
        # Xen 3.0.2/3.0.3 keys that later xm versions dropped
        ("cdrom", h_cdrom),
        ("ne2000", h_qemu_dm_switch(
            "ne2000=0: qemu's default NIC, as in xl", "Xen 3.0's qemu-dm NE2000 NIC: add "
            "model=ne2k_pci to the vif specs if the guest needs that card")),
        ("audio", h_qemu_dm_switch(
            "audio=0: no sound card, as in xl by default", "Xen 3.0's qemu-dm audio: set "
            "soundhw= (e.g. \"sb16\") if the guest needs sound")),
        ("usbport", decide("Xen 3.0 PV USB port: rewrite as usbctrl=[...] and usbdev=[...]")),
        ("tpmif", drop("driver domains: the vTPM backend domain needs no flag in xl")),
        ("ssidref", drop("ACM policies were removed from Xen; use seclabel= with XSM")),
        ("blkif", drop("driver domains: the backend domain needs no flag in xl; "
                       "set backend= in the frontend's disk specs")),
        ("netif", drop("driver domains: set backend= in the frontend's vif specs")),
        ("access_control", drop("ACM policies were removed from Xen; use seclabel= with XSM")),
        ("ip", h_ip_part),
        ("gateway", h_ip_part),
        ("netmask", h_ip_part),
        ("hostname", h_ip_part),
        ("interface", h_ip_part),
        ("dhcp", h_ip_part),
        ("nfs_server", h_nfs),
        ("nfs_root", h_nfs),
        ("device_model", h_device_model),
        ("fda", drop("xl's device model has no floppy drives")),
        ("fdb", drop("xl's device model has no floppy drives")),
        ("parallel", h_parallel),
        ("serial", keep(as_str_or_list, hvm_only=True)),
        ("monitor", drop("the qemu monitor is xl's own (device_model_args for extras)")),
        ("monitor_path", drop("the qemu monitor is xl's own (device_model_args for extras)")),
        ("localtime", keep(as_bool)),  # make_config: every guest (wallclock offset)
        ("rtc_timeoffset", keep(as_int)),  # image.py: every guest, as in xl
        ("keymap", ignore_pv_part),
        ("usb", hvm_bool),
        ("usbdevice", keep(as_str_or_list, hvm_only=True)),
        ("description", h_description),
        ("guest_os_type", drop("IA-64 only")),
        ("vhpt", drop("IA-64 only")),
        ("stdvga", h_stdvga),
        ("isa", drop("ISA-only machines are not offered by xl's device model")),
        ("boot", keep(as_str, hvm_only=True)),
        ("nographic", hvm_bool),
        ("soundhw", keep(as_str, hvm_only=True)),
        ("vnc", ignore_pv_part),
        ("vncdisplay", ignore_pv_part),
        ("vnclisten", ignore_pv_part),
        ("vncunused", ignore_pv_part),
        ("vncpasswd", ignore_pv_part),
        ("sdl", ignore_pv_part),
        ("opengl", ignore_pv_part),
        ("display", ignore_pv_part),
        ("xauthority", ignore_pv_part),
        ("vncconsole", drop("xm started a viewer; use 'xl create -V' or 'xl vncviewer'")),
        ("vncviewer", drop("xm started a viewer; use 'xl create -V' or 'xl vncviewer'")),
        ("videoram", h_videoram),
        ("gfx_passthru", hvm_bool),
        ("pae", hvm_bool),
        ("acpi", hvm_bool),
        ("apic", hvm_bool),
        ("hpet", hvm_bool),
        ("viridian", hvm_bool),
        ("hap", hvm_bool),
        ("nestedhvm", hvm_bool),
        ("oos", hvm_bool),
        ("vpt_align", hvm_bool),
        ("timer_mode", named(_TIMER, hvm_only=True)),
        ("tsc_mode", named(_TSC)),
        ("nomigrate", keep(as_bool)),
        ("xen_platform_pci", hvm_bool),
        ("xen_extended_power_mgmt", drop("xl has no extended power management option")),
        ("cpuid", keep(as_str_or_list)),
        ("cpuid_check", drop("xl has no cpuid_check (cpuid= is enforced as given)")),
        ("target", drop("stub domain internals: xl sets up the stub domain itself")),
        ("s3_integrity", drop("tboot S3 integrity is not configured through xl")),
        ("machine_address_size", drop("xl has no machine_address_size")),
        ("suppress_spurious_page_faults", drop("xl has no suppress_spurious_page_faults")),
        ("superpages", h_superpages),
        ("bootloader:kernel", h_bootloader_file),
        ("bootloader:ramdisk", h_bootloader_file),
        ("bootloader:extra", h_bootloader_file),
        # xm create's command-line options (create.py gopts.opt): not config keys
        *((opt, drop(f"an 'xm create' command-line option, not a config key{hint}"))
          for opt, hint in _XM_CREATE_OPTIONS),
        ("vtpm", decide("xm's vtpm (vtpm manager instances) differs from xl's vtpm stub "
                        "domains: set vtpm=['backend=...'] after creating a vtpm domain")),
    ]
    return dict(table)


RULES: dict[str, Handler] = _rules()


# builder -> HVM?  Xen 3.0 called HVM guests 'vmx' (Intel VT) in xmexample.vmx
_BUILDERS = {"linux": False, "hvm": True, "vmx": True}


def _is_hvm(inp: LegacyInput) -> bool:
    builder = inp.get("builder")
    return builder is not None and _BUILDERS.get(str(builder.value), False)


def _pv_vfb(ctx: Ctx) -> None:
    """xend 3.0 PV configs set vnc=/sdl= at top level: one vfb with those keys."""
    if ctx.hvm or ctx.inp.get("vfb") is not None:
        return
    parts = []
    for key in ("vnc", "sdl", "vncunused", "vncdisplay", "vnclisten", "vncpasswd", "display",
                "xauthority", "opengl", "keymap"):
        value = ctx.value(key)
        if value is None:
            continue
        parts.append(f"{key}={_display_value(key, value)}")
    if as_bool(ctx.value("vnc", 0)) or as_bool(ctx.value("sdl", 0)):
        ctx.out["vfb"] = [",".join(parts)]


# xend's defaults where xl's differ (create.py gopts, XendConfig._defaults,
# image.py): written when the source leaves the key out.  key, HVM only, value, why
_XEND_DEFAULTS: tuple[tuple[str, bool, XlValue, str], ...] = (
    ("memory", False, 128, "xend's default was 128 MB (xl's is 32 MB)"),
    ("on_crash", False, "restart", "xend restarted a crashed guest by default "
     "(xl destroys it)"),
    ("boot", True, "c", "xend booted HVM guests from the hard disk only by default "
     "(xl's default is \"cd\")"),
    ("vnc", True, 0, "xend started qemu with -nographic unless vnc= was set "
     "(xl's default is a VNC display)"),
)
# xend defaults that changed between xend versions: which one applied is not in
# the file, so the admin decides.  key, HVM only, why
_XEND_VERSION_DEFAULTS: tuple[tuple[str, bool, str], ...] = (
    ("hpet", True, "not in the source: xend 4.0-4.4 gave HVM guests no HPET unless hpet=1; "
     "xend 3.x had no hpet option and gave one, as xl does (hpet=1). Add hpet=0 if this "
     "guest ran on xend 4.x"),
)


def _xend_defaults(ctx: Ctx) -> None:
    for key, hvm_only, value, why in _XEND_DEFAULTS:
        if key in ctx.out or ctx.inp.get(key) is not None or (hvm_only and not ctx.hvm):
            continue
        if key == "vnc" and (ctx.inp.get("vfb") is not None or ctx.inp.get("nographic")):
            continue
        ctx.out[key] = value
        ctx.report.append(ReportItem(key, "added", (key,), f"not in the source: {why}"))
    for key, hvm_only, why in _XEND_VERSION_DEFAULTS:
        if ctx.inp.get(key) is None and (ctx.hvm or not hvm_only):
            ctx.report.append(ReportItem(key, "decision", (), why))


# xl.cfg keys written first, in this order; the rest follow the source order
_LEADING = ("type", "name", "uuid")


def migrate(inp: LegacyInput, new_uuid: Callable[[], str] | None = None) -> Migration:
    """Map every legacy key; collect all problems (never stop at the first)."""
    hvm = _is_hvm(inp)
    ctx = Ctx(inp, hvm)
    ctx.out["type"] = "hvm" if hvm else "pv"
    for v in inp.values:
        handler = RULES.get(v.name, h_helper)
        try:
            handler(ctx, v)
        except Bad as exc:
            ctx.error(v, str(exc))
    for finish in (_pv_vfb, cmdline, _nics, _cdrom):
        with contextlib.suppress(Bad):  # the key's own handler reported the value
            finish(ctx)
    _xend_defaults(ctx)
    if "uuid" not in ctx.out and new_uuid is not None:
        ctx.out["uuid"] = new_uuid()
        ctx.report.append(ReportItem("uuid", "added", ("uuid",),
                                     "no uuid in the source: generated one so the guest keeps "
                                     "one identity across restarts (xend stored it at install)"))
    if "name" not in ctx.out:
        ctx.diags.append(Diagnostic("error", "no name: xl needs name=", inp.source, 0, 0,
                                    code="legacy-value"))
    leading = [(k, ctx.out[k]) for k in _LEADING if k in ctx.out]
    rest = [(k, v) for k, v in ctx.out.items() if k not in _LEADING]
    return Migration(inp.source, inp.kind, tuple(leading + rest), tuple(ctx.comments),
                     _in_source_order(ctx.report, inp.items),
                     inp.diagnostics + tuple(ctx.diags))


def _in_source_order(rows: list[ReportItem], reader: tuple[ReportItem, ...]
                     ) -> tuple[ReportItem, ...]:
    """The rows and the reader's items by position in the source (an SXP's
    values are read out of order: XenAPI twins, the image, devices); items that
    are not in the source (added keys) stay last, in their order."""
    def where(item: ReportItem) -> float:
        return item.start if item.end > item.start else math.inf
    return tuple(sorted([*rows, *reader], key=where))
