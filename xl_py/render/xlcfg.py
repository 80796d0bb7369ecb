"""xl.cfg text from key/value entries, in libvirt's canonical writing style.

``key = value`` one per line; strings in double quotes with the escapes xl's
parser (libxlutil ``xlu__cfgl_dequote``) understands; lists as
``[ "a", "b" ]``.  Control characters that xl cannot read back (its ``\\x``
and octal escapes are broken in 4.17) are refused, never written mangled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from xl_py.errors import ConfigValueError

XlValue = int | str | Sequence[Any]  # lists of strings, or of lists (vnuma)

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_NEEDS = re.compile(r'[\\"\n\t\r\a\b\f\v]')
_UNWRITABLE = re.compile(r"[\x00-\x06\x0e-\x1f\x7f]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def quote(text: str, key: str = "") -> str:
    """A double-quoted xl.cfg string that xl reads back as ``text``."""
    bad = _UNWRITABLE.search(text)
    if bad:
        raise ConfigValueError.at(
            f"{key or 'value'}: control character {bad.group()!r} cannot be written to xl.cfg")
    return '"' + _NEEDS.sub(lambda m: _ESCAPES[m.group()], text) + '"'


def value_text(value: XlValue, key: str = "") -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value, key)
    items = ", ".join(quote(item, key) if isinstance(item, str) else value_text(item, key)
                      for item in value)
    return f"[ {items} ]" if items else "[ ]"


def render_keys(entries: Iterable[tuple[str, XlValue]], comments: Iterable[str] = ()) -> str:
    """The xl.cfg text of ``entries`` (in order), after ``# comment`` lines."""
    lines = [f"# {c}".rstrip() for c in comments]
    for key, value in entries:
        if not _KEY.match(key):
            raise ConfigValueError.at(f"{key!r} is not an xl.cfg key")
        lines.append(f"{key} = {value_text(value, key)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- model -> keys
#
# DomainConfig -> xl.cfg keys, for configs that only exist as a model (built
# from libvirt XML, edited in memory, ...).  One function per part; each key is
# written only when it differs from what xl would do without it, so the text
# reads like a hand-written config.  tests/test_migrate_model.py checks that the
# reference xl reads the text back into the same libxl_domain_config.

_ACTION_NAMES = {"destroy": "destroy", "restart": "restart", "restart_rename": "rename-restart",
                 "preserve": "preserve", "coredump_destroy": "coredump-destroy",
                 "coredump_restart": "coredump-restart", "soft_reset": "soft-reset"}
_VGA_NAMES = {"std": "stdvga", "cirrus": "cirrus", "none": "none", "qxl": "qxl"}
_DM_VERSIONS = {"qemu_xen": "qemu-xen", "qemu_xen_traditional": "qemu-xen-traditional"}
_MEMKB_DEFAULT = 2**64 - 1


def _defbool(value: Any) -> int | None:
    name = getattr(value, "value", None)
    return None if name not in ("True", "False") else int(name == "True")


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value))


class _Keys:
    """An ordered key -> value collector that skips unset values."""

    def __init__(self) -> None:
        self.items: dict[str, XlValue] = {}

    def put(self, key: str, value: XlValue | None) -> None:
        if value is not None and value != "" and value != []:
            self.items[key] = value

    def flag(self, key: str, value: Any) -> None:
        self.put(key, _defbool(value))


def _general(keys: _Keys, c: Any, b: Any) -> None:
    keys.put("type", _enum(c.type))
    keys.put("name", c.name)
    keys.put("uuid", c.uuid)
    keys.put("pool", c.pool_name)
    if b.target_memkb != _MEMKB_DEFAULT:
        keys.put("memory", b.target_memkb // 1024)
    if b.max_memkb not in (_MEMKB_DEFAULT, b.target_memkb):
        keys.put("maxmem", b.max_memkb // 1024)
    if b.shadow_memkb != _MEMKB_DEFAULT:
        keys.put("shadow_memory", b.shadow_memkb // 1024)
    online = len(b.avail_vcpus.bits) if b.avail_vcpus else b.max_vcpus
    if b.max_vcpus:
        keys.put("vcpus", online)
        if online != b.max_vcpus:
            keys.put("maxvcpus", b.max_vcpus)
    _affinity(keys, "cpus", b.vcpu_hard_affinity)
    _affinity(keys, "cpus_soft", b.vcpu_soft_affinity)
    keys.flag("hap", c.hap)
    keys.flag("oos", c.oos)


def _affinity(keys: _Keys, key: str, maps: Any) -> None:
    """xl turns cpus="0-1" into one map per vcpu; equal maps fold back."""
    if not maps:
        return
    texts = [m.ranges() for m in maps]
    keys.put(key, texts[0] if len(set(texts)) == 1 else texts)


def _cpuid(keys: _Keys, policy: Any) -> None:
    """libxl's cpuid entries in xl's xend-style list form ("leaf[,subleaf]:reg=bits")."""
    specs = []
    for leaf, subleaf, regs in policy.entries:
        head = f"{leaf:#x}" + (f",{subleaf:#x}" if subleaf is not None else "")
        specs.append(head + ":" + ",".join(f"{reg}={bits}" for reg, bits in regs))
    keys.put("cpuid", specs)


def _scheduling(keys: _Keys, b: Any) -> None:
    default = -1
    sched = b.sched_params
    if sched.weight != default:
        keys.put("cpu_weight", sched.weight)
    if sched.cap != default:
        keys.put("cap", sched.cap)
    if _enum(b.tsc_mode) != "default":
        keys.put("tsc_mode", _enum(b.tsc_mode))
    if b.rtc_timeoffset:
        keys.put("rtc_timeoffset", b.rtc_timeoffset)
    keys.flag("localtime", b.localtime)
    keys.flag("nomigrate", b.disable_migrate)
    if b.irqs:
        keys.put("irqs", [str(i) for i in b.irqs])
    if b.ioports:
        keys.put("ioports", [f"{r.first:x}-{r.first + r.number - 1:x}" for r in b.ioports])
    if b.event_channels:
        keys.put("max_event_channels", b.event_channels)


def _boot(keys: _Keys, b: Any) -> None:
    keys.put("kernel", b.kernel)
    keys.put("ramdisk", b.ramdisk)
    keys.put("cmdline", b.cmdline)
    keys.put("bootloader", b.bootloader)
    if b.bootloader_args:
        keys.put("bootloader_args", list(b.bootloader_args))
    keys.flag("acpi", b.acpi)
    keys.flag("apic", b.apic)
    keys.flag("nestedhvm", b.nested_hvm)
    if _enum(b.timer_mode) != "unknown":
        keys.put("timer_mode", _enum(b.timer_mode))
    if _enum(b.device_model_version) in _DM_VERSIONS:
        keys.put("device_model_version", _DM_VERSIONS[_enum(b.device_model_version)])
    keys.put("device_model_override", b.device_model)
    if b.cpuid:
        _cpuid(keys, b.cpuid)
    if b.video_memkb != _MEMKB_DEFAULT:
        keys.put("videoram", b.video_memkb // 1024)


def _hvm(keys: _Keys, h: Any) -> None:
    for key, field in (("pae", "pae"), ("viridian", "viridian"), ("hpet", "hpet"),
                       ("vpt_align", "vpt_align"), ("nographic", "nographic"),
                       ("gfx_passthru", "gfx_passthru"), ("xen_platform_pci",
                                                          "xen_platform_pci"),
                       ("usb", "usb")):
        keys.flag(key, getattr(h, field))
    keys.put("firmware_override", h.firmware)
    if _enum(h.bios) != "unknown":
        keys.put("bios", _enum(h.bios))
    if _enum(h.vga.kind) in _VGA_NAMES:
        keys.put("vga", _VGA_NAMES[_enum(h.vga.kind)])
    _display(keys, h.vnc, h.sdl)
    keys.put("keymap", h.keymap)
    keys.put("serial", list(h.serial_list) if h.serial_list else h.serial)
    keys.put("boot", h.boot)
    keys.put("usbdevice", list(h.usbdevice_list) if h.usbdevice_list else h.usbdevice)
    keys.put("soundhw", h.soundhw)
    _spice(keys, h.spice)


def _spice(keys: _Keys, sp: Any) -> None:
    keys.flag("spice", sp.enable)
    keys.put("spicehost", sp.host)
    if sp.port:
        keys.put("spiceport", sp.port)
    if sp.tls_port:
        keys.put("spicetls_port", sp.tls_port)
    keys.flag("spicedisable_ticketing", sp.disable_ticketing)
    keys.put("spicepasswd", sp.passwd)
    keys.flag("spiceagent_mouse", sp.agent_mouse)
    keys.flag("spicevdagent", sp.vdagent)
    keys.flag("spice_clipboard_sharing", sp.clipboard_sharing)
    if sp.usbredirection:
        keys.put("spiceusbredirection", sp.usbredirection)
    keys.put("spice_image_compression", sp.image_compression)
    keys.put("spice_streaming_video", sp.streaming_video)


def _display(keys: _Keys, vnc: Any, sdl: Any) -> None:
    keys.flag("vnc", vnc.enable)
    keys.put("vnclisten", vnc.listen)
    keys.put("vncpasswd", vnc.passwd)
    if vnc.display:
        keys.put("vncdisplay", vnc.display)
    keys.flag("vncunused", vnc.findunused)
    keys.flag("sdl", sdl.enable)
    keys.flag("opengl", sdl.opengl)
    keys.put("display", sdl.display)
    keys.put("xauthority", sdl.xauthority)


def disk_spec(d: Any) -> str:
    """A libxl_device_disk as an xl disk spec (target last: it eats the rest)."""
    parts = []
    fmt = _enum(d.format)
    if fmt != "unknown":
        parts.append(f"format={fmt}")
    parts.append(f"vdev={d.vdev}")
    parts.append(f"access={'rw' if d.readwrite else 'ro'}")
    if _enum(d.backend) != "unknown":
        parts.append(f"backendtype={_enum(d.backend)}")
    if d.is_cdrom:
        parts.append("devtype=cdrom")
    if d.backend_domname:
        parts.append(f"backend={d.backend_domname}")
    if d.script:
        parts.append(f"script={d.script}")
    if d.direct_io_safe:
        parts.append("direct-io-safe")
    discard = _defbool(d.discard_enable)
    if discard is not None:
        parts.append("discard" if discard else "no-discard")
    parts.append(f"target={d.pdev_path or ''}")
    return ", ".join(parts)


_NIC_FIELDS = (("mac", "mac"), ("bridge", "bridge"), ("ip", "ip"), ("script", "script"),
               ("model", "model"), ("vifname", "ifname"), ("backend", "backend_domname"),
               ("gatewaydev", "gatewaydev"))


def nic_spec(n: Any) -> str:
    parts = [f"{key}={getattr(n, field)}" for key, field in _NIC_FIELDS if getattr(n, field)]
    nictype = _enum(n.nictype)
    if nictype == "vif":
        parts.append("type=vif")
    elif nictype == "vif_ioemu":
        parts.append("type=ioemu")
    if n.mtu:
        parts.append(f"mtu={n.mtu}")
    if n.rate_bytes_per_interval and n.rate_interval_usecs:
        per_second = n.rate_bytes_per_interval * 1_000_000 // n.rate_interval_usecs
        parts.append(f"rate={per_second}B/s@{n.rate_interval_usecs}us")
    return ",".join(parts)


def pci_spec(p: Any) -> str:
    spec = f"{p.domain:04x}:{p.bus:02x}:{p.dev:02x}.{p.func:x}"
    if p.vdevfn:
        spec += f"@{p.vdevfn >> 3:x}"
    opts = [f"{k}=1" for k in ("msitranslate", "power_mgmt", "permissive", "seize")
            if getattr(p, k)]
    return ",".join([spec, *opts])


def vfb_spec(v: Any) -> str:
    parts = []
    for key, value in (("vnc", _defbool(v.vnc.enable)), ("vnclisten", v.vnc.listen),
                       ("vncdisplay", v.vnc.display or None),
                       ("vncunused", _defbool(v.vnc.findunused)),
                       ("vncpasswd", v.vnc.passwd), ("keymap", v.keymap),
                       ("sdl", _defbool(v.sdl.enable)), ("opengl", _defbool(v.sdl.opengl)),
                       ("display", v.sdl.display), ("xauthority", v.sdl.xauthority)):
        if value is not None:
            parts.append(f"{key}={value}")
    return ",".join(parts)


def vtpm_spec(v: Any) -> str:
    return ",".join(f"{k}={x}" for k, x in (("backend", v.backend_domname), ("uuid", v.uuid))
                    if x)


def p9_spec(p: Any) -> str:
    return ",".join(f"{k}={x}" for k, x in (("tag", p.tag), ("security_model", p.security_model),
                                            ("backend", p.backend_domname), ("path", p.path))
                    if x)


def channel_spec(ch: Any) -> str:
    parts = [f"name={ch.name}"] if ch.name else []
    tag = getattr(ch.u, "UNION_TAG", "unknown")
    if tag in ("pty", "socket"):
        parts.append(f"connection={tag}")
    if tag == "socket" and ch.u.path:
        parts.append(f"path={ch.u.path}")
    if ch.backend_domname:
        parts.append(f"backend={ch.backend_domname}")
    return ",".join(parts)


def usbctrl_spec(u: Any) -> str:
    parts = [] if _enum(u.type) == "auto" else [f"type={_enum(u.type)}"]
    if u.version:
        parts.append(f"version={u.version}")
    if u.ports:
        parts.append(f"ports={u.ports}")
    return ",".join(parts)


def usbdev_spec(u: Any) -> str:
    host = u.u
    return f"hostbus={host.hostbus},hostaddr={host.hostaddr}" if host is not None else ""


_DEVICE_LISTS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("disk", "disks", disk_spec), ("vif", "nics", nic_spec), ("pci", "pcidevs", pci_spec),
    ("vfb", "vfbs", vfb_spec), ("vtpm", "vtpms", vtpm_spec), ("p9", "p9s", p9_spec),
    ("channel", "channels", channel_spec), ("usbctrl", "usbctrls", usbctrl_spec),
    ("usbdev", "usbdevs", usbdev_spec),
)


def model_entries(config: Any) -> list[tuple[str, XlValue]]:
    """The xl.cfg keys of a DomainConfig (the common subset; see module notes)."""
    keys = _Keys()
    c, b = config.c_info, config.b_info
    _general(keys, c, b)
    _scheduling(keys, b)
    _boot(keys, b)
    if _enum(c.type) == "hvm" and b.u is not None:
        _hvm(keys, b.u)
    for key in ("on_poweroff", "on_reboot", "on_watchdog", "on_crash", "on_soft_reset"):
        keys.put(key, _ACTION_NAMES.get(_enum(getattr(config, key))))
    for key, field, spec in _DEVICE_LISTS:
        keys.put(key, [spec(dev) for dev in getattr(config, field, ())])
    return list(keys.items.items())


def render_model(config: Any, comments: Iterable[str] = ()) -> str:
    """xl.cfg text for a DomainConfig."""
    return render_keys(model_entries(config), comments)
