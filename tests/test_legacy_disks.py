"""xm / SXP disk prefixes (blkif.py, BlktapController.py, blktapctrl): every
blktap chain xend accepted maps onto xl's disk spec with its meaning; the
drivers xl cannot read are refused with what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from legacy_support import xl_json

from xl_py.render.xlcfg import render_keys
from xl_py.settings.legacy import from_xm, migrate
from xl_py.settings.legacy_devices import convert_disk
from xl_py.settings.legacy_sxp import from_sxp
from xl_py.syntax.sxp import parse_sxp
from xl_py.syntax.xm import read_xm

FIXED_UUID = "00000000-0000-4000-8000-00000000abcd"
QDISK = " (qemu served the image, as xl's qdisk backend does)"


@pytest.mark.parametrize(("spec", "xl", "change"), [
    ("tap:tapdisk:aio:/p,xvda,w", "format=raw, vdev=xvda, access=rw, target=/p",
     "'tap:tapdisk:aio:' prefix -> format=raw"),
    ("tap:tapdisk:vhd:/v.vhd,xvdb,r", "format=vhd, vdev=xvdb, access=ro, target=/v.vhd",
     "'tap:tapdisk:vhd:' prefix -> format=vhd"),
    ("tap:tapdisk:qcow:/q,xvdc,w", "format=qcow, vdev=xvdc, access=rw, target=/q",
     "'tap:tapdisk:qcow:' prefix -> format=qcow"),
    ("tap:tapdisk:qcow2:/q,xvdc,w", "format=qcow2, vdev=xvdc, access=rw, target=/q",
     "'tap:tapdisk:qcow2:' prefix -> format=qcow2"),
    ("tap:ioemu:qcow2:/q,hda,w",
     "format=qcow2, vdev=hda, access=rw, backendtype=qdisk, target=/q",
     "'tap:ioemu:qcow2:' prefix -> format=qcow2, backendtype=qdisk" + QDISK),
    ("tap:ioemu:aio:/p,hda,w", "format=raw, vdev=hda, access=rw, backendtype=qdisk, target=/p",
     "'tap:ioemu:aio:' prefix -> format=raw, backendtype=qdisk" + QDISK),
    ("tap2:aio:/p,xvda,w", "format=raw, vdev=xvda, access=rw, target=/p",
     "'tap2:aio:' prefix -> format=raw"),
    ("tap2:vhd:/v,xvda,w", "format=vhd, vdev=xvda, access=rw, target=/v",
     "'tap2:vhd:' prefix -> format=vhd"),
    ("tap2:ioemu:vhd:/v,xvda,w", "format=vhd, vdev=xvda, access=rw, backendtype=qdisk, target=/v",
     "'tap2:ioemu:vhd:' prefix -> format=vhd, backendtype=qdisk" + QDISK),
    ("tap:sync:/p,xvda,w", "format=raw, vdev=xvda, access=rw, target=/p",
     "'tap:sync:' prefix -> format=raw"),
    ("tap:ram:/r,xvda,w", "format=raw, vdev=xvda, access=rw, target=/r",
     "'tap:ram:' prefix -> format=raw; tapdisk's ram driver kept the image in memory and "
     "never wrote the guest's changes back; xl writes them to the image (give it a copy if "
     "the guest relied on that)"),
])
def test_blktap_chains(spec: str, xl: str, change: str) -> None:
    got = convert_disk(spec)
    assert (got.spec, got.changes, got.problems) == (xl, (change,), ())


@pytest.mark.parametrize(("spec", "problem"), [
    ("tap:vmdk:/v.vmdk,hda,w", "disk 'tap:vmdk:/v.vmdk,hda,w': 'tap:vmdk:' is a VMware "
     "image: xl reads no VMDK; convert it (qemu-img convert -O qcow2) and use format=qcow2"),
    ("tap:tapdisk:vmdk:/v,hda,w", "disk 'tap:tapdisk:vmdk:/v,hda,w': 'tap:tapdisk:vmdk:' is "
     "a VMware image: xl reads no VMDK; convert it (qemu-img convert -O qcow2) and use "
     "format=qcow2"),
    ("tap2:tapdisk:remus:/x,xvda,w", "disk 'tap2:tapdisk:remus:/x,xvda,w': "
     "'tap2:tapdisk:remus:' is blktap2's Remus replication driver: xl has no such disk; "
     "give the image's own path and format, and replicate with 'xl remus'"),
    ("tap:ioemu:/p,hda,w", "disk 'tap:ioemu:/p,hda,w': unknown prefix in 'tap:ioemu:/p'"),
])
def test_blktap_drivers_xl_cannot_read(spec: str, problem: str) -> None:
    assert convert_disk(spec).problems == (problem,)


def test_running_blktap2_domain_sxp() -> None:
    """A running blktap2 domain's SXP: (uname tap:tapdisk:aio:/p) (getDeviceConfiguration)."""
    doc = parse_sxp("(domain (name g) (image (linux (kernel /k)))\n"
                    " (device (tap2 (uname tap:tapdisk:aio:/srv/g.img) (dev xvda) (mode w)))\n"
                    " (device (tap (uname tap:tapdisk:vhd:/srv/d.vhd) (dev xvdb:disk) "
                    "(mode r))))", "g.sxp")
    m = migrate(from_sxp(doc), lambda: FIXED_UUID)
    assert m.errors == ()
    assert m.get("disk") == ["format=raw, vdev=xvda, access=rw, target=/srv/g.img",
                             "format=vhd, vdev=xvdb, access=ro, target=/srv/d.vhd"]
    disk = next(r for r in m.report if r.key == "disk")
    assert (disk.status, disk.detail) == ("changed", "'tap:tapdisk:aio:' prefix -> format=raw; "
                                          "'tap:tapdisk:vhd:' prefix -> format=vhd")


@pytest.mark.reference
def test_reference_xl_reads_blktap_disks(reference: Any, tmp_path: Path) -> None:
    images = [tmp_path / n for n in ("a.img", "b.qcow2", "c.vhd", "d.img")]
    for image in images:
        image.write_bytes(b"")
    src = ("name = 'g'\nkernel = '/boot/vmlinuz'\ndisk = [\n"
           f" 'tap:tapdisk:aio:{images[0]},xvda,w',\n"
           f" 'tap:ioemu:qcow2:{images[1]},xvdb,w',\n"
           f" 'tap2:tapdisk:vhd:{images[2]},xvdc,r',\n"
           f" 'tap2:aio:{images[3]},xvdd,w']\n")
    m = migrate(from_xm(read_xm(src, "g.cfg")), lambda: FIXED_UUID)
    assert m.errors == ()
    disks = xl_json(reference, render_keys(m.entries, m.comments))["disks"]
    assert [(d["pdev_path"], d["vdev"], d.get("format"), d.get("backend"),
             d.get("readwrite", 0)) for d in disks] == [
        (str(images[0]), "xvda", "raw", None, 1),
        (str(images[1]), "xvdb", "qcow2", "qdisk", 1),
        (str(images[2]), "xvdc", "vhd", None, 0),
        (str(images[3]), "xvdd", "raw", None, 1)]
