"""xm keys of Xen 3.0.2 - 3.3 that xend 4.4's create.py no longer declares
(audio cdrom ne2000 ssidref tpmif usbport), and Xen 3.0's names (vmxloader):
each has a row saying what xend did with it, instead of 'a helper variable'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from legacy_support import xl_json

from xl_py.render.xlcfg import render_keys
from xl_py.settings.legacy import RULES, from_xm, migrate
from xl_py.syntax.xm import read_xm

UUID = "00000000-0000-4000-8000-00000000abcd"
HVM = "builder = 'vmx'\n"
# gopts.var of create.py in 3.0.2, 3.0.4, 3.1 and 3.3 that 4.4 lacks
XEN_3_ONLY = ("audio", "cdrom", "ne2000", "ssidref", "tpmif", "usbport", "vtpm")


def mig(text: str) -> Any:
    return migrate(from_xm(read_xm("name = 'g'\n" + text, "t.cfg")), lambda: UUID)


def rows(m: Any) -> dict[str, tuple[str, tuple[str, ...], str]]:
    return {r.key: (r.status, r.xl, r.detail) for r in m.report}


def test_every_xen_3_key_has_a_row() -> None:
    assert [k for k in XEN_3_ONLY if k not in RULES] == []


CDROM = "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/dev/cdrom"


@pytest.mark.parametrize(("src", "key", "row"), [
    (HVM + "cdrom = '/dev/cdrom'\n", "cdrom",
     ("changed", ("disk",), f"Xen 3.0's CD-ROM: added to disk= as \"{CDROM}\"")),
    ("cdrom = '/dev/cdrom'\n", "cdrom",
     ("dropped", (), "HVM-only option in a PV guest config: xend ignored it")),
    (HVM + "cdrom = ''\n", "cdrom", ("dropped", (), "empty")),
    (HVM + "ne2000 = 0\n", "ne2000", ("dropped", (), "ne2000=0: qemu's default NIC, as in xl")),
    (HVM + "ne2000 = 1\n", "ne2000",
     ("decision", (), "Xen 3.0's qemu-dm NE2000 NIC: add model=ne2k_pci to the vif specs if "
      "the guest needs that card")),
    (HVM + "audio = 1\n", "audio",
     ("decision", (), "Xen 3.0's qemu-dm audio: set soundhw= (e.g. \"sb16\") if the guest "
      "needs sound")),
    (HVM + "audio = 0\n", "audio", ("dropped", (), "audio=0: no sound card, as in xl by default")),
    ("usbport = ['/sys/bus/usb/devices/1-1']\n", "usbport",
     ("decision", (), "Xen 3.0 PV USB port: rewrite as usbctrl=[...] and usbdev=[...] "
      "(value was ['/sys/bus/usb/devices/1-1'])")),
    ("tpmif = 1\n", "tpmif",
     ("dropped", (), "driver domains: the vTPM backend domain needs no flag in xl")),
    ("ssidref = 3\n", "ssidref",
     ("dropped", (), "ACM policies were removed from Xen; use seclabel= with XSM")),
    (HVM + "kernel = '/usr/lib/xen/boot/vmxloader'\n", "kernel",
     ("dropped", (), "HVM firmware: xl always loads its own hvmloader")),
    ("nics = 0\n", "nics", ("dropped", (), "deprecated; nics=0 made xend add no vif")),
])
def test_xen_3_rows(src: str, key: str, row: tuple[str, tuple[str, ...], str]) -> None:
    m = mig(src)
    assert m.errors == ()
    assert rows(m)[key] == row


def test_cdrom_follows_the_disks_wherever_it_is_set() -> None:
    for src in ("cdrom = '/dev/cdrom'\ndisk = ['file:/img,ioemu:hda,w']\n",
                "disk = ['file:/img,ioemu:hda,w']\ncdrom = '/dev/cdrom'\n"):
        assert mig(HVM + src).get("disk") == [
            "format=raw, vdev=hda, access=rw, target=/img", CDROM]
    assert mig(HVM + "cdrom = '/dev/cdrom'\n").get("disk") == [CDROM]


def test_cdrom_and_an_hdc_disk_collide() -> None:
    m = mig(HVM + "disk = ['file:/img,hdc,w']\ncdrom = '/x.iso'\n")
    assert [d.format() for d in m.errors] == [
        "t.cfg:4:1: error: cdrom: disk= already has an hdc, where Xen 3.0's qemu-dm put the "
        "CD-ROM: give one of them another vdev\n    4 | cdrom = '/x.iso'\n      | ^^^^^^^^^^^^^^^^"]


@pytest.mark.reference
def test_reference_xl_reads_the_xen_3_cdrom(reference: Any, tmp_path: Path) -> None:
    iso = tmp_path / "install.iso"
    iso.write_bytes(b"")
    m = mig(f"{HVM}kernel = '/usr/lib/xen/boot/vmxloader'\ncdrom = '{iso}'\n"
            "disk = ['file:/dev/null,ioemu:hda,w']\n")
    assert m.errors == ()
    disks = xl_json(reference, render_keys(m.entries, m.comments))["disks"]
    assert [(d["vdev"], d["pdev_path"], d.get("is_cdrom", 0), d.get("readwrite", 0))
            for d in disks] == [("hda", "/dev/null", 0, 1), ("hdc", str(iso), 1, 0)]
