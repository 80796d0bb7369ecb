"""Bugs the differential against libvirt's real converter found, one case each
(no libvirtd needed)."""

from __future__ import annotations

import pytest

from xl_py import pipeline
from xl_py.errors import ConfigValueError
from xl_py.pipeline import libvirt_xml
from xl_py.render.libvirt_xml import to_xml
from xl_py.settings.libvirt_xml import xlcfg_values, xml_to_cfg


def xml(text: str) -> str:
    return libvirt_xml(xlcfg_values("name = \"g\"\n" + text, "g.cfg"))


@pytest.mark.parametrize("disk", [",,hdc:cdrom,r", ",hdc:cdrom,r", ",raw,hdc,ro,devtype=cdrom"])
def test_empty_cdrom_has_no_source(disk: str) -> None:
    """An empty drive: no <source> (libvirt's own converter writes file='',
    which libvirt's schema rejects: a file is an absolute path)."""
    out = xml(f'type = "hvm"\ndisk = [ "{disk}" ]\n')
    assert ("    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
            "      <target dev='hdc' bus='ide'/>\n      <readonly/>\n") in out
    _, cfg = xml_to_cfg(out, "g.xml")
    assert cfg["disk"] == ["format=raw,vdev=hdc,access=ro,backendtype=qdisk,devtype=cdrom"]


def test_disk_flags_are_not_positional() -> None:
    out = xml('disk = [ "/dev/vg/g,raw,xvda,rw,discard" ]\n')
    assert "<driver name='qemu' type='raw'/>\n      <source file='/dev/vg/g'/>" in out


@pytest.mark.parametrize(("disk", "script", "target"), [
    ("drbd:res0,xvdb,w", "block-drbd", "res0"),
    ("iscsi:iqn.2001-05.com.example:disk0,xvda,w", "block-iscsi", "iqn.2001-05.com.example:disk0"),
    ("nbd:server:10809,xvda,w", "block-nbd", "server:10809"),
    ("vdev=xvda,script=block-iscsi,target=iqn.x:y", "block-iscsi", "iqn.x:y"),
])
def test_disk_with_a_block_script_is_refused(disk: str, script: str, target: str) -> None:
    """libvirt's converter dropped the script and wrote <source file='res0'/>
    (schema-invalid, and a different disk)."""
    with pytest.raises(ConfigValueError) as exc:
        xml(f'disk = [ "{disk}" ]\n')
    assert str(exc.value) == (
        f"error: disk '{disk}': the block script {script} has no libvirt form (libvirt's "
        "<disk> takes a file, a block device or an rbd source and runs no disk script; "
        f"libvirt's xen-xl converter drops the script and names '{target}' as a file)")


def test_vcpus_zero_is_refused() -> None:
    """libvirt's converter wrote <vcpu>0</vcpu> (schema-invalid)."""
    with pytest.raises(ConfigValueError) as exc:
        xml("vcpus = 0\nmaxvcpus = 2\n")
    assert str(exc.value) == (
        "error: vcpus = 0: libvirt's <vcpu> needs at least one vCPU online "
        "(xl starts such a guest with no vCPU online)")


def test_cpuid_name_libvirt_cannot_spell_is_refused() -> None:
    """libvirt's converter wrote <feature name='lfence+'/> (schema-invalid)."""
    with pytest.raises(ConfigValueError) as exc:
        xml('type = "hvm"\ncpuid = "host,aes=1,lfence+=s"\n')
    assert str(exc.value) == (
        "error: cpuid 'lfence+=s': libvirt's <cpu><feature name> takes letters, digits, "
        "'-', '_' and '.', and libvirt's libxl driver has no name that reaches libxl's "
        "'lfence+'")


@pytest.mark.parametrize(("keys", "graphics"), [
    ('vnclisten = "0.0.0.0:1"\n', "<graphics type='vnc' port='-1' autoport='yes' "
     "listen='0.0.0.0'>\n      <listen type='address' address='0.0.0.0'/>"),
    ('vnclisten = "10.0.0.1:3"\nvncunused = 0\n', "<graphics type='vnc' port='5903' "
     "autoport='no' listen='10.0.0.1'>\n      <listen type='address' address='10.0.0.1'/>"),
])
def test_vnclisten_with_a_display_is_split(keys: str, graphics: str) -> None:
    """xl's 'HOST:N' is display N on HOST; libvirt's listen is an address
    (libvirt's converter wrote listen='0.0.0.0:1', schema-invalid)."""
    out = xml(f'type = "hvm"\nvnc = 1\n{keys}')
    assert graphics in out


def test_disk_string_and_nested_items_are_not_disks() -> None:
    assert "<disk" not in xml('disk = "phy:/dev/vg/a,xvda,w"\n')
    assert xml('disk = [ [ "x" ], "phy:/dev/vg/b,xvdb,w" ]\n').count("<disk ") == 1


def test_pci_permissive_is_on_source_and_bad_bdf_is_a_message() -> None:
    assert "<source writeFiltering='no'>" in xml('pci = [ "01:00.0,permissive=1" ]\n')
    with pytest.raises(ConfigValueError) as exc:
        xml('pci = [ "02:00.*" ]\n')
    assert str(exc.value) == (
        "error: pci '02:00.*': libvirt's <hostdev> needs one device function by address "
        "([DDDD:]BB:SS.F); all functions (.*) and name= have no libvirt form")


def test_pci_writefiltering_read_from_source() -> None:
    _, cfg = xml_to_cfg(
        "<domain type='xen'><name>g</name><memory>262144</memory><devices>"
        "<hostdev mode='subsystem' type='pci'><source writeFiltering='no'>"
        "<address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"
        "</devices></domain>", "g.xml")
    assert cfg["pci"] == ["0000:01:00.0,permissive=1"]


def test_viridian_groups_octal_memory_and_numeric_tsc_mode() -> None:
    out = xml('type = "hvm"\nviridian = [ "base", "freq" ]\nmemory = 01000\ntsc_mode = 1\n')
    assert "<viridian/>" in out and "<pae/>" in out
    assert "<memory unit='KiB'>524288</memory>" in out
    assert "<timer name='tsc' present='yes' mode='emulate'/>" in out


def test_cpus_forms() -> None:
    assert "cpuset='1'" in xml('vcpus = 2\ncpus = "0-1,^0"\n')
    assert "cpuset" not in xml('cpus = "all"\n')
    assert ("  <cputune>\n    <vcpupin vcpu='0' cpuset='2'/>\n    <vcpupin vcpu='1' "
            "cpuset='3'/>\n  </cputune>\n") in xml('vcpus = 2\ncpus = [ "2", "3" ]\n')
    with pytest.raises(ConfigValueError) as exc:
        xml('cpus = "nodes:0"\n')
    assert str(exc.value) == ("error: cpus = \"nodes:0\": 'nodes:0' has no libvirt cpuset "
                              "form (libvirt takes CPU numbers and ranges, not NUMA nodes)")


def test_cpuid_values_libvirt_cannot_express() -> None:
    with pytest.raises(ConfigValueError) as exc:
        xml('type = "hvm"\ncpuid = "host,family=6"\n')
    assert str(exc.value) == ("error: Invalid libxl cpuid value: family=6 (libvirt takes "
                              "only the flags 0, 1, x, k and s)")


def test_vif_mac_and_ip() -> None:
    out = xml('vif = [ "mac=0:16:3e:1:2:3,ip=192.0.2.7,rate=5MB/s" ]\n')
    assert "<mac address='00:16:3e:01:02:03'/>" in out
    assert ("<outbound average='5120'/>\n      </bandwidth>\n"
            "      <ip address='192.0.2.7' family='ipv4'/>") in out
    assert "<mac" not in xml('vif = [ "mac=zz:16:3e:12:34:56" ]\n')


def test_elements_libvirt_reads_are_written() -> None:
    out = xml('type = "hvm"\npassthrough = "sync_pt"\nacpi_firmware = "/etc/xen/a.bin"\n'
              'device_model_args = [ "-no-shutdown" ]\ndevice_model = "/usr/bin/qemu-dm"\n'
              'uuid = "3F1B2C9A-52D4-4C0E-9A4E-6F2B7D1C8E90"\n')
    assert out.startswith("<domain type='xen' xmlns:xen='http://libvirt.org/schemas/"
                          "domain/xen/1.0'>\n  <name>g</name>\n"
                          "  <uuid>3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90</uuid>\n")
    assert "<passthrough state='on' mode='sync_pt'/>" in out
    assert "<acpi>\n      <table type='slic'>/etc/xen/a.bin</table>\n    </acpi>" in out
    assert "<emulator>" not in out
    assert out.endswith("  <xen:commandline>\n    <xen:arg value='-no-shutdown'/>\n"
                        "  </xen:commandline>\n</domain>\n")
    assert xml_to_cfg(out, "g.xml")[1]["device_model_args"] == ["-no-shutdown"]


def test_soft_reset_has_no_libvirt_action() -> None:
    with pytest.raises(ConfigValueError) as exc:
        xml('on_reboot = "soft-reset"\n')
    assert str(exc.value) == ('error: on_reboot = "soft-reset": libvirt has no such '
                              "lifecycle action (libvirt's xen-xl converter refuses it too)")
    assert "<on_crash>restart</on_crash>" in xml('on_crash = [ "restart" ]\n')


def test_disk_xl_refuses_is_refused_with_xls_reasons() -> None:
    """disk= is read by settings.disk (xl's reader, as libvirt's converter reads it
    with libxlutil): every item xl refuses, positioned in its spec."""
    with pytest.raises(ConfigValueError) as exc:
        xml('disk = [ "/srv/g.img,xvda,ro", "/srv/h.img,raw,xvdb,rx" ]\n')
    assert str(exc.value) == (
        "<disk>:1:12: error: disk: unknown value for format 'xvda' (the 2nd positional "
        "item is the format)\n"
        "    1 | /srv/g.img,xvda,ro\n"
        "      |            ^^^^\n"
        "  expected: raw | qcow | qcow2 | vhd | empty | qed\n"
        "  hint: write TARGET,,VDEV,ACCESS (empty format), TARGET,raw,VDEV,ACCESS, or "
        "phy:TARGET,VDEV,ACCESS\n"
        "<disk>:1:21: error: disk: unknown value for access 'rx'\n"
        "    1 | /srv/h.img,raw,xvdb,rx\n"
        "      |                     ^^\n"
        "  expected: r | ro | w | rw")


DISKS = ["/srv/a.img,raw,xvda,rw", "phy:/dev/vg/b,hdb,w", "qcow2:/srv/c.qcow2,sdc,r",
         "/srv/d.iso,,hdc:cdrom,r", ",,hdd:cdrom,r", "format=vhd,vdev=xvde,target=/srv/e.vhd",
         "vdev=xvdf,backendtype=tap,format=empty,target=/srv/f",
         "vdev=xvdg,target=rbd:pool/img:mon_host=h1\\:6789\\;h2"]


def test_model_disks_render_as_the_specs() -> None:
    """The libvirt backend passes DomainConfig.disks: the parsed items, unchanged
    by defaults, so its XML is the XML of the spec strings."""
    body = 'type = "hvm"\ndisk = [ ' + ", ".join(
        '"' + d.replace("\\", "\\\\") + '"' for d in DISKS) + " ]\n"
    text = 'name = "g"\n' + body
    cfg = xlcfg_values(text, "g.cfg")
    assert cfg["disk"] == DISKS
    ours = to_xml(cfg, pipeline.build(text, "g.cfg").config.disks)
    assert ours == xml(body)
    assert ours.count("<disk ") == len(DISKS)
    assert "<source protocol='rbd' name='pool/img'>" in ours


def test_disk_named_by_vdev_without_its_spec() -> None:
    disks = pipeline.build('name = "g"\nkernel = "/k"\ndisk = [ "drbd:res0,xvdb,w" ]\n',
                           "g.cfg").config.disks
    with pytest.raises(ConfigValueError) as exc:
        to_xml({"name": "g"}, disks)
    assert str(exc.value) == (
        "error: disk 'xvdb': the block script block-drbd has no libvirt form (libvirt's "
        "<disk> takes a file, a block device or an rbd source and runs no disk script; "
        "libvirt's xen-xl converter drops the script and names 'res0' as a file)")
