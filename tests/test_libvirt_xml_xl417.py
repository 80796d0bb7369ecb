"""XML -> migrate-config: the keys libvirt's xen-xl writer emits that xl 4.17
ignores or reads otherwise are respelled in xl's terms and reported
(settings/libvirt_xl417.py); format_virconf keeps libvirt's bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from xl_py.render.xlcfg import render_keys
from xl_py.settings.libvirt_xml import format_virconf, xml_to_cfg, xml_to_migration

PV = """<domain type='xen'>
  <name>pvg</name>
  <uuid>5d3c1b0e-8a7f-4c2d-9e6b-1f2a3b4c5d6e</uuid>
  <memory unit='KiB'>262144</memory>
  <bootloader>/usr/bin/pygrub</bootloader>
  <bootloader_args>--kernel=/vmlinuz  --args=quiet</bootloader_args>
  <os><type arch='x86_64' machine='xenpv'>linux</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='vhd'/>
      <source file='/srv/g.vhd'/><target dev='xvda' bus='xen'/></disk>
    <controller type='usb' index='0' model='qusb2' ports='8'/>
    <hostdev mode='subsystem' type='usb' managed='no'>
      <source><address bus='1' device='3'/></source></hostdev>
    <graphics type='sdl' display=':0'/>
  </devices>
</domain>
"""

HVM = """<domain type='xen'>
  <name>hvmg</name>
  <uuid>5d3c1b0e-8a7f-4c2d-9e6b-1f2a3b4c5d6e</uuid>
  <memory unit='KiB'>524288</memory>
  <os><type arch='x86_64' machine='xenfv'>hvm</type></os>
  <devices>
    <parallel type='pty'><target port='0'/></parallel>
    <graphics type='vnc' port='-1' autoport='yes'/>
  </devices>
</domain>
"""


def report(xml: str) -> dict[str, tuple[str, tuple[str, ...], str]]:
    m = xml_to_migration(xml, "g.xml")
    return {i.key: (i.status, i.xl, i.detail) for i in m.report}


def test_pv_keys_respelled_for_xl() -> None:
    m = xml_to_migration(PV, "g.xml")
    cfg = dict(m.entries)
    assert "bootargs" not in cfg
    assert cfg["bootloader_args"] == ["--kernel=/vmlinuz", "--args=quiet"]
    assert cfg["vfb"] == ["vnc=0,sdl=1,display=:0"]
    assert cfg["usbdev"] == ["type=hostdev,hostbus=1,hostaddr=3"]
    assert cfg["disk"] == ["format=vhd,vdev=xvda,access=rw,backendtype=qdisk,target=/srv/g.vhd"]
    r = report(PV)
    assert r["bootargs"] == (
        "renamed", ("bootloader_args",),
        "libvirt's writer says bootargs (xm's key), which xl 4.17 ignores: xl's "
        "bootloader_args, a list split at blanks as xl splits a string")
    assert r["vfb"] == ("changed", ("vfb",), "xl ignores a vfb's type= (an SDL display would "
                        "be VNC): 'type=sdl,display=:0' -> 'vnc=0,sdl=1,display=:0'")
    assert r["usbdev"] == (
        "changed", ("usbdev",), "xl 4.17 leaves a usbdev without type=hostdev empty (the "
        "device is not passed through): 'hostbus=1,hostaddr=3' -> "
        "'type=hostdev,hostbus=1,hostaddr=3'")
    assert r["disk"] == (
        "changed", ("disk",), "format=xvhd is libvirt's spelling of vhd, which xl 4.17 refuses: "
        "'format=xvhd,vdev=xvda,access=rw,backendtype=qdisk,target=/srv/g.vhd' -> "
        "'format=vhd,vdev=xvda,access=rw,backendtype=qdisk,target=/srv/g.vhd'")
    assert r["bootloader"] == ("changed", ("bootloader",), "'/usr/bin/pygrub' -> \"pygrub\": "
                               "xl finds pygrub in its own libexec directory")


def test_libvirts_bytes_unchanged() -> None:
    text = format_virconf(xml_to_cfg(PV, "g.xml")[1])
    assert 'bootargs = "--kernel=/vmlinuz  --args=quiet"' in text
    assert 'vfb = [ "type=sdl,display=:0" ]' in text
    assert 'usbdev = [ "hostbus=1,hostaddr=3" ]' in text


def test_hvm_builder_and_parallel() -> None:
    cfg = dict(xml_to_migration(HVM, "g.xml").entries)
    assert cfg["type"] == "hvm"
    assert "builder" not in cfg and "parallel" not in cfg
    libvirts = [k for k in xml_to_cfg(HVM, "g.xml")[1] if k != "parallel"]
    assert list(cfg) == ["type" if k == "builder" else k for k in libvirts]
    r = report(HVM)
    assert r["builder"] == ("renamed", ("type",),
                            'builder="hvm" -> type="hvm" (builder is deprecated since Xen 4.10)')
    assert r["parallel"] == ("dropped", (), "xl 4.17 has no parallel port (the key is unknown "
                             "to xl): the guest loses parallel = \"pty\"")
    none = HVM.replace("<parallel type='pty'><target port='0'/></parallel>", "")
    assert report(none)["parallel"] == (
        "ignored", (), "xl 4.17 has no parallel port (the key is unknown to xl); 'none' "
        "asked for none")


def test_no_uuid_is_reported_once() -> None:
    r = xml_to_migration(PV.replace("<uuid>5d3c1b0e-8a7f-4c2d-9e6b-1f2a3b4c5d6e</uuid>", ""),
                         "g.xml").report
    assert [(i.key, i.status) for i in r if i.key == "uuid"] == [("uuid", "added")]


def _dryrun(reference: Any, text: str) -> dict[str, Any]:
    res = reference.xl_dryrun_text(text)
    assert res.rc == 0, res.stderr
    return dict(json.loads(res.stdout))


@pytest.mark.reference
def test_reference_xl_reads_the_respelled_keys(reference: Any) -> None:
    """The real xl 4.17 carries every value; libvirt's own spelling loses them."""
    m = xml_to_migration(PV, "g.xml")
    got = _dryrun(reference, render_keys(m.entries, m.comments))
    assert got["b_info"]["bootloader_args"] == ["--kernel=/vmlinuz", "--args=quiet"]
    assert got["vfbs"][0]["sdl"] == {"enable": "True", "display": ":0"}
    assert got["vfbs"][0]["vnc"] == {"enable": "False"}
    assert got["usbdevs"] == [{"type.hostdev": {"hostbus": 1, "hostaddr": 3}}]
    assert got["disks"][0]["format"] == "vhd"
    libvirts = format_virconf(xml_to_cfg(PV, "g.xml")[1]).replace("xvhd", "vhd")
    theirs = _dryrun(reference, libvirts)
    assert "bootloader_args" not in theirs["b_info"]
    assert "enable" not in theirs["vfbs"][0]["sdl"]
    assert theirs["usbdevs"] == [{}]
    hvm = xml_to_migration(HVM, "g.xml")
    assert _dryrun(reference, render_keys(hvm.entries, hvm.comments))["c_info"]["type"] == "hvm"


OLD_LIBVIRT = """<domain type='xen' id='3'>
  <name>rhel5vm</name>
  <memory>524288</memory>
  <bootloader>/usr/bin/pygrub</bootloader>
  <os><type>linux</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='tap' type='aio'/>
      <source file='/var/lib/xen/images/rhel5vm.img'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='tap2' type='aio'/>
      <source file='/var/lib/xen/images/data.img'/>
      <target dev='xvdb' bus='xen'/>
    </disk>
  </devices>
</domain>
"""


def test_blktap_disks_of_old_libvirt_leave_the_backend_to_libxl() -> None:
    """RHEL 5's libvirt wrote <driver name='tap'> for xm's tap:aio: disks; Xen 4.17
    has no blktap, so the backend is left to libxl, as for an xm tap:aio: disk
    (libvirt's writer leaves a tap2 driver's backend out already)."""
    m = xml_to_migration(OLD_LIBVIRT, "old.xml", lambda: "unused")
    entries = dict(m.entries)
    assert entries["disk"] == [
        "format=raw,vdev=xvda,access=rw,target=/var/lib/xen/images/rhel5vm.img",
        "format=raw,vdev=xvdb,access=rw,target=/var/lib/xen/images/data.img"]
    assert entries["bootloader"] == "pygrub"
    item = next(r for r in m.report if r.key == "disk")
    assert item.detail == (
        "Xen 4.17 has no blktap backend: libxl picks one: "
        "'format=raw,vdev=xvda,access=rw,backendtype=tap,target=/var/lib/xen/images/rhel5vm.img'"
        " -> 'format=raw,vdev=xvda,access=rw,target=/var/lib/xen/images/rhel5vm.img'")
