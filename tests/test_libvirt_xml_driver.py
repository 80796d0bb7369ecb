"""XML for libvirt's libxl driver (``to_xml(..., for_libxl_driver=True)``): what
the libvirt backend's create and ``migrate-config --to libvirt`` send, where the
driver honours more than libvirt's xen-xl converter reads -- so that libvirt
starts the guest xl would start from the same xl.cfg."""

from __future__ import annotations

import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xl_py import pipeline
from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run

HVM = 'name = "w"\ntype = "hvm"\nmemory = 512\nvnc = 1\n'


def driver_xml(text: str) -> ET.Element:
    cfg = {k: v for k, v in _values(text).items()}
    return ET.fromstring(pipeline.libvirt_xml(cfg, for_libxl_driver=True))


def _values(text: str) -> dict[str, object]:
    from xl_py.settings.libvirt_xml import xlcfg_values

    return xlcfg_values(text, "g.cfg")


@pytest.mark.parametrize(("keys", "model"), [
    ("stdvga = 1\n", {"type": "vga", "vram": "16384", "heads": "1", "primary": "yes"}),
    ('vga = "stdvga"\nvideoram = 32\n',
     {"type": "vga", "vram": "32768", "heads": "1", "primary": "yes"}),
    ('vga = "qxl"\n', {"type": "qxl", "vram": "16384", "heads": "1", "primary": "yes"}),
    ("videoram = 16\n", {"type": "cirrus", "vram": "16384", "heads": "1", "primary": "yes"}),
    ("", {"type": "cirrus", "vram": "8192", "heads": "1", "primary": "yes"}),  # as converter
])
def test_the_card_xl_would_give(keys: str, model: dict[str, str]) -> None:
    got = driver_xml(HVM + keys).find("devices/video/model")
    assert got is not None and dict(got.attrib) == model


def test_vga_none_is_no_video_at_all() -> None:
    assert driver_xml(HVM + 'vga = "none"\n').find("devices/video") is None


def test_the_converters_xml_keeps_libvirts_default_card() -> None:
    xml = ET.fromstring(pipeline.libvirt_xml(_values(HVM + "stdvga = 1\n")))
    model = xml.find("devices/video/model")
    assert model is not None and model.get("type") == "cirrus"  # libvirt's reader: no stdvga


def test_weight_and_pins_share_one_cputune() -> None:
    root = driver_xml('name = "g"\nkernel = "/k"\nmemory = 128\nmaxvcpus = 2\nvcpus = 2\n'
                      'cpu_weight = 512\ncpus = ["0", "1"]\n')
    tune = root.find("cputune")
    assert tune is not None
    assert [(e.tag, dict(e.attrib), e.text) for e in tune] == [
        ("shares", {}, "512"), ("vcpupin", {"vcpu": "0", "cpuset": "0"}, None),
        ("vcpupin", {"vcpu": "1", "cpuset": "1"}, None)]
    tags = [e.tag for e in root]
    assert tags.index("cputune") == tags.index("vcpu") + 1


def test_raw_file_disks_without_backendtype_are_left_to_libxl() -> None:
    root = driver_xml('name = "g"\nkernel = "/k"\nmemory = 128\ndisk = [ '
                      '"format=raw,vdev=xvda,target=/srv/a.img", '
                      '"format=qcow2,vdev=xvdb,target=/srv/b.qcow2", '
                      '"backendtype=qdisk,format=raw,vdev=xvdc,target=/srv/c.img", '
                      '"backendtype=phy,format=raw,vdev=xvdd,target=/dev/vg0/d" ]\n')
    drivers = {d.find("target").get("dev"): d.find("driver")  # type: ignore[union-attr]
               for d in root.iterfind("devices/disk")}
    assert drivers["xvda"] is None
    assert [dict(drivers[v].attrib) for v in ("xvdb", "xvdc", "xvdd")] == [  # type: ignore[union-attr]
        {"name": "qemu", "type": "qcow2"}, {"name": "qemu", "type": "raw"},
        {"name": "phy", "type": "raw"}]


def test_migrate_config_to_libvirt_carries_the_card_and_weight(tmp_path: Path) -> None:
    src = tmp_path / "win"
    src.write_text("name = 'win'\nbuilder = 'hvm'\nmemory = 512\nstdvga = 1\nvnc = 1\n"
                   "cpu_weight = 512\ndisk = ['file:/srv/win.img,hda,w']\n")
    out, err = io.StringIO(), io.StringIO()
    assert cli_run(["migrate-config", "--to", "libvirt", str(src)],
                   Context(stdout=out, stderr=err)) == 0
    root = ET.fromstring(out.getvalue())
    assert root.findtext("cputune/shares") == "512"
    model = root.find("devices/video/model")
    assert model is not None and model.get("type") == "vga"
    disk = root.find("devices/disk")
    assert disk is not None and disk.find("driver") is None  # file: -> libxl picks
    assert "dropped: cpu_weight" not in err.getvalue()
    assert "dropped: vga" not in err.getvalue()


@pytest.mark.skipif(shutil.which("virt-xml-validate") is None,
                    reason="virt-xml-validate (libvirt-clients) not installed")
def test_driver_xml_validates(tmp_path: Path) -> None:
    texts = [HVM + "stdvga = 1\nvideoram = 32\ncpu_weight = 256\n",
             HVM + 'vga = "none"\n',
             'name = "g"\nkernel = "/k"\nmemory = 128\ncpu_weight = 512\n'
             'disk = [ "format=raw,vdev=xvda,target=/srv/a.img" ]\n']
    for n, text in enumerate(texts):
        path = tmp_path / f"{n}.xml"
        path.write_text(pipeline.libvirt_xml(_values(text), for_libxl_driver=True))
        proc = subprocess.run(["virt-xml-validate", str(path), "domain"], capture_output=True,
                              text=True)
        assert proc.returncode == 0, (text, proc.stderr)


def test_numbers_are_read_as_xl_reads_them() -> None:
    """strtol(..., 0) as xl: 010 is octal; a malformed value is a typed error."""
    from xl_py.errors import ConfigValueError

    root = driver_xml('name = "g"\nkernel = "/k"\nmemory = 128\ncpu_weight = "010"\n')
    assert root.findtext("cputune/shares") == "8"
    assert driver_xml(HVM + 'stdvga = "00"\n').find("devices/video/model").get(  # type: ignore[union-attr]
        "type") == "cirrus"
    with pytest.raises(ConfigValueError) as exc:
        driver_xml(HVM + 'videoram = "lots"\n')
    assert str(exc.value) == "error: config value videoram was malformed"
