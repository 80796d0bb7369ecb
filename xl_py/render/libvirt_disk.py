"""xl disks (``libxl_device_disk`` records) -> libvirt <disk> elements
(libvirt's xenParseXLDisk).

libvirt reads a disk spec with libxlutil's parser and builds its element from
the record; so does this module, from the records
:func:`xl_py.settings.disk.parse_disk` made (the only reader of disk specs)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from xl_py.errors import ConfigValueError
from xl_py.model.devices import DeviceDisk, DiskBackend, DiskFormat
from xl_py.render.libvirt_common import sub

# libxl_disk_backend -> (driver name, disk type); unknown and qdisk are qemu files
_BACKEND = {DiskBackend.PHY: ("phy", "block"), DiskBackend.TAP: ("tap", "file"),
            DiskBackend.QDISK: ("qemu", "file")}


def disk_element(devs: ET.Element, disk: DeviceDisk, name: str, hvm: bool,
                 leave_to_libxl: bool = False) -> None:
    """xenParseXLDisk: cdroms are qemu files; otherwise the backend decides.
    ``name`` names the disk in messages (its spec as written).  ``leave_to_libxl``:
    a raw file disk with no backendtype= gets no <driver> (libvirt's libxl driver
    then lets libxl pick, as xl does; the converter's qemu driver means qdisk)."""
    target = disk.pdev_path or ""
    if disk.script:
        raise ConfigValueError.at(
            f"disk '{name}': the block script {disk.script} has no libvirt form (libvirt's "
            "<disk> takes a file, a block device or an rbd source and runs no disk "
            "script; libvirt's xen-xl converter drops the script and names "
            f"'{target}' as a file)")
    if target.startswith("rbd:"):
        _rbd_disk(devs, disk, hvm)
        return
    fmt = disk.format.value
    if disk.is_cdrom:  # xl: always read-only; no target: format empty
        element = sub(devs, "disk", type="file", device="cdrom")
        sub(element, "driver", name="qemu",
            type="raw" if disk.format in (DiskFormat.RAW, DiskFormat.EMPTY) else fmt)
        if target:  # an empty drive has no <source> (libvirt's schema: no file='')
            sub(element, "source", file=target)
        _disk_target(element, disk, hvm)
        return
    driver, kind = _BACKEND.get(disk.backend, ("qemu", "file"))
    element = sub(devs, "disk", type=kind, device="disk")
    attrs = {"name": driver}
    if disk.format is not DiskFormat.EMPTY:
        attrs["type"] = fmt
    if not (leave_to_libxl and disk.backend is DiskBackend.UNKNOWN
            and disk.format is DiskFormat.RAW):
        sub(element, "driver", **attrs)
    if target:
        sub(element, "source", **({"dev": target} if kind == "block" else {"file": target}))
    _disk_target(element, disk, hvm)


def _disk_target(element: ET.Element, disk: DeviceDisk, hvm: bool) -> None:
    vdev = disk.vdev or ""
    bus = "xen" if vdev.startswith("xvd") or not hvm else "scsi" if vdev.startswith("sd") \
        else "ide"
    sub(element, "target", dev=vdev, bus=bus)
    if not disk.readwrite:  # xl: a cdrom is always read-only
        sub(element, "readonly")
    if bus == "ide" and re.fullmatch(r"hd[a-d]", vdev):
        index = ord(vdev[2]) - ord("a")
        sub(element, "address", type="drive", controller="0", bus=str(index // 2),
            target="0", unit=str(index % 2))


def _rbd_disk(devs: ET.Element, disk: DeviceDisk, hvm: bool) -> None:
    """``rbd:pool/image:opt=val:mon_host=h1\\:port\\;h2`` -> a network disk."""
    fields = re.split(r"(?<!\\):", disk.pdev_path or "")
    element = sub(devs, "disk", type="network", device="disk")
    sub(element, "driver", name="qemu", type=disk.format.value)
    source = sub(element, "source", protocol="rbd", name=fields[1])
    for opt in fields[2:]:
        key, _, value = opt.partition("=")
        if key != "mon_host":
            continue
        for host in value.split("\\;"):
            host_name, _, port = host.partition("\\:")
            sub(source, "host", **({"name": host_name, "port": port} if port
                                   else {"name": host_name}))
    _disk_target(element, disk, hvm)
