"""Regenerate the spec goldens (one JSON file per sub-language).

    .venv/bin/python tests/data/specs/regenerate.py

Each file: "same" groups (several spellings, one expected libxl JSON) and
"invalid" specs with xl_py's full message.  Disk, pci and rate results are
checked against libxlutil while regenerating (when the reference can run).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from spec_support import to_json  # noqa: E402

from xl_py.errors import ConfigValueError  # noqa: E402
from xl_py.settings import channel, disk, pci, rate, usb, vdispl, vfb, vif, vtpm  # noqa: E402

PARSERS: dict[str, Callable[[str], Any]] = {
    "disk": disk.parse_disk,
    "pci": pci.parse_pci,
    "rate": rate.parse_rate,
    "vif": vif.parse_vif,
    "vfb": vfb.parse_vfb,
    "vkb": vfb.parse_vkb,
    "channel": channel.parse_channel,
    "usbctrl": usb.parse_usbctrl,
    "usbdev": usb.parse_usbdev,
    "vtpm": vtpm.parse_vtpm,
    "p9": vtpm.parse_p9,
    "pvcalls": vtpm.parse_pvcalls,
    "vdispl": vdispl.parse_vdispl,
}

SAME: dict[str, list[list[str]]] = {
    "disk": [
        ["phy:/dev/vg/guest,xvda,w", "/dev/vg/guest,raw,xvda,w", "/dev/vg/guest,,xvda,rw",
         "vdev=xvda,target=/dev/vg/guest", "format=raw,vdev=xvda,access=rw,target=/dev/vg/guest",
         "format=raw, vdev=xvda, access=w, target=/dev/vg/guest", "file:/dev/vg/guest,xvda,w",
         "tap:aio:/dev/vg/guest,xvda,w", "aio:/dev/vg/guest,xvda", "phy:/dev/vg/guest,xvda"],
        ["/srv/a.qcow2,qcow2,xvdb,r", "qcow2:/srv/a.qcow2,xvdb,ro",
         "tap:qcow2:/srv/a.qcow2,xvdb,r", "format=qcow2,vdev=xvdb,access=ro,target=/srv/a.qcow2"],
        [",,hdc:cdrom,r", ",hdc:cdrom,r", "vdev=hdc,access=r,devtype=cdrom,target="],
        ["vdev=hdc,devtype=cdrom", "devtype=cdrom,vdev=hdc", "vdev=hdc,cdrom"],
        ["/srv/i.iso,raw,hdc:cdrom,r", "vdev=hdc,devtype=cdrom,target=/srv/i.iso",
         "/srv/i.iso,raw,hdc,r,devtype=cdrom"],
        ["iscsi:iqn.x:y,xvda,w", "vdev=xvda,script=block-iscsi,target=iqn.x:y"],
    ],
    "pci": [
        ["01:02.3", "0000:01:02.3", "bdf=01:02.3", "bdf=0000:01:02.3", "1:2.3"],
        ["0000:03:00.*@5,permissive=1", "03:00.*@5,permissive=1",
         "bdf=03:00.*,vslot=5,permissive=1", "03:00.*,permissive=7,vslot=0x5"],
        ["name=gpu0,rdm_policy=relaxed", "name=gpu0,rdm_policy=RELAXED"],
    ],
    "rate": [["10Mb/s@20ms", "1250KB/s@20ms", "1250000B/s@20000us", "10000Kb/s@20m"],
             ["5MB/s", "5MB/s@50ms", "40Mb/s@50000us", "5000KB/s@50ms"]],
    "vif": [
        ["mac=00:16:3e:01:02:03,bridge=br0", "bridge=br0,mac=00:16:3E:01:02:03",
         "mac=0:16:3e:1:2:3, bridge=br0", "mac=00-16-3e-01-02-03,,bridge=br0"],
        ["rate=10Mb/s@20ms,type=ioemu,model=e1000", "model=e1000,type=ioemu,rate=1250KB/s@20ms"],
        ["gatewaydev=eth0", "netdev=eth0"],
    ],
    "vfb": [["vnc=1,vnclisten=0.0.0.0,keymap=de", "keymap=de, vnclisten=0.0.0.0, vnc=1",
             "vnc=7,vnclisten=0.0.0.0,keymap=de,foo=bar"]],
    "vkb": [["backend-type=linux,multi-touch-width=10,multi-touch-height=20,"
             "multi-touch-num-contacts=2",
             "backend-type=LINUX,feature-multi-touch=1,multi-touch-width=10,"
             "multi-touch-height=20,multi-touch-num-contacts=2"]],
    "channel": [["name=org.x,connection=socket,path=/run/x.sock",
                 " name = org.x , connection = socket , path = /run/x.sock ",
                 "connection=socket,path=/run/x.sock,name=org.x"]],
    "usbctrl": [["type=qusb,version=2,ports=4", "ports=4,version=2,type=QUSB"]],
    "usbdev": [["type=hostdev,hostbus=1,hostaddr=2", "hostaddr=2,hostbus=0x1,type=hostdev"]],
    "vtpm": [["backend=0,uuid=B7E2F8D2-7A1C-4E5F-9A0B-3C4D5E6F7A8B",
              "uuid=b7e2f8d2-7a1c-4e5f-9a0b-3c4d5e6f7a8b,backend=0"]],
    "p9": [["tag=t,path=/p,security_model=none", "security_model=none, path=/p, tag=t"]],
    "pvcalls": [["backend=0", " backend=0,"]],
    "vdispl": [["connectors=c0:800x600;c1:640x480", "be-alloc=0,connectors=c0:800x600;c1:640x480"]],
}

INVALID: dict[str, list[str]] = {
    "disk": ["phy:/dev/x,xvda,w,foo=1", "/dev/x,raw,xvda,rx", "/dev/x,xvda,w",
             "vdev=xvda,format=qcow3,target=/x", "vdev=xvda,backendtype=blk,target=/x",
             "vdev=xvda,devtype=floppy,target=/x", "vdev=xvda,specification=scsi,target=/x",
             "foo:/dev/x,xvda,w", "/dev/x,raw,xvda,w,extra", "/dev/x", "vdev=xvda", "",
             "vdev=xvda,vdev=xvdb,target=/x", "qcow2:/x,xvda,w,format=raw",
             "vdev=xvda,colo-port=abc,target=/x", "vdev=xvda,=x,target=/x",
             "/dev/x,hdd:floppy,w", ",,hdc:dvd,r"],
    "pci": ["01:02.8", "01:20.0", "100:00.0", "10000:00:00.0", "permissive=1",
            "01:02.3,name=gpu", "01:02.3,foo=1", "01:02.3,permissive", "01:02.3@20",
            "01:02.3x", "01:02.3,rdm_policy=lax", "", "01:02.3,bdf=zz", "01:02", "a:b.c@",
            "01:02.3,vslot=40"],
    "rate": ["10Mbps", "4294967296B/s", "10Mb/s@20ns", "@20ms", "", "0Mb/s", "08Mb/s",
             "10Mb/s@0", "10Mb/s@4295s", "10 Mb/s"],
    "vif": ["rate=10Mbps", "devid=abc", "mtu=big", "rate=10Mb/s@"],
    "vkb": ["unique-id=k", "backend-type=x11", "backend-type=linux,foo=1",
            "backend-type=linux,feature-multi-touch=1", "backend-type=linux,novalue"],
    "channel": ["name=c", "name=c,connection=tcp", "name=c,connection=socket", "name=c,pty",
                "", ",,,"],
    "usbctrl": ["type=ehci", "speed=high", "version"],
    "usbdev": ["type=keyboard", "hostbus=1,bus=2"],
    "vtpm": ["uuid=b7e2f8d2-7a1c-4e5f-9a0b-3c4d5e6f7a8b", "backend=0,uuid=nope",
             "backend=0,foo=1", ""],
    "p9": ["tag=share,path=/srv", "tag=a,path=/b,security_model=none,ro=1", ""],
    "pvcalls": ["frontend=0"],
    "vdispl": ["be-alloc=1", "connectors=c0", "connectors=c0:12", "connectors=c:1x1,x=1", ""],
}


def result(lang: str, spec: str) -> Any:
    value = PARSERS[lang](spec)
    return list(value) if isinstance(value, tuple) and lang == "rate" else to_json(value)


def check_reference(lang: str, spec: str, expected: Any) -> None:
    try:
        from reference import xlref
    except ImportError:
        return
    if xlref.unavailable() or lang not in ("disk", "pci", "rate"):
        return
    call = {"disk": xlref.xlu_disk, "pci": xlref.xlu_pci, "rate": xlref.xlu_vif_rate}[lang]
    ref = call(spec)
    if expected is None:
        assert ref["rc"] != 0, (lang, spec, "libxlutil accepts")
        return
    assert ref["rc"] == 0, (lang, spec, ref["report"])
    got = ref[{"disk": "libxl_disk", "pci": "libxl_pci", "rate": "libxl_nic"}[lang]]
    if lang == "rate":
        got = [got.get("rate_bytes_per_interval", 0), got.get("rate_interval_usecs", 0)]
    assert got == expected, (lang, spec, got, expected)


def main() -> int:
    for lang in PARSERS:
        same = []
        for group in SAME.get(lang, []):
            expected = result(lang, group[0])
            for spec in group:
                got = result(lang, spec)
                assert got == expected, (lang, spec, got, expected)
                check_reference(lang, spec, expected)
            same.append({"spellings": group, "expected": expected})
        invalid = []
        for spec in INVALID.get(lang, []):
            try:
                PARSERS[lang](spec)
            except ConfigValueError as exc:
                invalid.append({"spec": spec, "message": str(exc)})
                check_reference(lang, spec, None)
            else:
                raise AssertionError(f"{lang}: {spec!r} should be invalid")
        data = {"same": same, "invalid": invalid}
        (HERE / f"{lang}.json").write_text(json.dumps(data, indent=2) + "\n")
        print(f"{lang}: {sum(len(g['spellings']) for g in same)} spellings, "
              f"{len(invalid)} invalid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
