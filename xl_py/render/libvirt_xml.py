"""xl.cfg keys -> libvirt domain XML (``<domain type='xen'>``), with ElementTree.

Follows libvirt's xen-xl reader (``src/libxl/xen_xl.c`` xenParseXL and
``xen_common.c`` xenParseConfigCommon, libvirt 9.0) and the defaults libvirt's
post-parse adds (xenbus controller, implicit inputs, console, video,
memballoon), so that the XML matches what ``virsh domxml-from-native xen-xl``
prints.  The input is the flat key -> value mapping of an xl.cfg (values:
int, str, list of str, list of lists for vnuma) — what migrate-config
produces, or what the xl.cfg reader yields; this module does not parse files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from xl_py.errors import ConfigValueError

Cfg = Mapping[str, Any]

# every xl.cfg key this renderer reads; the others have no libvirt element
XML_KEYS = frozenset({
    "name", "uuid", "memory", "maxmem", "vcpus", "maxvcpus", "cpus", "bootloader",
    "bootloader_args", "bootargs", "type", "builder", "bios", "kernel", "ramdisk", "cmdline",
    "root", "extra", "boot", "acpi", "apic", "pae", "hap", "viridian", "e820_host",
    "nestedhvm", "cpuid", "vnuma", "localtime", "rtc_timeoffset", "tsc_mode", "hpet",
    "on_poweroff", "on_reboot", "on_crash", "device_model_override", "device_model", "disk",
    "max_event_channels", "max_grant_frames", "usbctrl", "vif", "serial", "parallel",
    "channel", "usb", "usbdevice", "spice", "spicehost", "spiceport", "spicetls_port",
    "spicedisable_ticketing", "spicepasswd", "spiceagent_mouse", "spicevdagent",
    "spice_clipboard_sharing", "vnc", "sdl", "vncunused", "vncdisplay", "vnclisten",
    "vncpasswd", "keymap", "display", "xauthority", "vfb", "soundhw", "pci", "usbdev",
})
FIRMWARE_DIR = "/usr/lib/xen/boot"
HVMLOADER = "/usr/lib/xen/boot/hvmloader"
MIN_XEN_GUEST_SIZE_MB = 64


def _get(cfg: Cfg, key: str, default: Any = None) -> Any:
    value = cfg.get(key, default)
    return default if value is None else value


def _int(cfg: Cfg, key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None:
        return default
    number = value if isinstance(value, int) else _strtol(str(value))
    if number is None:
        raise ConfigValueError.at(f"config value {key} was malformed")
    return number


def _strtol(text: str) -> int | None:
    """C's strtol(text, &end, 0) over the whole text, as xl reads numbers
    (``0x200`` is hex, ``01000`` octal)."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    try:
        if body[:2].lower() == "0x":
            return sign * int(body[2:], 16)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body[1:], 8)
        return sign * int(body, 10)
    except ValueError:
        return None


def _bool(cfg: Cfg, key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, int):
        return 1 if value else 0
    return 1 if str(value) == "1" else 0


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _os_type(cfg: Cfg) -> str:
    kind = _get(cfg, "type")
    if kind in ("pv", "pvh", "hvm"):
        return str(kind)
    return "hvm" if _get(cfg, "builder") == "hvm" else "pv"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _specs(cfg: Cfg, key: str) -> list[str]:
    """A device list key as xl reads it: a list of strings; a plain string is
    not a list (xl ignores the key) and nested lists are skipped."""
    value = cfg.get(key)
    if not isinstance(value, list | tuple):
        return []
    return [v for v in value if isinstance(v, str)]


def _kv(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            out.setdefault(key.strip(), value.strip())
    return out


# --------------------------------------------------------------------------- top level


def to_xml(cfg: Cfg) -> str:
    """The libvirt XML of an xl.cfg (key -> value mapping)."""
    kind = _os_type(cfg)
    hvm = kind == "hvm"
    root = ET.Element("domain", {"type": "xen"})
    dm_args = _specs(cfg, "device_model_args") or (
        [cfg["device_model_args"]] if isinstance(cfg.get("device_model_args"), str) else [])
    if dm_args:
        root.set("xmlns:xen", XEN_NS)
    _sub(root, "name", str(_get(cfg, "name", "")))
    if _get(cfg, "uuid"):
        _sub(root, "uuid", str(cfg["uuid"]).lower())
    memory = _int(cfg, "memory", MIN_XEN_GUEST_SIZE_MB * 2)
    maxmem = _int(cfg, "maxmem", memory)
    _sub(root, "memory", str(maxmem * 1024), unit="KiB")
    # libvirt keeps the balloon target within the maximum
    _sub(root, "currentMemory", str(min(memory, maxmem) * 1024), unit="KiB")
    _vcpu(root, cfg)
    if not hvm:
        if _get(cfg, "bootloader"):
            _sub(root, "bootloader", str(cfg["bootloader"]))
        args = _get(cfg, "bootloader_args") or _get(cfg, "bootargs")  # libvirt reads bootargs
        if args:
            _sub(root, "bootloader_args", " ".join(_list(args)))
    _os(root, cfg, kind)
    _features(root, cfg, hvm)
    _cpu(root, cfg, hvm)
    _clock(root, cfg, hvm)
    for key, default in (("on_poweroff", "destroy"), ("on_reboot", "restart"),
                         ("on_crash", "restart")):
        _sub(root, key, _action(cfg, key, default))
    _devices(root, cfg, hvm)
    if dm_args:
        cmdline = _sub(root, "xen:commandline")
        for arg in dm_args:
            _sub(cmdline, "xen:arg", value=arg)
    return "".join(serialize(root)) + "\n"


XEN_NS = "http://libvirt.org/schemas/domain/xen/1.0"
# xl's actions (libxl_action_on_shutdown) that libvirt's lifecycle actions lack
_NO_LIBVIRT_ACTION = {"soft-reset", "soft_reset"}


def _action(cfg: Cfg, key: str, default: str) -> str:
    """on_poweroff / on_reboot / on_crash: a string (xl ignores a list: default)."""
    value = cfg.get(key)
    if not isinstance(value, str):
        return default
    if value in _NO_LIBVIRT_ACTION:
        raise ConfigValueError.at(
            f"{key} = \"{value}\": libvirt has no such lifecycle action (libvirt's "
            "xen-xl converter refuses it too)")
    return value


_ATTR_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;",
                           "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"})
_TEXT_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def serialize(el: ET.Element, depth: int = 0) -> list[str]:
    """libvirt's XML style: two-space indent, single-quoted attributes, '<x/>'."""
    pad = "  " * depth
    attrs = "".join(f" {k}='{v.translate(_ATTR_ESC)}'" for k, v in el.attrib.items())
    children = list(el)
    if not children and el.text is None:
        return [f"{pad}<{el.tag}{attrs}/>" + ("\n" if depth else "")]
    if not children:
        return [f"{pad}<{el.tag}{attrs}>{(el.text or '').translate(_TEXT_ESC)}</{el.tag}>\n"]
    out = [f"{pad}<{el.tag}{attrs}>\n"]
    for child in children:
        out.extend(serialize(child, depth + 1))
    out.append(f"{pad}</{el.tag}>" + ("\n" if depth else ""))
    return out


def _vcpu(root: ET.Element, cfg: Cfg) -> None:
    vcpus = _int(cfg, "vcpus", 1)
    maximum = _int(cfg, "maxvcpus", vcpus)
    if vcpus < 1:
        raise ConfigValueError.at(
            f"vcpus = {cfg['vcpus']}: libvirt's <vcpu> needs at least one vCPU online "
            "(xl starts such a guest with no vCPU online)")
    attrs = {"placement": "static"}
    cpus = cfg.get("cpus")
    if isinstance(cpus, str) and cpus and cpus != "all":
        attrs["cpuset"] = _cpuset("cpus", cpus)
    if vcpus < maximum:
        attrs["current"] = str(vcpus)
    _sub(root, "vcpu", str(maximum), **attrs)
    if isinstance(cpus, list | tuple):
        _vcpupin(root, [c for c in cpus if isinstance(c, str)], maximum)


def _vcpupin(root: ET.Element, cpus: list[str], maximum: int) -> None:
    """cpus = ["2", "3-4"]: vcpu N on the N-th set (xl pins only the first
    maxvcpus entries; "all" pins nothing)."""
    pins = [(n, spec) for n, spec in enumerate(cpus[:maximum]) if spec != "all"]
    if pins:
        tune = _sub(root, "cputune")
        for n, spec in pins:
            _sub(tune, "vcpupin", vcpu=str(n), cpuset=_cpuset("cpus", spec))


def _cpuset(key: str, spec: str) -> str:
    """xl's cpu list ('0-3,^2,5') in libvirt's canonical form ('0-1,3,5')."""
    bits: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        lo, dash, hi = part.lstrip("^").partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ConfigValueError.at(
                f"{key} = \"{spec}\": '{part}' has no libvirt cpuset form (libvirt "
                "takes CPU numbers and ranges, not NUMA nodes)")
        span = set(range(int(lo), int(hi or lo) + 1))
        bits = bits - span if part.startswith("^") else bits | span
    return _format_bitmap(bits)


def _format_bitmap(bits: set[int]) -> str:
    runs: list[tuple[int, int]] = []
    for n in sorted(bits):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


_MACHINE = {"pv": ("xenpv", "linux"), "pvh": ("xenpvh", "xenpvh"), "hvm": ("xenfv", "hvm")}
_BOOT = {"a": "fd", "d": "cdrom", "n": "network", "c": "hd"}


def _cmdline(cfg: Cfg) -> str | None:
    if _get(cfg, "cmdline"):
        return str(cfg["cmdline"])
    root, extra = _get(cfg, "root"), _get(cfg, "extra")
    if root and extra:
        return f"root={root} {extra}"
    if root:
        return f"root={root}"
    return str(extra) if extra else None


def _os(root: ET.Element, cfg: Cfg, kind: str) -> None:
    os_el = _sub(root, "os")
    machine, type_text = _MACHINE[kind]
    _sub(os_el, "type", type_text, arch="x86_64", machine=machine)
    if kind == "hvm":
        if _get(cfg, "bios") == "ovmf":
            _sub(os_el, "loader", f"{FIRMWARE_DIR}/ovmf.bin", readonly="yes", type_="pflash")
        else:
            _sub(os_el, "loader", HVMLOADER, type_="rom")
    for key, tag in (("kernel", "kernel"), ("ramdisk", "initrd")):
        if _get(cfg, key):
            _sub(os_el, tag, str(cfg[key]))
    cmdline = _cmdline(cfg)
    if cmdline:
        _sub(os_el, "cmdline", cmdline)
    if kind == "hvm" and isinstance(cfg.get("acpi_firmware"), str) and cfg["acpi_firmware"]:
        acpi = _sub(os_el, "acpi")
        _sub(acpi, "table", cfg["acpi_firmware"], type_="slic")
    if kind == "hvm":
        for ch in str(_get(cfg, "boot", "c"))[:4]:
            _sub(os_el, "boot", dev=_BOOT.get(ch, "hd"))


def _features(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    feats = ET.Element("features")
    if hvm:
        for key in ("acpi", "apic"):
            if _bool(cfg, key, 1):
                _sub(feats, key)
        _sub(feats, "pae")  # libvirt's libxl driver turns PAE on for every x86_64 HVM
        if not _bool(cfg, "hap", 1):
            _sub(feats, "hap", state="off")
        if _viridian(cfg.get("viridian")):
            _sub(feats, "viridian")
    xen = ET.Element("xen")
    if not hvm and _bool(cfg, "e820_host", 0):
        _sub(xen, "e820_host", state="on")
    passthrough = cfg.get("passthrough")
    if passthrough in ("enabled", "sync_pt", "share_pt"):
        _sub(xen, "passthrough", state="on",
             **({} if passthrough == "enabled" else {"mode": str(passthrough)}))
    if len(xen):
        feats.append(xen)
    if len(feats):
        root.append(feats)


def _viridian(value: Any) -> bool:
    """viridian = 1, or a list of groups with at least one enabled (libvirt's
    <viridian/> is libxl's viridian=1; the groups have no libvirt form)."""
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and v and not v.startswith("!") for v in value)
    return value is not None and str(value) == "1"


# libxl cpuid name -> libvirt name
_CPUID_NAMES = {"cmpxchg16": "cx16", "cntxid": "cid", "dscpl": "ds_cpl",
                "pclmulqdq": "pclmuldq", "sse3": "pni", "htt": "ht", "psn": "pn",
                "clfsh": "clflush", "sysenter": "sep", "cmpxchg8": "cx8", "nodeid": "nodeid_msr",
                "altmovcr8": "cr8legacy", "lahfsahf": "lahf_lm", "cmplegacy": "cmp_legacy",
                "ffxsr": "fxsr_opt", "page1gb": "pdpe1gb", "ibrsb": "spec-ctrl"}
_POLICY = {"1": "force", "0": "disable", "x": "optional", "k": "optional", "s": "optional"}


def _cpuid_name(name: str, pair: str) -> str:
    """libxl's feature name as libvirt's <feature name> (letters, digits, '-',
    '_', '.'); libvirt 9.0's libxl driver passes other names through as they are."""
    libvirt_name = _CPUID_NAMES.get(name, name)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", libvirt_name):
        raise ConfigValueError.at(
            f"cpuid '{pair}': libvirt's <cpu><feature name> takes letters, digits, '-', "
            f"'_' and '.', and libvirt's libxl driver has no name that reaches libxl's "
            f"'{name}'")
    return libvirt_name


def _cpu(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    features: list[tuple[str, str]] = []
    nested = cfg.get("nestedhvm") if hvm else None
    if nested is not None and not _bool(cfg, "nestedhvm", 0):
        features.append(("disable", "vmx"))
    cpuid = _get(cfg, "cpuid")
    if isinstance(cpuid, list | tuple):
        raise ConfigValueError.at(
            "cpuid in xend's list form has no libvirt form (libvirt's <cpu><feature> "
            "takes the libxl form: cpuid = \"host,name=0|1|x|k|s,...\")")
    if isinstance(cpuid, str) and cpuid:
        pairs = cpuid.split(",")
        if pairs[0] != "host":
            raise ConfigValueError.at(
                f"cpuid starting with {pairs[0]} is not supported, only libxl format is")
        for pair in pairs[1:]:
            name, eq, value = pair.partition("=")
            if not eq:
                raise ConfigValueError.at(f"Invalid libxl cpuid key=value element: {pair}")
            if value not in _POLICY:
                raise ConfigValueError.at(f"Invalid libxl cpuid value: {pair} (libvirt "
                                          "takes only the flags 0, 1, x, k and s)")
            features.append((_POLICY[value], _cpuid_name(name, pair)))
    vnuma = _get(cfg, "vnuma")
    if nested is None and not features and not vnuma:
        return
    cpu = _sub(root, "cpu", mode="host-passthrough") if (nested is not None or features) \
        else _sub(root, "cpu")
    for policy, name in features:
        _sub(cpu, "feature", policy=policy, name=name)
    if vnuma:
        _numa(cpu, vnuma)


def _numa(cpu: ET.Element, vnuma: Any) -> None:
    numa = _sub(cpu, "numa")
    for i, node in enumerate(vnuma):
        fields = {k: v for k, _, v in (str(item).partition("=") for item in node)}
        cell = _sub(numa, "cell", id=str(i), cpus=fields.get("vcpus", ""),
                    memory=str(int(fields.get("size", "0")) * 1024), unit="KiB")
        distances = fields.get("vdistances", "")
        if distances:
            dist = _sub(cell, "distances")
            for j, value in enumerate(distances.split(",")):
                _sub(dist, "sibling", id=str(j), value=value)


_TSC = {"always_emulate": "emulate", "native": "native", "native_paravirt": "paravirt",
        "1": "emulate", "2": "native", "3": "paravirt"}  # xl also takes libxl's numbers


def _clock(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    local = _bool(cfg, "localtime", 0)
    if hvm:
        clock = _sub(root, "clock", offset="variable",
                     adjustment=str(_int(cfg, "rtc_timeoffset", 0)),
                     basis="localtime" if local else "utc")
    else:
        clock = _sub(root, "clock", offset="localtime" if local else "utc", adjustment="reset")
    if _get(cfg, "tsc_mode") not in (None, ""):
        _sub(clock, "timer", name="tsc", present="yes",
             mode=_TSC.get(str(cfg["tsc_mode"]), "auto"))
    if hvm and cfg.get("hpet") is not None:
        _sub(clock, "timer", name="hpet", present="yes" if _bool(cfg, "hpet", 1) else "no")


# --------------------------------------------------------------------------- devices


def _devices(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    devs = _sub(root, "devices")
    emulator = _get(cfg, "device_model_override")  # xl 4.17 ignores device_model
    if emulator:
        _sub(devs, "emulator", str(emulator))
    specs = _specs(cfg, "disk")
    disks = [_disk_spec(s) for s in specs]
    for spec, disk in zip(specs, disks, strict=True):
        _disk(devs, spec, disk, hvm)
    xenbus = _sub(devs, "controller", type="xenbus", index="0")
    for key, attr in (("max_event_channels", "maxEventChannels"),
                      ("max_grant_frames", "maxGrantFrames")):
        if _get(cfg, key):
            xenbus.set(attr, str(cfg[key]))
    if hvm and any(d["vdev"].startswith("hd") for d in disks):  # PV hdX are xen-bus
        _sub(devs, "controller", type="ide", index="0")
    for spec in _specs(cfg, "usbctrl"):
        _usbctrl(devs, spec, len(devs.findall("controller[@type='usb']")))
    for spec in _specs(cfg, "vif"):
        _interface(devs, spec, hvm)
    _chardevs(devs, cfg, hvm)
    for spec in _specs(cfg, "channel"):
        _channel(devs, spec)
    _inputs(devs, cfg, hvm)
    has_graphics = _graphics(devs, cfg, hvm)
    for model in str(_get(cfg, "soundhw", "")).split(",") if hvm and _get(cfg, "soundhw") else ():
        _sub(devs, "sound", model=SOUND_MODELS.get(model, model))
    if has_graphics:
        video = _sub(devs, "video")
        if hvm:
            _sub(video, "model", type="cirrus", vram="8192", heads="1", primary="yes")
        elif _os_type(cfg) == "pvh":  # libvirt's default video for xenpvh
            _sub(video, "model", type="cirrus", vram="16384", heads="1", primary="yes")
        else:
            _sub(video, "model", type="xen", vram="4096", heads="1", primary="yes")
    for spec in _specs(cfg, "pci"):
        _hostdev_pci(devs, spec)
    for spec in _specs(cfg, "usbdev"):
        _hostdev_usb(devs, spec)
    _sub(devs, "memballoon", model="xen")


# xl's soundhw (QEMU's names) -> libvirt's <sound model>
SOUND_MODELS = {"hda": "ich6"}
_FORMAT_PREFIXES = ("raw", "qcow", "qcow2", "vhd")
_SCRIPT_PREFIXES = ("iscsi", "nbd", "enbd", "drbd")  # xl: script=block-PREFIX
_PLAIN_PREFIXES = ("phy", "file", "tap", "tap2", "aio", "ioemu", "tapdisk")
_DISK_KEYS = ("format", "vdev", "access", "devtype", "backendtype", "backend", "script",
              "target")


def _disk_spec(spec: str) -> dict[str, str]:
    """An xl disk spec, keyed or positional (libxlutil's order: target, format
    unless a legacy prefix was given, vdev[:cdrom], access; empty items count).
    ``phy: file: tap: aio:`` set nothing libvirt reads, ``raw: qcow2: vhd:`` set
    the format, ``iscsi: nbd: drbd:`` a block script libvirt has no element for."""
    out: dict[str, str] = {}
    if "target=" in spec:
        head, _, target = spec.partition("target=")
        out["target"] = target
        spec = head.rstrip(",") + ("," if head.rstrip(",") else "")
    slots = ["target", "format", "vdev", "access"]
    items = spec.split(",")
    if items and items[-1] == "":
        items.pop()
    for raw in items:
        part = raw.strip()
        key, eq, value = part.partition("=")
        if eq:  # key=value; the keys libvirt has no element for are left out
            if key in _DISK_KEYS:
                out[key] = value
        elif part in _DISK_FLAGS:
            if part == "cdrom":
                out["devtype"] = "cdrom"
        elif slots:
            _disk_positional(slots.pop(0), part, out, slots)
    out.setdefault("vdev", "")
    return out


_DISK_FLAGS = ("cdrom", "discard", "no-discard", "colo", "no-colo", "direct-io-safe")


def _disk_positional(slot: str, part: str, out: dict[str, str], slots: list[str]) -> None:
    if slot == "target":
        if "target" in out:  # target= came first: this item is the next slot
            _disk_positional(slots.pop(0), part, out, slots) if slots else None
        elif _disk_target_item(part, out):
            slots.remove("format")  # a legacy prefix stands for the format item
    elif slot == "format":
        if not out["target"] and ":" in part:  # ',hdc:cdrom,r': no format item
            slots.pop(0)
            _disk_positional("vdev", part, out, slots)
        elif part:
            out.setdefault("format", part)
    elif slot == "vdev":
        vdev, colon, kind = part.rpartition(":")
        if colon and kind in ("cdrom", "disk"):
            part = vdev
            if kind == "cdrom":
                out["devtype"] = "cdrom"
        out.setdefault("vdev", part)
    else:
        out.setdefault("access", part)


def _disk_target_item(part: str, out: dict[str, str]) -> bool:
    """The first positional item; True when it had a legacy prefix."""
    prefixed = False
    while True:
        prefix, colon, rest = part.partition(":")
        if not colon or prefix not in _FORMAT_PREFIXES + _SCRIPT_PREFIXES + _PLAIN_PREFIXES:
            break
        prefixed = True
        if prefix in _FORMAT_PREFIXES:
            out.setdefault("format", prefix)
        elif prefix in _SCRIPT_PREFIXES:
            out.setdefault("script", f"block-{prefix}")
        part = rest
    out["target"] = part
    return prefixed


# backendtype -> (driver name, disk type); unknown and qdisk are qemu files
_BACKEND = {"phy": ("phy", "block"), "tap": ("tap", "file"), "qdisk": ("qemu", "file")}


def _disk(devs: ET.Element, spec: str, d: dict[str, str], hvm: bool) -> None:
    """xenParseXLDisk: cdroms are qemu files; otherwise the backend decides."""
    target = d.get("target", "")
    if d.get("script"):
        raise ConfigValueError.at(
            f"disk '{spec}': the block script {d['script']} has no libvirt form (libvirt's "
            "<disk> takes a file, a block device or an rbd source and runs no disk "
            "script; libvirt's xen-xl converter drops the script and names "
            f"'{target}' as a file)")
    if target.startswith("rbd:"):
        _rbd_disk(devs, d, hvm)
        return
    if d.get("devtype") == "cdrom":  # xl: always read-only; no target: format empty
        disk = _sub(devs, "disk", type="file", device="cdrom")
        fmt = d.get("format", "raw")
        _sub(disk, "driver", name="qemu", type="raw" if fmt in ("raw", "empty") else fmt)
        d = {**d, "access": "ro"}
        if target:  # an empty drive has no <source> (libvirt's schema: no file='')
            _sub(disk, "source", file=target)
        _disk_target(disk, d, hvm)
        return
    driver, kind = _BACKEND.get(d.get("backendtype", ""), ("qemu", "file"))
    fmt = d.get("format", "raw")
    disk = _sub(devs, "disk", type=kind, device="disk")
    attrs = {"name": driver}
    if fmt != "empty":
        attrs["type"] = "vhd" if fmt in ("vhd", "xvhd") else fmt
    _sub(disk, "driver", **attrs)
    if target:
        _sub(disk, "source", **({"dev": target} if disk.get("type") == "block"
                                else {"file": target}))
    _disk_target(disk, d, hvm)


def _disk_target(disk: ET.Element, d: dict[str, str], hvm: bool) -> None:
    vdev = d["vdev"]
    bus = "xen" if vdev.startswith("xvd") or not hvm else "scsi" if vdev.startswith("sd") \
        else "ide"
    _sub(disk, "target", dev=vdev, bus=bus)
    if d.get("access", "rw") in ("r", "ro"):
        _sub(disk, "readonly")
    if bus == "ide" and re.fullmatch(r"hd[a-d]", vdev):
        index = ord(vdev[2]) - ord("a")
        _sub(disk, "address", type="drive", controller="0", bus=str(index // 2), target="0",
             unit=str(index % 2))


def _rbd_disk(devs: ET.Element, d: dict[str, str], hvm: bool) -> None:
    """``rbd:pool/image:opt=val:mon_host=h1\\:port\\;h2`` -> a network disk."""
    fields = re.split(r"(?<!\\):", d["target"])
    disk = _sub(devs, "disk", type="network", device="disk")
    _sub(disk, "driver", name="qemu", type=d.get("format", "raw"))
    source = _sub(disk, "source", protocol="rbd", name=fields[1])
    for opt in fields[2:]:
        key, _, value = opt.partition("=")
        if key != "mon_host":
            continue
        for host in value.split("\\;"):
            name, _, port = host.partition("\\:")
            _sub(source, "host", **({"name": name, "port": port} if port else {"name": name}))
    _disk_target(disk, d, hvm)


def _usbctrl(devs: ET.Element, spec: str, index: int) -> None:
    """xenParseXLUSBController: qusb1/qusb2 by version (default 2), 8 ports by default."""
    fields = _kv(spec)
    if fields.get("type", "qusb")[:4] != "qusb":
        return
    version = int(fields.get("version", "2"), 16)
    ports = int(fields.get("ports", "8"), 16)
    _sub(devs, "controller", type="usb", index=str(index),
         model="qusb1" if version == 1 else "qusb2", ports=str(ports))


def _interface(devs: ET.Element, spec: str, hvm: bool) -> None:
    fields = _kv(spec)
    script = fields.get("script")
    bridge = fields.get("bridge")
    kind = "bridge" if bridge or script in ("vif-bridge", "vif-vnic") else "ethernet"
    net = _sub(devs, "interface", type=kind)
    mac = _mac(fields.get("mac", ""))
    if mac:
        _sub(net, "mac", address=mac)
    tags: list[str] = []
    trunk = False
    if bridge:
        if "." in bridge:
            bridge, tag = bridge.split(".", 1)
            tags = [tag]
        elif ":" in bridge:
            bridge, *tags = bridge.split(":")
            trunk = True
        _sub(net, "source", bridge=bridge)
    if tags:
        vlan = _sub(net, "vlan", **({"trunk": "yes"} if trunk else {}))
        for tag in tags:
            _sub(vlan, "tag", id=tag)
        port = _sub(net, "virtualport", type="openvswitch")
        del port
    if fields.get("rate"):
        bandwidth = _sub(net, "bandwidth")
        _sub(bandwidth, "outbound", average=str(_rate_kbytes(fields["rate"])))
    for ip in fields.get("ip", "").split():
        _sub(net, "ip", address=ip, family="ipv6" if ":" in ip else "ipv4")
    if script:
        _sub(net, "script", path=script)
    if fields.get("vifname"):
        _sub(net, "target", dev=fields["vifname"])
    if fields.get("model"):
        _sub(net, "model", type=fields["model"])
    elif fields.get("type") == "vif":
        _sub(net, "model", type="netfront")


def _mac(text: str) -> str | None:
    """xl's mac=: six hex octets of one or two digits (xl pads them); anything
    else xl ignores with a warning and generates a MAC, so no <mac> here."""
    octets = text.split(":")
    if len(octets) != 6 or not all(re.fullmatch(r"[0-9a-fA-F]{1,2}", o) for o in octets):
        return None
    return ":".join(o.lower().rjust(2, "0") for o in octets)


def _rate_kbytes(rate: str) -> int:
    m = re.fullmatch(r"(\d+)([GMK]?)([Bb])/s(@.*)?", rate)
    if not m:
        raise ConfigValueError.at(f"Invalid rate '{rate}' specified")
    value = int(m.group(1)) * {"G": 1024 * 1024, "M": 1024, "K": 1, "": 1}[m.group(2)]
    return value // 8 if m.group(3) == "b" else value


def _chr(devs: ET.Element, tag: str, value: str, port: int) -> ET.Element:
    """xenParseSxprChar: 'pty', 'file:/x', 'tcp:host:port,server,nowait', '/dev/ttyS0' ..."""
    if value.startswith("/"):
        el = _sub(devs, tag, type="dev")
        _sub(el, "source", path=value)
    else:
        prefix, _, rest = value.partition(":")
        kind = "tcp" if prefix.startswith("telnet") else prefix
        el = _sub(devs, tag, type=kind)
        if kind in ("file", "pipe"):
            _sub(el, "source", path=rest)
        elif kind == "tcp":
            host, _, service = rest.partition(":")
            service, _, opts = service.partition(",")
            attrs = {"mode": "bind" if "server" in opts else "connect", "service": service}
            if host:
                attrs = {"mode": attrs["mode"], "host": host, "service": service}
            _sub(el, "source", **attrs)
            _sub(el, "protocol", type="telnet" if prefix.startswith("telnet") else "raw")
        elif kind == "unix":
            path, _, opts = rest.partition(",")
            _sub(el, "source", mode="bind" if "server" in opts else "connect", path=path)
        elif kind == "udp":
            connect, _, bind = rest.partition("@")
            c_host, _, c_svc = connect.partition(":")
            b_host, _, b_svc = bind.partition(":")
            _sub(el, "source", mode="bind", host=b_host, service=b_svc)
            _sub(el, "source", mode="connect", host=c_host, service=c_svc)
    _sub(el, "target", port=str(port))
    return el


def _chardevs(devs: ET.Element, cfg: Cfg, hvm: bool) -> None:
    if not hvm:
        console = _sub(devs, "console", type="pty")
        _sub(console, "target", type="xen", port="0")
        return
    serials = _list(cfg.get("serial"))
    first: str | None = None
    for port, value in enumerate(serials):
        if value != "none":
            _chr(devs, "serial", value, port)
            first = first or value
    parallel = _get(cfg, "parallel")
    if parallel and parallel != "none":
        _chr(devs, "parallel", str(parallel), 0)
    if first is not None:
        kind = "tcp" if first.startswith("telnet") else first.partition(":")[0]
        console = _sub(devs, "console", type="dev" if first.startswith("/") else kind)
        el = devs.find("serial")
        if el is not None:
            for child in el:
                if child.tag != "target":
                    console.append(child)
        _sub(console, "target", type="serial", port="0")


def _channel(devs: ET.Element, spec: str) -> None:
    fields = _kv(spec)
    connection = fields.get("connection", "pty")
    if connection.startswith("socket"):
        ch = _sub(devs, "channel", type="unix")
        _sub(ch, "source", mode="bind", path=fields.get("path", ""))
    else:
        ch = _sub(devs, "channel", type="pty")
    _sub(ch, "target", type="xen", name=fields.get("name", ""))


def _inputs(devs: ET.Element, cfg: Cfg, hvm: bool) -> None:
    if (hvm and _bool(cfg, "usb", 0)) or _get(cfg, "usbdevice"):
        for dev in _list(cfg.get("usbdevice")):
            if dev in ("mouse", "tablet", "keyboard"):
                _sub(devs, "input", type=dev, bus="usb")
    bus = "ps2" if hvm else "xen"
    _sub(devs, "input", type="mouse", bus=bus)
    _sub(devs, "input", type="keyboard", bus=bus)


def _graphics(devs: ET.Element, cfg: Cfg, hvm: bool) -> bool:
    if hvm and _bool(cfg, "spice", 0):
        _spice(devs, cfg)
        return True
    if hvm:
        if _bool(cfg, "vnc", 0):
            _vnc(devs, {k: str(v) for k, v in cfg.items() if isinstance(v, str | int)})
            return True
        if _bool(cfg, "sdl", 0):
            _sdl(devs, cfg.get("display"), cfg.get("xauthority"))
            return True
        return False
    vfbs = _specs(cfg, "vfb")
    if not vfbs:
        return False
    fields = _kv(vfbs[0])
    if "type=sdl" in vfbs[0] or fields.get("sdl") == "1":
        _sdl(devs, fields.get("display"), fields.get("xauthority"))
    elif fields.get("vnc", "1") == "0":  # vnc=0 and no sdl: no display at all
        return False
    else:
        _vnc(devs, fields, pv=True)
    return True


def _vnc(devs: ET.Element, f: Mapping[str, str], pv: bool = False) -> None:
    # a PV vfb's vncdisplay= without vncunused= is libvirt's fixed port (xl starts
    # looking there); an HVM guest's vncdisplay counts only with vncunused=0
    listen = f.get("vnclisten")
    host, colon, display = (listen or "").partition(":")
    if colon and display.isdigit() and ":" not in display:
        # xl's 'vnclisten = "HOST:N"' is display N on HOST: libvirt's listen is an address
        f = {**f, "vnclisten": host, "vncdisplay": display}
        listen = host
    auto = f.get("vncunused", "0" if pv and f.get("vncdisplay") else "1") == "1"
    port = "-1" if auto else str(int(f.get("vncdisplay", "0") or 0) + 5900)
    attrs = {"type": "vnc", "port": port, "autoport": "yes" if auto else "no"}
    if listen:
        attrs["listen"] = listen
    if f.get("vncpasswd"):
        attrs["passwd"] = f["vncpasswd"]
    if f.get("keymap"):
        attrs["keymap"] = f["keymap"]
    g = _sub(devs, "graphics", **attrs)
    # libvirt always appends a listen, with no address when vnclisten is unset
    _sub(g, "listen", **({"type": "address", "address": listen} if listen
                         else {"type": "address"}))


def _sdl(devs: ET.Element, display: Any, xauth: Any) -> None:
    attrs = {"type": "sdl"}
    if display:
        attrs["display"] = str(display)
    if xauth:
        attrs["xauth"] = str(xauth)
    _sub(devs, "graphics", **attrs)


def _spice(devs: ET.Element, cfg: Cfg) -> None:
    port, tls = _int(cfg, "spiceport", 0), _int(cfg, "spicetls_port", 0)
    attrs = {"type": "spice"}
    if port or tls:
        attrs.update({k: str(v) for k, v in (("port", port), ("tlsPort", tls)) if v})
        attrs["autoport"] = "no"
    else:
        attrs["autoport"] = "yes"
    host = _get(cfg, "spicehost")
    if host:
        attrs["listen"] = str(host)
    if not _bool(cfg, "spicedisable_ticketing", 0) and _get(cfg, "spicepasswd"):
        attrs["passwd"] = str(cfg["spicepasswd"])
    g = _sub(devs, "graphics", **attrs)
    if host:
        _sub(g, "listen", type="address", address=str(host))
    _sub(g, "mouse", mode="client" if _bool(cfg, "spiceagent_mouse", 0) else "server")
    _sub(g, "clipboard", copypaste="yes" if _bool(cfg, "spice_clipboard_sharing", 0) else "no")


_BDF = re.compile(r"(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})"
                  r"\.([0-7])(?:@[0-9a-fA-F]+)?")


def _hostdev_pci(devs: ET.Element, spec: str) -> None:
    """``[DDDD:]BB:SS.F[@VSLOT][,permissive=N,...]`` or ``bdf=...`` (libvirt's
    hostdev takes one function of a device, named by its address)."""
    fields = [f.strip() for f in spec.split(",")]
    keyed = {k: v for k, eq, v in (f.partition("=") for f in fields) if eq}
    bdf = keyed.get("bdf", fields[0])
    m = _BDF.fullmatch(bdf)
    if m is None:
        raise ConfigValueError.at(
            f"pci '{spec}': libvirt's <hostdev> needs one device function by address "
            "([DDDD:]BB:SS.F); all functions (.*) and name= have no libvirt form")
    domain, bus, slot, func = m.groups()
    source_attrs = {}
    if keyed.get("permissive", "").isdigit():
        source_attrs["writeFiltering"] = "no" if int(keyed["permissive"]) else "yes"
    hostdev = _sub(devs, "hostdev", mode="subsystem", type="pci", managed="no")
    _sub(hostdev, "driver", name="xen")
    source = _sub(hostdev, "source", **source_attrs)
    _sub(source, "address", domain=f"0x{int(domain or '0', 16):04x}",
         bus=f"0x{int(bus, 16):02x}", slot=f"0x{int(slot, 16):02x}",
         function=f"0x{int(func, 16):x}")


def _hostdev_usb(devs: ET.Element, spec: str) -> None:
    fields = _kv(spec)
    hostdev = _sub(devs, "hostdev", mode="subsystem", type="usb", managed="no")
    source = _sub(hostdev, "source")
    _sub(source, "address", bus=str(int(fields.get("hostbus", "0"), 16)),
         device=str(int(fields.get("hostaddr", "0"), 16)))
