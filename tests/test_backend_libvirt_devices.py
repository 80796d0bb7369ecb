"""Device XML the libvirt backend hands to attachDevice: built with ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xl_py.backends.base import DiskSpec, NicSpec
from xl_py.backends.libvirt import disk_xml, nic_xml


def test_raw_file_disk_with_awkward_path_leaves_the_backend_to_libxl() -> None:
    """No <driver>: libvirt passes backend "unknown" and libxl picks, as for xl."""
    assert disk_xml(DiskSpec("xvdb", "/srv/a&b 'x'.img", readwrite=False)) == (
        '<disk type="file" device="disk">'
        '<source file="/srv/a&amp;b \'x\'.img" /><target dev="xvdb" bus="xen" />'
        "<readonly /></disk>")


def test_qcow2_and_explicit_qdisk_go_to_qemu() -> None:
    assert disk_xml(DiskSpec("xvdc", "/srv/c.qcow2", format="qcow2")) == (
        '<disk type="file" device="disk"><driver name="qemu" type="qcow2" />'
        '<source file="/srv/c.qcow2" /><target dev="xvdc" bus="xen" /></disk>')
    assert disk_xml(DiskSpec("xvdd", "/srv/d.img", backendtype="qdisk")) == (
        '<disk type="file" device="disk"><driver name="qemu" type="raw" />'
        '<source file="/srv/d.img" /><target dev="xvdd" bus="xen" /></disk>')


def test_phy_cdrom_on_ide() -> None:
    xml = disk_xml(DiskSpec("hdc", "/dev/sr0", backendtype="phy", is_cdrom=True))
    assert xml == ('<disk type="block" device="cdrom"><driver name="phy" type="raw" />'
                   '<source dev="/dev/sr0" /><target dev="hdc" bus="ide" /></disk>')


def test_nic_keeps_every_option_and_parses_back() -> None:
    xml = nic_xml(NicSpec(bridge="br<0>", script="vif-nat", ip="10.0.0.2", vifname="vif-web",
                          model="e1000"), "00:16:3e:01:02:03")
    root = ET.fromstring(xml)
    assert [(e.tag, dict(e.attrib)) for e in root] == [
        ("mac", {"address": "00:16:3e:01:02:03"}), ("source", {"bridge": "br<0>"}),
        ("script", {"path": "vif-nat"}), ("ip", {"address": "10.0.0.2"}),
        ("target", {"dev": "vif-web"}), ("model", {"type": "e1000"})]


def test_default_script_is_left_to_libvirt() -> None:
    assert nic_xml(NicSpec(), "00:16:3e:00:00:01") == (
        '<interface type="bridge"><mac address="00:16:3e:00:00:01" />'
        '<source bridge="xenbr0" /></interface>')


def test_libxl_log_lines_of_one_operation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """A failed create quotes what libxl and libxc logged meanwhile (the driver's log
    format: time stamp, then "libxl: " or "xc: "), nothing older, nothing else."""
    from xl_py.backends import libvirt as lv

    monkeypatch.setattr(lv, "LIBXL_LOG_DIR", tmp_path)
    driver = tmp_path / "libxl-driver.log"
    driver.write_text("2026-11-26 05:21:40.000+0000: libxl: old line\n")
    logs = lv.LibxlLogs("xen:///system", "web")
    remote = lv.LibxlLogs("xen+ssh://dom0.example/system", "web")
    with driver.open("a") as f:
        f.write("2026-11-26 05:21:42.718+0000: xc: panic: xg_dom_core.c:205: failed to open "
                "file '/k': No such file or directory: Internal error\n"
                "a continuation line\n"
                "2026-11-26 05:21:42.719+0000: libxl: libxl_dom.c:646:libxl__build_pv: "
                "xc_dom_kernel_file failed: No such file or directory\n")
    assert logs.new_lines() == [
        "xc: panic: xg_dom_core.c:205: failed to open file '/k': No such file or directory: "
        "Internal error",
        "libxl: libxl_dom.c:646:libxl__build_pv: xc_dom_kernel_file failed: No such file or "
        "directory"]
    assert remote.new_lines() == []


def test_create_xml_leaves_raw_disks_to_libxl_and_keeps_cpu_weight() -> None:
    """What create changes in the XML libvirt's xl.cfg reader would make (the real
    driver's reading of it: tests/test_backend_libvirt_xen.py)."""
    from xl_py import pipeline
    from xl_py.cli.commands._runtime import xl_keys
    from xl_py.render.libvirt_xml import to_xml

    built = pipeline.build('name = "g"\nkernel = "/k"\nmemory = 128\ncpu_weight = 512\n'
                           'disk = [ "/srv/a.img,raw,xvda,rw", "backendtype=qdisk,'
                           'format=raw,vdev=xvdb,target=/srv/b.img" ]\n', "g.cfg")
    root = ET.fromstring(to_xml(xl_keys(built.raw), built.config.disks, for_libxl_driver=True))
    drivers = {d.find("target").get("dev"): d.find("driver")  # type: ignore[union-attr]
               for d in root.iterfind("devices/disk")}
    assert drivers["xvda"] is None  # libxl picks, as for xl
    qdisk = drivers["xvdb"]
    assert qdisk is not None and dict(qdisk.attrib) == {"name": "qemu", "type": "raw"}
    assert root.findtext("cputune/shares") == "512"
    tags = [e.tag for e in root]
    assert tags.index("cputune") == tags.index("vcpu") + 1  # libvirt's element order


def test_a_call_the_driver_lacks_is_not_supported_other_errors_are_backend_errors() -> None:
    """Wiring of LibvirtBackend._call: VIR_ERR_NO_SUPPORT (what libvirt 9's libxl driver
    answers for virDomainRename and virNodeGetCPUMap in the lane) becomes NotSupported
    with the reason; without ``unsupported``, or for another code, a BackendError."""
    libvirt = pytest.importorskip("libvirt")
    from xl_py.backends.base import NotSupported
    from xl_py.backends.libvirt import ERR_NO_SUPPORT, LibvirtBackend
    from xl_py.errors import BackendError

    be = LibvirtBackend.__new__(LibvirtBackend)
    be._lv = libvirt

    def failing(code: int) -> object:
        def call() -> object:
            exc = libvirt.libvirtError("driver says no")
            exc.err = (code, 0, "driver says no", 0, None, None, None, 0, 0)
            raise exc
        return call

    with pytest.raises(NotSupported) as info:
        be._call("renaming domain 3", failing(ERR_NO_SUPPORT),
                 unsupported=("rename a domain", "the driver has no virDomainRename"))
    assert str(info.value) == ("the libvirt backend cannot rename a domain "
                               "(the driver has no virDomainRename)")
    with pytest.raises(BackendError) as info2:
        be._call("renaming domain 3", failing(ERR_NO_SUPPORT))
    assert str(info2.value) == "renaming domain 3: driver says no"
    with pytest.raises(BackendError) as info3:
        be._call("renaming domain 3", failing(1),
                 unsupported=("rename a domain", "the driver has no virDomainRename"))
    assert str(info3.value) == "renaming domain 3: driver says no"


def test_a_domain_that_goes_away_while_we_look_is_not_found() -> None:
    """Wiring of LibvirtBackend._info: libvirt's libxl driver answers "libxl_domain_info
    failed" (VIR_ERR_INTERNAL_ERROR) for a domain destroyed between its lookup and
    the call -- in the lane, `shutdown -w` met it and died with an internal error.
    Such a domain is DomainNotFound (shutdown -w: destroyed; list: not listed)."""
    libvirt = pytest.importorskip("libvirt")
    from xl_py.backends.libvirt import LibvirtBackend
    from xl_py.errors import BackendError, DomainNotFound

    class Dom:
        def __init__(self, name: str, active: bool) -> None:
            self._name, self._active = name, active

        def name(self) -> str:
            return self._name

        def isActive(self) -> bool:
            return self._active

        def info(self) -> object:
            exc = libvirt.libvirtError("internal error: libxl_domain_info failed")
            exc.err = (1, 0, "internal error: libxl_domain_info failed for domain '34'",
                       0, None, None, None, 0, 0)
            raise exc

    be = LibvirtBackend.__new__(LibvirtBackend)
    be._lv = libvirt
    with pytest.raises(DomainNotFound):
        be._info(Dom("pv", active=False))
    with pytest.raises(BackendError) as info:
        be._info(Dom("pv", active=True))
    assert str(info.value) == ("domain pv: internal error: libxl_domain_info failed for "
                               "domain '34'")

    class Conn:
        def listAllDomains(self, flags: int) -> list[Dom]:
            return [Dom("gone", active=False)]

    be.conn = Conn()
    assert be.list_domains() == ()
