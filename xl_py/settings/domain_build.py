"""The last steps of the domain keys table: display keys, xl.conf defaults,
the device keys (settings/devices.py) and building the frozen model.

See :mod:`xl_py.settings.domain_rules` for the per-key rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xl_py._record import replace
from xl_py.model import enums
from xl_py.model._base import Defbool
from xl_py.model.domain import (
    MAX_GRANT_DEFAULT,
    MAX_GRANT_VERSION_DEFAULT,
    ArchArm,
    ArchX86,
    DomainBuildInfo,
    DomainConfig,
    DomainCreateInfo,
    DomainSchedParams,
    HvmInfo,
    RdmReserve,
    SdlInfo,
    SpiceInfo,
    VgaInterfaceInfo,
    VncInfo,
    info_for_type,
)
from xl_py.model.enums import ActionOnShutdown, DomainType
from xl_py.settings.domain_rules import DEFBOOL, c_int, optional_function
from xl_py.settings.domain_values import Cursor

if TYPE_CHECKING:
    from xl_py.settings.domain import Key

HVM, PV, PVH = DomainType.HVM, DomainType.PV, DomainType.PVH


# --------------------------------------------------------------------------
# display


def _display(cur: Cursor, key: Key, read: Callable[[str], Any]) -> None:
    """HVM: straight into b_info.u.hvm; PV: read by stage_pv_display."""
    if cur.dtype is not HVM:
        return
    value = read(key.name)
    if value is not None:
        cur.set(key.target, value)


def DISPLAY_STRING(cur: Cursor, key: Key) -> None:
    _display(cur, key, cur.string)


def DISPLAY_LONG(cur: Cursor, key: Key) -> None:
    """vncdisplay & co: a C int in xl (see domain_rules.INT)."""
    _display(cur, key, lambda name: c_int(cur, name))


def DISPLAY_DEFBOOL(cur: Cursor, key: Key) -> None:
    _display(cur, key, lambda name: _opt_defbool(cur, name))


def _opt_defbool(cur: Cursor, name: str) -> Defbool | None:
    flag = cur.defbool(name)
    return None if flag is None else Defbool.of(flag)


def rule_msr_relaxed(cur: Cursor, key: Key) -> None:
    DEFBOOL(cur, key)
    cur.warn(key.name, "msr_relaxed: will be removed in future versions of Xen",
             code="deprecated", at_key=True,
             hint="if it fixes a problem for you, report it to xen-devel@lists.xenproject.org")


# --------------------------------------------------------------------------
# start, devices, finish, build


def _devices_of(cur: Cursor, name: str) -> tuple[Any, ...]:
    found: tuple[Any, ...] = tuple(getattr(cur.devices, name, None) or ())
    return found


def start(cur: Cursor) -> None:
    """What xl sets before reading the file: xl.conf settings, action defaults."""
    conf = cur.xlconf
    cur.set("c.run_hotplug_scripts", Defbool.of(conf.run_hotplug_scripts))
    cur.set("b.claim_mode", Defbool.of(conf.claim_mode if conf.claim_mode is not None
                                       else True))
    if conf.blkdev_start is not None:
        cur.set("b.blkdev_start", conf.blkdev_start)
    for name, value in (("max_grant_frames", conf.max_grant_frames),
                        ("max_maptrack_frames", conf.max_maptrack_frames)):
        cur.set(f"b.{name}", MAX_GRANT_DEFAULT if value is None else value % 2**32)
    cur.set("b.max_grant_version", MAX_GRANT_VERSION_DEFAULT
            if conf.max_grant_version is None else conf.max_grant_version)
    cur.set("top.on_reboot", ActionOnShutdown.RESTART)
    cur.set("top.on_soft_reset", ActionOnShutdown.SOFT_RESET)


def stage_devices(cur: Cursor, key: Key) -> None:
    """Device keys (settings/devices.py), then xl's device-related rules."""
    parse = optional_function("xl_py.settings.devices", "parse_devices")
    context = optional_function("xl_py.settings.devices", "DeviceContext")
    if parse is None or context is None:
        return
    from xl_py.errors import ConfigError

    try:
        cur.devices = parse(cur.raw, context(domain_type=cur.dtype, xlconf=cur.xlconf,
                                             host=cur.host))
    except ConfigError as exc:
        cur.errors.extend(exc.diagnostics())
        return
    cur.warnings.extend(getattr(cur.devices, "warnings", ()))
    rdm = getattr(cur.devices, "rdm", None)
    if rdm is not None and cur.dtype is HVM:
        cur.set("rdm.strategy", enums.RdmReserveStrategy(rdm.strategy.value))
        cur.set("rdm.policy", enums.RdmReservePolicy(rdm.policy.value))
    if cur.dtype is PV and _devices_of(cur, "pcidevs"):
        cur.set("u.e820_host", Defbool.TRUE)


def stage_pv_display(cur: Cursor, key: Key) -> None:
    """PV with vnc=1 and no vfb=: xl adds a vfb + vkb pair from the
    top-level vnc*/sdl*/keymap keys."""
    if cur.dtype is not PV or _devices_of(cur, "vfbs"):
        return
    enabled = cur.long("vnc") if cur.has("vnc") else None
    if not enabled:
        return
    from xl_py.model import devices as dev

    vnc = dev.VncInfo(**_vnc_fields(cur))
    sdl = dev.SdlInfo(**_sdl_fields(cur))
    keymap = cur.string("keymap") if cur.has("keymap") else None
    vfb = dev.DeviceVfb(devid=0, vnc=vnc, sdl=sdl, keymap=keymap)
    existing = _devices_of(cur, "vkbs")
    vkbs = (dev.DeviceVkb(devid=0),
            *(replace(v, devid=v.devid + 1) for v in existing))
    cur.pv_display = (vfb, vkbs)


def _vnc_fields(cur: Cursor) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, name, read in (("vnc", "enable", _opt_defbool), ("vnclisten", "listen", None),
                            ("vncpasswd", "passwd", None), ("vncdisplay", "display", "long"),
                            ("vncunused", "findunused", _opt_defbool)):
        if not cur.has(key):
            continue
        if read is None:
            fields[name] = cur.string(key)
        elif read == "long":
            fields[name] = cur.long(key)
        else:
            fields[name] = _opt_defbool(cur, key)
    return fields


def _sdl_fields(cur: Cursor) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, name in (("sdl", "enable"), ("opengl", "opengl")):
        if cur.has(key):
            fields[name] = _opt_defbool(cur, key)
    for key, name in (("display", "display"), ("xauthority", "xauthority")):
        if cur.has(key):
            fields[name] = cur.string(key)
    return fields


def finish(cur: Cursor) -> None:
    if cur.get("c.name") is None:
        cur.error_global("domain name must be specified", hint='add name = "myguest"')


def build(cur: Cursor) -> DomainConfig:
    """The scratch values -> frozen model (libxl's init values elsewhere)."""
    c_info = DomainCreateInfo(**cur.part("c"))
    union = info_for_type(cur.dtype)
    u = dict(cur.part("u"))
    if isinstance(union, HvmInfo):
        u.update(vga=VgaInterfaceInfo(**cur.part("vga")), vnc=VncInfo(**cur.part("vnc")),
                 sdl=SdlInfo(**cur.part("sdl")), spice=SpiceInfo(**cur.part("spice")),
                 rdm=RdmReserve(**cur.part("rdm")))
    if union is not None and u:
        union = replace(union, **u)
    b_info = DomainBuildInfo(
        **cur.part("b"),
        sched_params=DomainSchedParams(**cur.part("sched")),
        u=union,
        arch_arm=ArchArm(**cur.part("arch_arm")),
        arch_x86=ArchX86(**cur.part("arch_x86")),
    )
    devices: dict[str, Any] = {}
    if cur.devices is not None:
        for name in ("disks", "nics", "pcidevs", "rdms", "dtdevs", "vfbs", "vkbs", "vtpms",
                     "p9s", "pvcallsifs", "vdispls", "vsnds", "channels", "usbctrls",
                     "usbdevs"):
            devices[name] = tuple(getattr(cur.devices, name, ()))
    pv_display = getattr(cur, "pv_display", None)
    if pv_display is not None:
        vfb, vkbs = pv_display
        devices["vfbs"] = (vfb,)
        devices["vkbs"] = vkbs
    return DomainConfig(c_info=c_info, b_info=b_info, **devices, **cur.part("top"))
