"""Disk specs: differential against libxlutil's xlu_disk_parse, and goldens."""

from __future__ import annotations

import pytest
from spec_support import to_json

from xl_py.errors import ConfigValueError
from xl_py.settings.disk import parse_disk

DISK_CASES = [
    # positional forms
    "/dev/vg/guest,raw,xvda,rw",
    "/dev/vg/guest,,xvda,rw",
    "/dev/vg/guest,xvda,w",
    "/dev/vg/guest,qcow2,hda,r",
    "/a.img,qcow,hdb,ro",
    "/a.vhd,vhd,xvdc",
    "/a.qed,qed,xvdc,w",
    "/a,raw,xvda,rw,extra",
    "/a,badfmt,xvda",
    "/a,raw,xvda,rx",
    "/a,raw,xvda,",
    "/a,raw,xvda",
    "/a",
    "/a,raw",
    "",
    ",",
    ",,hdc:cdrom,r",
    ",hdc:cdrom,r",
    "/iso/x.iso,raw,hdc:cdrom,r",
    "/iso/x.iso,hdc:cdrom,r",
    ",raw,hdc:cdrom,r",
    "/a,hdd:disk,w",
    "/a,hdd:floppy,w",
    "/a,raw,xvda:cdrom",
    # deprecated prefixes
    "phy:/dev/vg/x,xvda,w",
    "file:/images/x.img,xvda,w",
    "tap:aio:/images/x.img,xvda,w",
    "tap:qcow2:/images/x.qcow2,xvda,w",
    "tap:tapdisk:aio:/x,xvda,w",
    "tap2:aio:/x,xvda,w",
    "tapdisk:aio:/x,xvda,w",
    "aio:/x,xvda,w",
    "ioemu:/x,hda,w",
    "raw:/x,xvda,w",
    "qcow:/x,xvda,w",
    "qcow2:/x,xvda,w",
    "vhd:/x,xvda,w",
    "vhd:/x,raw,xvda,w",
    "qcow2:/x,xvda,w,format=raw",
    "qcow2:/x,xvda,w,format=qcow2",
    "iscsi:iqn.2001-05.com.example:target,xvda,w",
    "nbd:host:1234,xvda,w",
    "enbd:host,xvda,w",
    "drbd:res0,xvda,w",
    "drbd:res0,xvda,w,script=block-x",
    "foo:/x,xvda,w",
    "foo:bar,xvda,w",
    "phy:/dev/x,hdc:cdrom,r",
    "file:,hdc:cdrom,r",
    "phy:",
    # key=value forms
    "vdev=xvda,target=/dev/x",
    "vdev=xvda,access=r,target=/dev/x",
    "vdev=xvda,access=ro,format=qcow2,target=/x.qcow2",
    "format=raw, vdev=xvda, access=w, target=/dev/vg/guest",
    "target=/dev/x,vdev=xvda",
    "vdev=xvda,target=/path/with,comma,",
    "vdev=xvda,target=",
    "vdev=hdc,devtype=cdrom,target=/x.iso",
    "vdev=hdc,devtype=cdrom",
    "hdc,devtype=cdrom",
    "vdev=hdc,cdrom",
    "vdev=hda,devtype=disk,target=/x",
    "vdev=hda,devtype=floppy,target=/x",
    "vdev=xvda,access=x,target=/x",
    "vdev=xvda,format=qcow3,target=/x",
    "vdev=xvda,backendtype=phy,target=/dev/x",
    "vdev=xvda,backendtype=tap,target=/x",
    "vdev=xvda,backendtype=qdisk,target=/x",
    "vdev=xvda,backendtype=standalone,target=/x",
    "vdev=xvda,backendtype=blk,target=/x",
    "vdev=xvda,backendtype=phy,backendtype=qdisk,target=/x",
    "vdev=xvda,backend=dom0,target=/x",
    "vdev=xvda,backend=drvdom,backend=other,target=/x",
    "vdev=xvda,specification=xen,target=/x",
    "vdev=xvda,specification=virtio,target=/x",
    "vdev=xvda,specification=scsi,target=/x",
    "vdev=xvda,script=block-iscsi,target=iqn",
    "vdev=xvda,script=a,script=b,target=iqn",
    "vdev=xvda,direct-io-safe,target=/x",
    "vdev=xvda,discard,target=/x",
    "vdev=xvda,no-discard,target=/x",
    "vdev=xvda,discard,no-discard,target=/x",
    "vdev=xvda,trusted,target=/x",
    "/x,xvda,w,trusted",
    "vdev=xvda,untrusted,target=/x",
    "vdev=xvda,colo,colo-host=h,colo-port=9000,colo-export=e,active-disk=/a,"
    "hidden-disk=/h,target=/x",
    "vdev=xvda,no-colo,target=/x",
    "vdev=xvda,colo-port=abc,target=/x",
    "vdev=xvda,colo-port=0,target=/x",
    "vdev=xvda,vdev=xvdb,target=/x",
    "/x,xvda,vdev=xvdb",
    "vdev=xvda,foo=1,target=/x",
    "vdev=xvda,foo=12,target=/x",
    "vdev=xvda,Foo=1,target=/x",
    "vdev=xvda,foo=,target=/x",
    "vdev=xvda,=x,target=/x",
    "vdev=xvda,target=/x,access=r",
    "target=/dev/x",
    "access=r",
    "/x,xvda,w,cdrom",
    "/x,xvda,w,devtype=cdrom",
    "  /x,  xvda,  w",
    "/x ,xvda ,w",
    "/x,xvda,w ",
    "phy:/dev/x,xvda,w,discard,direct-io-safe,backendtype=phy",
    "/dev/x,raw,xvda,w,specification=virtio",
    "format=,vdev=xvda,target=/x",
    "format=vhd,format=vhd,vdev=xvda,target=/x",
    "format=vhd,format=raw,vdev=xvda,target=/x",
    "/x,xvda,r,access=w",
    "/x,xvda,access=w,r",
    "/a=b,xvda,w",
    "vdev=xvda,target=/x\n,access=r",
    "/x,xvda,w\n",
]


@pytest.mark.reference
@pytest.mark.parametrize("spec", DISK_CASES)
def test_disk_matches_libxlutil(reference, spec: str) -> None:
    ref = reference.xlu_disk(spec)
    if ref["rc"] != 0:
        with pytest.raises(ConfigValueError):
            parse_disk(spec)
        return
    assert to_json(parse_disk(spec)) == ref["libxl_disk"], ref


# Seeded random specs from a token soup: the scanner's longest-match corners
# (prefix trailing context, whitespace rule, stray last characters ...).
SOUP = ["phy:", "file:", "tap:", "aio:", "qcow2:", "raw:", "vhd:", "nbd:", "foo:", "tap2:",
        "tapdisk:", "ioemu:", "/dev/x", "/a.img", "", "xvda", "hda", "hdc:cdrom", "hdc:disk",
        "x:y", "r", "w", "rw", "ro", "raw", "qcow", "qcow2", "vdev=xvdb", "target=/t", "target=",
        "format=raw", "format=qcow2", "format=", "access=r", "access=", "devtype=cdrom",
        "devtype=disk", "cdrom", "discard", "no-discard", "direct-io-safe", "colo",
        "colo-port=1", "backend=d", "backendtype=phy", "script=s", "specification=virtio",
        "foo=1", "foo=", "=", " ", "  xvda", "a b", "trusted", "vdev=", "hidden-disk=h", "x=yz"]


def _soup_specs(seed: int, count: int) -> list[str]:
    import random

    rng = random.Random(seed)
    specs = []
    for _ in range(count):
        size = rng.randint(1, 5)
        parts = [rng.choice(SOUP) + (rng.choice([",", ",", ",", "", ", "]) if i < size - 1
                                     else rng.choice(["", "", ","])) for i in range(size)]
        specs.append("".join(parts))
    return specs


@pytest.mark.reference
def test_disk_soup_matches_libxlutil(reference) -> None:
    disagree = []
    for spec in _soup_specs(20231126, 400):
        ref = reference.xlu_disk(spec)
        try:
            ours = to_json(parse_disk(spec))
        except ConfigValueError:
            ours = None
        if (ours is not None if ref["rc"] else ours != ref["libxl_disk"]):
            disagree.append((spec, ref))
    assert disagree == []


def test_several_specs_describe_one_disk() -> None:
    """xl block-attach DOM phy:/dev/x xvda w: one disk from three arguments."""
    from xl_py.settings.disk import parse_disk_multi

    assert parse_disk_multi(("phy:/dev/x", "xvda", "w")) == parse_disk("phy:/dev/x,xvda,w")
    assert parse_disk_multi(("/dev/x,raw", "xvda,r")) == parse_disk("/dev/x,raw,xvda,r")
    with pytest.raises(ConfigValueError):
        parse_disk_multi(("phy:/dev/x", "xvda", "w", "r"))
