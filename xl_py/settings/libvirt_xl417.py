"""libvirt's xen-xl spellings that xl 4.17 ignores or reads otherwise, respelled
for migrate-config.

:func:`xl_py.settings.libvirt_xml.xml_to_cfg` writes what libvirt's writer
writes (``virsh domxml-to-native xen-xl``, compared byte for byte), but a few
of those keys do not mean the same to xl 4.17 (measured with the real
``xl -N create``): ``bootargs`` and ``parallel`` are unknown to xl, ``builder``
is deprecated, a vfb's ``type=`` is ignored (an SDL display becomes VNC), a
``usbdev`` without ``type=hostdev`` is an empty device, ``format=xvhd`` is
refused, blktap (``backendtype=tap``) is gone, ``/usr/bin/pygrub`` is
not where Xen 4.17 keeps pygrub and xend's ``qemu-dm`` (an old ``<emulator>``)
is not built.  One row per key: the xl key, the respelled value (None: no xl key)
and the report's status and detail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from xl_py.settings.legacy import ReportItem
from xl_py.settings.legacy_base import Status, pygrub_note, xl_bootloader

Cfg = dict[str, Any]


class Row(NamedTuple):
    xl_key: str
    value: Callable[[Any], Any]  # None: xl has no key for it (dropped)
    status: Callable[[Any], Status]
    detail: Callable[[Any, Any], str]


def _items(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _vfb(spec: str) -> str:
    parts = spec.split(",")
    respelled = {"type=vnc": ["vnc=1"], "type=sdl": ["vnc=0", "sdl=1"]}
    return ",".join(p for part in parts for p in respelled.get(part.strip(), [part]))


def _usbdev(spec: str) -> str:
    keys = {p.partition("=")[0].strip() for p in spec.split(",")}
    return spec if "type" in keys else f"type=hostdev,{spec}"


#: disk spec parts libvirt's writer emits that xl 4.17 cannot use: xvhd is libvirt's
#: spelling of vhd; blktap (tap, tap2) is gone from Xen 4.17, so libxl picks the
#: backend as it does for an xm 'tap:aio:' disk (a loop device or qdisk)
_DISK_PARTS = {"format=xvhd": "format=vhd", "backendtype=tap": None, "backendtype=tap2": None}
_DISK_WHY = {"format=xvhd": "format=xvhd is libvirt's spelling of vhd, which xl 4.17 refuses",
             "backendtype=tap": "Xen 4.17 has no blktap backend: libxl picks one",
             "backendtype=tap2": "Xen 4.17 has no blktap backend: libxl picks one"}


def _disk(spec: str) -> str:
    parts = [_DISK_PARTS.get(p.strip(), p) for p in spec.split(",")]
    return ",".join(p for p in parts if p is not None)


def _disk_why(specs: Any) -> str:
    parts = {p.strip() for spec in _items(specs) for p in spec.split(",")}
    return "; ".join(dict.fromkeys(why for part, why in _DISK_WHY.items() if part in parts))


def _bootloader(path: Any) -> Any:
    return xl_bootloader(path) if isinstance(path, str) else path


def _qemu_dm(path: Any) -> bool:
    """xend's device model (qemu-xen-traditional), which Xen 4.17 builds lack."""
    return isinstance(path, str) and os.path.basename(path) == "qemu-dm"


def _list_of(fix: Callable[[str], str]) -> Callable[[Any], Any]:
    return lambda value: [fix(v) for v in _items(value)]


def _changed_if(fix: Callable[[str], str]) -> Callable[[Any], Status]:
    return lambda value: "changed" if any(fix(v) != v for v in _items(value)) else "kept"


def _diff(old: Any, new: Any) -> str:
    pairs = [f"'{a}' -> '{b}'" for a, b in zip(_items(old), _items(new), strict=True) if a != b]
    return "; ".join(pairs)


ROWS: dict[str, Row] = {
    "bootargs": Row(
        "bootloader_args", lambda v: " ".join(_items(v)).split(),
        lambda v: "renamed",
        lambda old, new: "libvirt's writer says bootargs (xm's key), which xl 4.17 ignores: "
                         "xl's bootloader_args, a list split at blanks as xl splits a string"),
    "builder": Row(
        "type", str, lambda v: "renamed",
        lambda old, new: f'builder="{old}" -> type="{new}" (builder is deprecated since '
                         "Xen 4.10)"),
    "parallel": Row(
        "parallel", lambda v: None,
        lambda v: "ignored" if v == "none" else "dropped",
        lambda old, new: "xl 4.17 has no parallel port (the key is unknown to xl)"
                         + ("; 'none' asked for none" if old == "none"
                            else f": the guest loses parallel = \"{old}\"")),
    "vfb": Row(
        "vfb", _list_of(_vfb), _changed_if(_vfb),
        lambda old, new: "xl ignores a vfb's type= (an SDL display would be VNC): "
                         f"{_diff(old, new)}"),
    "usbdev": Row(
        "usbdev", _list_of(_usbdev), _changed_if(_usbdev),
        lambda old, new: "xl 4.17 leaves a usbdev without type=hostdev empty (the device is "
                         f"not passed through): {_diff(old, new)}"),
    "disk": Row(
        "disk", _list_of(_disk), _changed_if(_disk),
        lambda old, new: f"{_disk_why(old)}: {_diff(old, new)}"),
    "device_model_override": Row(
        "device_model_override", lambda v: None if _qemu_dm(v) else v,
        lambda v: "dropped" if _qemu_dm(v) else "kept",
        lambda old, new: f"<emulator>{old}</emulator> is xend's qemu-dm "
                         "(qemu-xen-traditional), not in Xen 4.17 builds: xl starts its own "
                         "device model (qemu-xen), as for an xm device_model="),
    "bootloader": Row(
        "bootloader", _bootloader,
        lambda v: "changed" if _bootloader(v) != v else "kept",
        lambda old, new: pygrub_note(old)),
}


_XEND_FILE_WHY = ("old libvirt's <driver name='file'/> is xend's file: (a loop device), "
                  "not qdisk: libxl picks the backend as for an xm file: disk")


def xend_file_disks(root: Any) -> frozenset[int]:
    """Indices (in the disk= list) of the disks whose ``<driver name='file'/>`` has no
    type=: the shape the xend driver of libvirt 0.x wrote for xend's ``file:``
    (libvirt's writer says backendtype=qdisk, its libxl driver's meaning)."""
    devices = root.find("devices")
    disks = [d for d in (devices.findall("disk") if devices is not None else [])
             if d.get("device") != "floppy"]
    return frozenset(i for i, d in enumerate(disks) if (drv := d.find("driver")) is not None
                     and drv.get("name") == "file" and drv.get("type") is None)


def _unqdisk(specs: list[str], indices: frozenset[int]) -> list[str]:
    return [",".join(p for p in spec.split(",") if p.strip() != "backendtype=qdisk")
            if i in indices else spec for i, spec in enumerate(specs)]


def _os_root(xml_root: Any, cfg: Cfg) -> dict[str, ReportItem]:
    """libvirt 0.x's ``<os><root>`` (xend's image ``root``): xend started the kernel
    command line with root=VALUE unless the args had a root= (XendConfig); libvirt's
    xen-xl writer has no key for it.  Folded into cmdline= (xl ignores root= beside it)."""
    from xl_py.settings.libvirt_xml import _POS

    el = xml_root.find("os/root")
    text = (el.text or "").strip() if el is not None else ""
    if not text:
        return {}
    start = int(el.get(_POS, "0"))
    cmdline = str(cfg.get("cmdline", ""))
    if re.search(r"(?:^|\s)root=", cmdline):
        return {"<root>": ReportItem("<root>", "dropped", (), f"<root>{text}</root>: the "
                                     "<cmdline> has a root= already, and xend kept that one",
                                     start, start + 1)}
    cfg["cmdline"] = f"root={text} {cmdline}".strip()
    return {"<root>": ReportItem("<root>", "changed", ("cmdline",), f"<root>{text}</root> "
                                 "(xend's root=; libvirt's xen-xl writer drops it): cmdline= "
                                 f"starts with root={text}, as xend's command line did",
                                 start, start + 1)}


def _shares(xml_root: Any, cfg: Cfg) -> dict[str, ReportItem]:
    """``<cputune><shares>``: the credit weight libvirt's libxl driver gives the guest
    (libxlMakeDomBuildInfo); libvirt's xen-xl writer has no key for it: xl's cpu_weight."""
    from xl_py.settings.libvirt_xml import _POS

    tune = xml_root.find("cputune")
    shares = tune.find("shares") if tune is not None else None
    if shares is None or not (shares.text or "").strip().isdigit():
        return {}
    cfg["cpu_weight"] = int((shares.text or "").strip())
    key = "<cputune>" if len(tune) == 1 else "<cputune><shares>"
    start = int(shares.get(_POS, "0"))
    return {key: ReportItem(key, "changed", ("cpu_weight",), f"<shares>{cfg['cpu_weight']}"
                            "</shares> is the credit weight libvirt's libxl driver gave the "
                            "guest; libvirt's xen-xl writer drops it", start, start + 1)}


def for_xl(cfg: Cfg, xml_root: Any = None) -> tuple[Cfg, dict[str, ReportItem]]:
    """cfg respelled for xl 4.17 (order kept) and a report item per respelled key;
    with the XML, also what only old libvirt wrote (:func:`xend_file_disks`, ``<root>``:
    items keyed by the element)."""
    file_disks = xend_file_disks(xml_root) if xml_root is not None else frozenset()
    out: Cfg = {}
    report: dict[str, ReportItem] = {} if xml_root is None else {
        **_os_root(xml_root, cfg), **_shares(xml_root, cfg)}
    for key, value in cfg.items():
        row = ROWS.get(key)
        if row is None:
            out[key] = value
            continue
        new = row.value(value)
        status = row.status(value)
        if key == "disk" and file_disks and _unqdisk(new, file_disks) != new:
            new = _unqdisk(new, file_disks)
            why = "; ".join(w for w in (_disk_why(value), _XEND_FILE_WHY) if w)
            out[key] = new
            report[key] = ReportItem(key, "changed", (key,), f"{why}: {_diff(value, new)}")
            continue
        if status == "kept":
            out[key] = value
            continue
        if new is not None:
            out[row.xl_key] = new
        report[key] = ReportItem(key, status, (row.xl_key,) if new is not None else (),
                                 row.detail(value, new))
    return out, report
