"""migrate-config from libvirt XML: what a device holds that the conversion
does not read is reported, and an HVM guest keeps the video card libvirt gave it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run

HVM = """<domain type='xen'>
  <name>win</name>
  <uuid>6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</uuid>
  <memory unit='MiB'>1024</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/win.img'/>
      <target dev='hda' bus='ide'/>
      <iotune><total_bytes_sec>1000000</total_bytes_sec></iotune>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:00:00:01'/>
      <source bridge='xenbr0'/>
      <driver name='qemu'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </interface>
{video}  </devices>
</domain>
"""


def migrate(tmp_path: Path, video: str) -> tuple[int, str, str]:
    src = tmp_path / "win.xml"
    src.write_text(HVM.format(video=video))
    out, err = io.StringIO(), io.StringIO()
    rc = cli_run(["migrate-config", str(src)], Context(stdout=out, stderr=err))
    return rc, out.getvalue(), err.getvalue().replace(str(tmp_path) + "/", "")


def test_device_children_not_read_are_reported(tmp_path: Path) -> None:
    rc, _, err = migrate(tmp_path, "")
    assert rc == 0
    assert ("win.xml:11:7: dropped: <disk><iotune>: libvirt's xen-xl converter reads no "
            "<iotune> of a <disk>: xl.cfg has no key for it\n") in err
    assert ("win.xml:16:7: dropped: <interface><driver>: libvirt's xen-xl converter reads no "
            "<driver> of a <interface>: xl.cfg has no key for it\n") in err
    assert ("win.xml:17:7: ignored: <interface><address>: libvirt's placement of the device "
            "(bus, slot or drive address): xl places its devices itself\n") in err


@pytest.mark.parametrize(("model", "keys", "line"), [
    ("<model type='vga' vram='32768' heads='1'/>", 'vga = "stdvga"\nvideoram = 32\n',
     "changed: <video><model type='vga'> -> vga, videoram: libvirt's libxl driver gives the "
     "guest this card; libvirt's xen-xl converter writes no key for it: vga='stdvga', "
     "videoram=32"),
    ("<model type='vga' vram='16384'/>", 'vga = "stdvga"\n',
     "changed: <video><model type='vga'> -> vga: libvirt's libxl driver gives the guest this "
     "card; libvirt's xen-xl converter writes no key for it: vga='stdvga'"),
    ("<model type='cirrus' vram='8192'/>", "",
     "kept: <video><model type='cirrus'>: cirrus with its default video memory: xl's default "
     "card"),
    ("<model type='virtio'/>", "",
     "dropped: <video><model type='virtio'>: xl has no virtio card (stdvga, cirrus, qxl or "
     "none)"),
])
def test_an_hvm_guest_keeps_its_video_card(tmp_path: Path, model: str, keys: str,
                                           line: str) -> None:
    rc, out, err = migrate(tmp_path, f"    <video>\n      {model}\n    </video>\n")
    assert rc == 0
    assert f"win.xml:20:7: {line}\n" in err
    for key_line in keys.splitlines():
        assert f"\n{key_line}\n" in out


def test_a_second_card_is_dropped(tmp_path: Path) -> None:
    video = "    <video><model type='vga'/></video>\n    <video><model type='qxl'/></video>\n"
    _, out, err = migrate(tmp_path, video)
    assert 'vga = "stdvga"\n' in out and "qxl" not in out
    assert ("win.xml:20:12: dropped: <video><model type='qxl'>: xl gives an HVM guest one "
            "emulated card\n") in err


@pytest.mark.reference
def test_reference_xl_gives_the_card(tmp_path: Path, reference: Any) -> None:
    _, out, _ = migrate(tmp_path, "    <video>\n      <model type='vga' vram='32768'/>\n"
                                  "    </video>\n")
    cfg = tmp_path / "win.cfg"
    cfg.write_text(out)
    res = reference.xl_dryrun(cfg)
    assert res.rc == 0, res.stderr
    hvm = json.loads(res.stdout)["b_info"]["type.hvm"]
    assert (hvm["vga"]["kind"], json.loads(res.stdout)["b_info"]["video_memkb"]) == (
        "std", 32768)


def test_features_the_conversion_does_not_read_are_reported(tmp_path: Path) -> None:
    src = tmp_path / "pv.xml"
    src.write_text("<domain type='xen'>\n  <name>pv</name>\n  <memory>262144</memory>\n"
                   "  <os><type>linux</type><kernel>/k</kernel></os>\n"
                   "  <features>\n    <pae/>\n    <acpi/>\n  </features>\n</domain>\n")
    out, err = io.StringIO(), io.StringIO()
    assert cli_run(["migrate-config", str(src)], Context(stdout=out, stderr=err)) == 0
    report = err.getvalue().replace(str(tmp_path) + "/", "")
    assert ("pv.xml:6:5: ignored: <features><pae>: a PV guest's kernel decides it; xl has no "
            "key for it (old libvirt wrote it for PV guests too)\n") in report
    assert "pv.xml:2:3: kept: name: from the libvirt XML\n" in report  # placed at <name>
    rc, _, err2 = migrate(tmp_path, "")
    assert rc == 0 and "dropped: <features>" not in err2
    hvm = HVM.format(video="").replace("<os><type>hvm</type></os>",
                                       "<os><type>hvm</type></os>\n  <features><vmport/>"
                                       "</features>")
    (tmp_path / "win.xml").write_text(hvm)
    out, err = io.StringIO(), io.StringIO()
    cli_run(["migrate-config", str(tmp_path / "win.xml")], Context(stdout=out, stderr=err))
    assert ("win.xml:6:13: dropped: <features><vmport>: xl.cfg has no key for this feature\n"
            in err.getvalue().replace(str(tmp_path) + "/", ""))
