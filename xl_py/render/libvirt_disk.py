"""xl disk specs -> libvirt <disk> elements (libvirt's xenParseXLDisk).

libvirt reads a disk spec with libxlutil's parser; this reader takes the
items libvirt's element has a place for (target, format, vdev, access,
devtype, backendtype, script) in libxlutil's order."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from xl_py.errors import ConfigValueError
from xl_py.render.libvirt_common import sub

_FORMAT_PREFIXES = ("raw", "qcow", "qcow2", "vhd")
_SCRIPT_PREFIXES = ("iscsi", "nbd", "enbd", "drbd")  # xl: script=block-PREFIX
_PLAIN_PREFIXES = ("phy", "file", "tap", "tap2", "aio", "ioemu", "tapdisk")
_DISK_KEYS = ("format", "vdev", "access", "devtype", "backendtype", "backend", "script",
              "target")


def disk_spec(spec: str) -> dict[str, str]:
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


def disk_element(devs: ET.Element, spec: str, d: dict[str, str], hvm: bool) -> None:
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
        disk = sub(devs, "disk", type="file", device="cdrom")
        fmt = d.get("format", "raw")
        sub(disk, "driver", name="qemu", type="raw" if fmt in ("raw", "empty") else fmt)
        d = {**d, "access": "ro"}
        if target:  # an empty drive has no <source> (libvirt's schema: no file='')
            sub(disk, "source", file=target)
        _disk_target(disk, d, hvm)
        return
    driver, kind = _BACKEND.get(d.get("backendtype", ""), ("qemu", "file"))
    fmt = d.get("format", "raw")
    disk = sub(devs, "disk", type=kind, device="disk")
    attrs = {"name": driver}
    if fmt != "empty":
        attrs["type"] = "vhd" if fmt in ("vhd", "xvhd") else fmt
    sub(disk, "driver", **attrs)
    if target:
        sub(disk, "source", **({"dev": target} if disk.get("type") == "block"
                                else {"file": target}))
    _disk_target(disk, d, hvm)


def _disk_target(disk: ET.Element, d: dict[str, str], hvm: bool) -> None:
    vdev = d["vdev"]
    bus = "xen" if vdev.startswith("xvd") or not hvm else "scsi" if vdev.startswith("sd") \
        else "ide"
    sub(disk, "target", dev=vdev, bus=bus)
    if d.get("access", "rw") in ("r", "ro"):
        sub(disk, "readonly")
    if bus == "ide" and re.fullmatch(r"hd[a-d]", vdev):
        index = ord(vdev[2]) - ord("a")
        sub(disk, "address", type="drive", controller="0", bus=str(index // 2), target="0",
             unit=str(index % 2))


def _rbd_disk(devs: ET.Element, d: dict[str, str], hvm: bool) -> None:
    """``rbd:pool/image:opt=val:mon_host=h1\\:port\\;h2`` -> a network disk."""
    fields = re.split(r"(?<!\\):", d["target"])
    disk = sub(devs, "disk", type="network", device="disk")
    sub(disk, "driver", name="qemu", type=d.get("format", "raw"))
    source = sub(disk, "source", protocol="rbd", name=fields[1])
    for opt in fields[2:]:
        key, _, value = opt.partition("=")
        if key != "mon_host":
            continue
        for host in value.split("\\;"):
            name, _, port = host.partition("\\:")
            sub(source, "host", **({"name": name, "port": port} if port else {"name": name}))
    _disk_target(disk, d, hvm)
