"""xl.cfg keys -> libvirt domain XML (``<domain type='xen'>``), with ElementTree.

Follows libvirt's xen-xl reader (``src/libxl/xen_xl.c`` xenParseXL and
``xen_common.c`` xenParseConfigCommon, libvirt 9.0) and the defaults libvirt's
post-parse adds (xenbus controller, implicit inputs, console, video,
memballoon), so that the XML matches what ``virsh domxml-from-native xen-xl``
prints.  The input is the flat key -> value mapping of an xl.cfg (values:
int, str, list of str, list of lists for vnuma) — what migrate-config
produces, or what the xl.cfg reader yields; this module does not parse files.
The disks come parsed (``libxl_device_disk`` records, settings.disk's
parse_disk): ``xl_py.pipeline.libvirt_xml`` parses a mapping's disk= and
calls :func:`to_xml`.
This module writes the domain-wide elements; <devices> are libvirt_devices.py's
(disks: libvirt_disk.py), the shared readers libvirt_common.py's.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from xl_py.errors import ConfigValueError
from xl_py.model._base import Bitmap
from xl_py.model.devices import DeviceDisk
from xl_py.render.libvirt_common import (
    Cfg,
    as_list,
    boolean,
    get,
    integer,
    os_type,
    specs,
    strtol,
    sub,
)
from xl_py.render.libvirt_devices import devices

# every xl.cfg key this renderer reads (disk: parsed, see to_xml's disks); the
# others have no libvirt element
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
#: and those only for_libxl_driver renders (libvirt's libxl driver honours them)
DRIVER_KEYS = frozenset({"cpu_weight", "vga", "stdvga", "videoram"})
FIRMWARE_DIR = "/usr/lib/xen/boot"
HVMLOADER = "/usr/lib/xen/boot/hvmloader"
MIN_XEN_GUEST_SIZE_MB = 64


# --------------------------------------------------------------------------- top level


def to_xml(cfg: Cfg, disks: Sequence[DeviceDisk], disk_names: Sequence[str] = (), *,
           for_libxl_driver: bool = False) -> str:
    """The libvirt XML of an xl.cfg (key -> value mapping; its disk= is not
    read): ``disks`` are its disk= items parsed, in order, and ``disk_names``
    how a message names each (its spec as written; default: its vdev).

    By default the XML is what libvirt's xen-xl converter writes.
    ``for_libxl_driver``: the XML that makes libvirt's libxl driver start the
    guest xl would start, where the converter's reading differs: cpu_weight as
    <cputune><shares> (the driver's credit weight; the converter drops the
    key), and a raw file disk the config leaves to libxl without a <driver>
    (the converter pins qdisk; xl lets libxl pick, a loop device for a file)."""
    kind = os_type(cfg)
    hvm = kind == "hvm"
    root = ET.Element("domain", {"type": "xen"})
    dm_args = specs(cfg, "device_model_args") or (
        [cfg["device_model_args"]] if isinstance(cfg.get("device_model_args"), str) else [])
    if dm_args:
        root.set("xmlns:xen", XEN_NS)
    sub(root, "name", str(get(cfg, "name", "")))
    if get(cfg, "uuid"):
        sub(root, "uuid", str(cfg["uuid"]).lower())
    memory = integer(cfg, "memory", MIN_XEN_GUEST_SIZE_MB * 2)
    maxmem = integer(cfg, "maxmem", memory)
    sub(root, "memory", str(maxmem * 1024), unit="KiB")
    # libvirt keeps the balloon target within the maximum
    sub(root, "currentMemory", str(min(memory, maxmem) * 1024), unit="KiB")
    _vcpu(root, cfg, shares=_shares(cfg) if for_libxl_driver else None)
    if not hvm:
        if get(cfg, "bootloader"):
            sub(root, "bootloader", str(cfg["bootloader"]))
        args = get(cfg, "bootloader_args") or get(cfg, "bootargs")  # libvirt reads bootargs
        if args:
            sub(root, "bootloader_args", " ".join(as_list(args)))
    _os(root, cfg, kind)
    _features(root, cfg, hvm)
    _cpu(root, cfg, hvm)
    _clock(root, cfg, hvm)
    for key, default in (("on_poweroff", "destroy"), ("on_reboot", "restart"),
                         ("on_crash", "restart")):
        sub(root, key, _action(cfg, key, default))
    devices(root, cfg, disks, disk_names, hvm, for_libxl_driver)
    if dm_args:
        cmdline = sub(root, "xen:commandline")
        for arg in dm_args:
            sub(cmdline, "xen:arg", value=arg)
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


def _shares(cfg: Cfg) -> int | None:
    """cpu_weight (a number, or its text as xl.cfg's raw keys hold it, read as xl
    reads numbers), if set."""
    weight = cfg.get("cpu_weight")
    if isinstance(weight, str):
        weight = strtol(weight)
    return weight if isinstance(weight, int) and weight > 0 else None


def _vcpu(root: ET.Element, cfg: Cfg, shares: int | None = None) -> None:
    vcpus = integer(cfg, "vcpus", 1)
    maximum = integer(cfg, "maxvcpus", vcpus)
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
    sub(root, "vcpu", str(maximum), **attrs)
    pins = _vcpupins([c for c in cpus if isinstance(c, str)], maximum) \
        if isinstance(cpus, list | tuple) else []
    if shares is not None or pins:
        tune = sub(root, "cputune")
        if shares is not None:
            sub(tune, "shares", str(shares))
        for n, spec in pins:
            sub(tune, "vcpupin", vcpu=str(n), cpuset=spec)


def _vcpupins(cpus: list[str], maximum: int) -> list[tuple[int, str]]:
    """cpus = ["2", "3-4"]: vcpu N on the N-th set (xl pins only the first
    maxvcpus entries; "all" pins nothing)."""
    return [(n, _cpuset("cpus", spec)) for n, spec in enumerate(cpus[:maximum])
            if spec != "all"]


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
    return Bitmap.of(bits).ranges()


_MACHINE = {"pv": ("xenpv", "linux"), "pvh": ("xenpvh", "xenpvh"), "hvm": ("xenfv", "hvm")}
_BOOT = {"a": "fd", "d": "cdrom", "n": "network", "c": "hd"}


def _cmdline(cfg: Cfg) -> str | None:
    if get(cfg, "cmdline"):
        return str(cfg["cmdline"])
    root, extra = get(cfg, "root"), get(cfg, "extra")
    if root and extra:
        return f"root={root} {extra}"
    if root:
        return f"root={root}"
    return str(extra) if extra else None


def _os(root: ET.Element, cfg: Cfg, kind: str) -> None:
    os_el = sub(root, "os")
    machine, type_text = _MACHINE[kind]
    sub(os_el, "type", type_text, arch="x86_64", machine=machine)
    if kind == "hvm":
        if get(cfg, "bios") == "ovmf":
            sub(os_el, "loader", f"{FIRMWARE_DIR}/ovmf.bin", readonly="yes", type_="pflash")
        else:
            sub(os_el, "loader", HVMLOADER, type_="rom")
    for key, tag in (("kernel", "kernel"), ("ramdisk", "initrd")):
        if get(cfg, key):
            sub(os_el, tag, str(cfg[key]))
    cmdline = _cmdline(cfg)
    if cmdline:
        sub(os_el, "cmdline", cmdline)
    if kind == "hvm" and isinstance(cfg.get("acpi_firmware"), str) and cfg["acpi_firmware"]:
        acpi = sub(os_el, "acpi")
        sub(acpi, "table", cfg["acpi_firmware"], type_="slic")
    if kind == "hvm":
        for ch in str(get(cfg, "boot", "c"))[:4]:
            sub(os_el, "boot", dev=_BOOT.get(ch, "hd"))


def _features(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    feats = ET.Element("features")
    if hvm:
        for key in ("acpi", "apic"):
            if boolean(cfg, key, 1):
                sub(feats, key)
        sub(feats, "pae")  # libvirt's libxl driver turns PAE on for every x86_64 HVM
        if not boolean(cfg, "hap", 1):
            sub(feats, "hap", state="off")
        if _viridian(cfg.get("viridian")):
            sub(feats, "viridian")
    xen = ET.Element("xen")
    if not hvm and boolean(cfg, "e820_host", 0):
        sub(xen, "e820_host", state="on")
    passthrough = cfg.get("passthrough")
    if passthrough in ("enabled", "sync_pt", "share_pt"):
        sub(xen, "passthrough", state="on",
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
    if nested is not None and not boolean(cfg, "nestedhvm", 0):
        features.append(("disable", "vmx"))
    cpuid = get(cfg, "cpuid")
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
    vnuma = get(cfg, "vnuma")
    if nested is None and not features and not vnuma:
        return
    cpu = sub(root, "cpu", mode="host-passthrough") if (nested is not None or features) \
        else sub(root, "cpu")
    for policy, name in features:
        sub(cpu, "feature", policy=policy, name=name)
    if vnuma:
        _numa(cpu, vnuma)


def _numa(cpu: ET.Element, vnuma: Any) -> None:
    numa = sub(cpu, "numa")
    for i, node in enumerate(vnuma):
        fields = {k: v for k, _, v in (str(item).partition("=") for item in node)}
        cell = sub(numa, "cell", id=str(i), cpus=fields.get("vcpus", ""),
                    memory=str(int(fields.get("size", "0")) * 1024), unit="KiB")
        distances = fields.get("vdistances", "")
        if distances:
            dist = sub(cell, "distances")
            for j, value in enumerate(distances.split(",")):
                sub(dist, "sibling", id=str(j), value=value)


_TSC = {"always_emulate": "emulate", "native": "native", "native_paravirt": "paravirt",
        "1": "emulate", "2": "native", "3": "paravirt"}  # xl also takes libxl's numbers


def _clock(root: ET.Element, cfg: Cfg, hvm: bool) -> None:
    local = boolean(cfg, "localtime", 0)
    if hvm:
        clock = sub(root, "clock", offset="variable",
                     adjustment=str(integer(cfg, "rtc_timeoffset", 0)),
                     basis="localtime" if local else "utc")
    else:
        clock = sub(root, "clock", offset="localtime" if local else "utc", adjustment="reset")
    if get(cfg, "tsc_mode") not in (None, ""):
        sub(clock, "timer", name="tsc", present="yes",
             mode=_TSC.get(str(cfg["tsc_mode"]), "auto"))
    if hvm and cfg.get("hpet") is not None:
        sub(clock, "timer", name="hpet", present="yes" if boolean(cfg, "hpet", 1) else "no")
