"""Legacy xm / SXP -> xl.cfg migration: the key table, device rewrites, the
reference xl's reading of what we write, and the migrate-config command."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from legacy_support import FIXED_UUID, means, migrated

from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run
from xl_py.render.xlcfg import render_keys
from xl_py.settings.legacy import RULES, from_xm, migrate
from xl_py.settings.legacy_devices import convert_disk, convert_vif
from xl_py.syntax.xm import read_xm

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
LEGACY = ROOT / "configs" / "legacy"
GOLDEN = ROOT / "tests" / "data" / "legacy"

# xend 4.4 tools/python/xen/xm/create.py: every gopts.var (the config keys)
_XEND_44_TEXT = """
vncpasswd vncviewer vncconsole name bootloader bootargs bootentry kernel ramdisk loader
features builder memory maxmem shadow_memory memory_sharing cpu cpus rtc_timeoffset pae hpet
timer_mode tsc_mode nomigrate vpt_align viridian acpi apic vcpus vcpu_avail vhpt cpu_cap
cpu_weight restart on_poweroff on_reboot on_crash blkif netif disk pci vscsi vusb ioports irq
vfb vif vif2 access_control nics root extra ip gateway netmask hostname interface dhcp
nfs_server nfs_root device_model fda fdb parallel serial monitor monitor_path localtime keymap
usb usbdevice description guest_os_type stdvga isa boot nographic soundhw vnc vncdisplay
vnclisten vncunused videoram sdl gfx_passthru opengl display xauthority uuid on_xend_start
on_xend_stop target hap nestedhvm s3_integrity oos cpuid cpuid_check machine_address_size
suppress_spurious_page_faults pool pci_msitranslate pci_power_mgmt xen_platform_pci superpages
"""
XEND_44_KEYS = _XEND_44_TEXT.split()


XEND_44_OPTIONS = ("help", "help_config", "quiet", "path", "defconfig", "config", "dryrun",
                   "xmldryrun", "skipdtd", "paused", "console_autoconnect", "vncviewer-autopass")


def test_every_xend_key_has_a_row() -> None:
    """create.py's 105 gopts.var plus its 12 other gopts.opt (vncviewer is both): 117."""
    assert len(XEND_44_KEYS) == 105
    assert len(set(XEND_44_KEYS) | set(XEND_44_OPTIONS)) == 117
    assert sorted((set(XEND_44_KEYS) | set(XEND_44_OPTIONS)) - set(RULES)) == []


def mig(text: str, **defines: str) -> Any:
    cfg = read_xm(text, "t.cfg", defines=defines)
    return migrate(from_xm(cfg), lambda: FIXED_UUID)


def report(m: Any) -> dict[str, tuple[str, tuple[str, ...], str]]:
    return {r.key: (r.status, r.xl, r.detail) for r in m.report}


@pytest.mark.parametrize(("src", "entries", "status"), [
    ("cpu_cap = 50", [("cap", 50)], "renamed"),
    ("cpu_weight = 512", [("cpu_weight", 512)], "kept"),
    ("bootargs = '--kernel=/vmlinuz --args=ro'",
     [("bootloader_args", ["--kernel=/vmlinuz", "--args=ro"])], "renamed"),
    ("irq = [5, 7]", [("irqs", ["5", "7"])], "renamed"),
    ("irq = 9", [("irqs", ["9"])], "renamed"),
    ("vcpus = 4\nvcpu_avail = 3", [("vcpus", 2), ("maxvcpus", 4)], "changed"),
    ("tsc_mode = 2", [("tsc_mode", "native")], "kept"),
    ("nomigrate = True", [("nomigrate", 1)], "kept"),
    ("bootloader = '/usr/bin/pygrub'", [("bootloader", "pygrub")], "changed"),
    ("bootloader = 'pygrub'", [("bootloader", "pygrub")], "kept"),
])
def test_key_rows(src: str, entries: list[tuple[str, object]], status: str) -> None:
    m = mig("name = 'g'\n" + src + "\n")
    assert m.errors == ()
    for key, value in entries:
        assert m.get(key) == value
    last = src.splitlines()[-1].split("=")[0].strip()
    assert report(m)[last][0] == status


def test_restart_only_fills_missing_actions() -> None:
    m = mig("name = 'g'\nrestart = 'onreboot'\non_crash = 'preserve'\n")
    assert (m.get("on_poweroff"), m.get("on_reboot"), m.get("on_crash")) == (
        "destroy", "restart", "preserve")
    assert report(m)["restart"] == ("changed", ("on_poweroff", "on_reboot"),
                                    "restart='onreboot' -> on_poweroff=\"destroy\", "
                                    "on_reboot=\"restart\"")


def test_hvm_firmware_and_device_model_are_dropped_with_reasons() -> None:
    m = mig("name = 'g'\nbuilder = 'hvm'\nkernel = '/usr/lib/xen/boot/hvmloader'\n"
            "device_model = '/usr/lib64/xen/bin/qemu-dm'\n")
    r = report(m)
    assert m.get("type") == "hvm"
    assert m.get("kernel") is None
    assert r["kernel"] == ("dropped", (), "HVM firmware: xl always loads its own hvmloader")
    assert r["device_model"][0] == "dropped"
    assert r["builder"] == ("renamed", ("type",), "builder='hvm' -> type=\"hvm\"")


def test_ip_and_nfs_keys_build_the_kernel_command_line() -> None:
    m = mig("name = 'g'\nip = '10.0.0.5'\ngateway = '10.0.0.1'\nnetmask = '255.0.0.0'\n"
            "hostname = 'vm1'\nnfs_server = '10.0.0.2'\nnfs_root = '/export/vm1'\n"
            "extra = 'quiet'\n")
    assert m.get("root") is None  # xend never added root=/dev/nfs itself
    assert m.get("extra") == ("ip=10.0.0.5:10.0.0.2:10.0.0.1:255.0.0.0:vm1:eth0:off "
                              "nfsroot=10.0.0.2:/export/vm1 quiet")
    assert report(m)["nfs_root"] == (
        "changed", ("extra",), "xend put nfsroot=SERVER:PATH on the kernel command line; so "
        "does the migrated extra=; xend added no root=: set root=\"/dev/nfs\" if the kernel "
        "needs it")


def test_no_key_is_dropped_silently() -> None:
    text = "\n".join(f"{k} = 1" for k in XEND_44_KEYS if k not in ("name",)) + "\nname='g'\n"
    m = mig(text)
    reported = {r.key for r in m.report}
    refused = {d.message.split(":")[0] for d in m.errors}  # 1 is no builder / action
    assert {"builder", "restart", "on_poweroff", "on_reboot", "on_crash"} <= refused
    assert set(XEND_44_KEYS) <= reported | refused


def test_description_becomes_a_comment() -> None:
    m = mig("name = 'g'\ndescription = 'web server\\nsecond line'\n")
    assert render_keys(m.entries, m.comments).splitlines()[:2] == [
        "# description: web server", "# description: second line"]


@pytest.mark.parametrize(("spec", "xl"), [
    ("phy:/dev/vg/lv,xvda,w", "vdev=xvda, access=rw, backendtype=phy, target=/dev/vg/lv"),
    ("phy:sda7,sda1,r", "vdev=sda1, access=ro, backendtype=phy, target=/dev/sda7"),
    ("file:/img,hda,w", "format=raw, vdev=hda, access=rw, target=/img"),
    ("tap:aio:/img,xvda,w!", "format=raw, vdev=xvda, access=rw, target=/img"),
    ("tap:qcow:/q.img,xvdb,r", "format=qcow, vdev=xvdb, access=ro, target=/q.img"),
    ("tap2:tapdisk:vhd:/v.vhd,xvdc,w", "format=vhd, vdev=xvdc, access=rw, target=/v.vhd"),
    ("file:/iso,hdc:cdrom,r", "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/iso"),
    (",hdc:cdrom,r", "format=empty, vdev=hdc, access=ro, devtype=cdrom, target="),
    ("tap:aio:/img,ioemu:hda,w", "format=raw, vdev=hda, access=rw, target=/img"),
    ("drbd:res0,xvda,w", "vdev=xvda, access=rw, script=block-drbd, target=res0"),
    ("phy:/dev/sdb,xvdb,w,storagedom",
     "vdev=xvdb, access=rw, backendtype=phy, backend=storagedom, target=/dev/sdb"),
])
def test_disk_rewrites(spec: str, xl: str) -> None:
    assert convert_disk(spec).spec == xl


@pytest.mark.parametrize(("spec", "xl"), [
    ("type=ioemu, bridge=xenbr0", "bridge=xenbr0"),
    ("mac=00:16:3e:00:00:01,bridge=br0,model=e1000",
     "mac=00:16:3e:00:00:01,bridge=br0,model=e1000"),
    ("type=netfront", "type=vif"),
    ("", ""),
    ("rate=10Mb/s,vifname=web0,script=vif-route,ip=10.0.0.1",
     "rate=10Mb/s,vifname=web0,script=vif-route,ip=10.0.0.1"),
])
def test_vif_rewrites(spec: str, xl: str) -> None:
    assert convert_vif(spec).spec == xl


def test_bad_device_specs_are_errors_on_the_key() -> None:
    m = mig("name = 'g'\ndisk = ['/img,xvda']\nvif = ['colour=blue']\n")
    assert [d.format() for d in m.errors] == [
        "t.cfg:2:1: error: disk: disk '/img,xvda': expected 'target,vdev,mode[,backend]'\n"
        "    2 | disk = ['/img,xvda']\n      | ^^^^^^^^^^^^^^^^^^^^",
        "t.cfg:3:1: error: vif: vif 'colour=blue': unknown option 'colour'\n"
        "    3 | vif = ['colour=blue']\n      | ^^^^^^^^^^^^^^^^^^^^^",
    ]


# ---- golden files: configs/legacy -> tests/data/legacy/*.cfg (REGEN=1 rewrites them)

LEGACY_FILES = sorted(LEGACY.iterdir())
DEFINES = (("vmid", "4"),)


def converted(path: Path, target: str = "xl") -> str:
    return migrated(path, str(path.relative_to(ROOT)), target=target, defines=DEFINES)


@pytest.mark.parametrize("path", LEGACY_FILES, ids=lambda p: p.name)
def test_legacy_examples_golden(path: Path) -> None:
    golden = GOLDEN / (path.name + ".cfg")
    text = converted(path)
    if os.environ.get("REGEN"):
        golden.write_text(text)
    assert text == golden.read_text()


# what xend made of each example, as libxl JSON paths the reference xl must produce
EXPECT: dict[str, dict[str, object]] = {
    "rhel5-pv-pygrub.xm": {
        "c_info/type": "pv", "c_info/name": "rhel5pv",
        "c_info/uuid": "7a3c1b2e-4f5d-4c6b-8a9e-0d1f2e3c4b5a",
        "b_info/max_memkb": 1048576, "b_info/target_memkb": 524288, "b_info/max_vcpus": 2,
        "b_info/bootloader": "pygrub",
        "disks/0/pdev_path": "/var/lib/xen/images/rhel5pv.img", "disks/0/format": "raw",
        "disks/0/vdev": "xvda", "disks/0/readwrite": 1,
        "disks/1/pdev_path": "/dev/VolGroup00/rhel5data", "disks/1/readwrite": 1,
        "nics/0/mac": "00:16:3e:4a:2b:01", "nics/0/bridge": "xenbr0",
        "vfbs/0/vnc/enable": "True", "vfbs/0/vnc/findunused": "True", "vfbs/0/keymap": "en-us",
    },
    "rhel5-hvm.xm": {
        "c_info/type": "hvm", "c_info/uuid": "0e8c2b4a-6d1f-4e3a-9b5c-7f2a1d0c3e4b",
        "b_info/max_memkb": 1048576, "b_info/shadow_memkb": None,  # xend: max(10, 8) MiB
        "b_info/sched_params/cap": 150, "b_info/sched_params/weight": 512,
        "b_info/localtime": "True", "b_info/type.hvm/pae": "True",
        "b_info/type.hvm/vnc/enable": "True", "b_info/type.hvm/vnc/findunused": "True",
        "b_info/type.hvm/vnc/listen": "0.0.0.0", "b_info/type.hvm/serial": "pty",
        "b_info/type.hvm/usbdevice": "tablet", "b_info/kernel": None,
        "disks/0/pdev_path": "/var/lib/xen/images/win2003.img", "disks/0/vdev": "hda",
        "disks/1/vdev": "hdb", "nics/0/mac": "00:16:3e:4a:2b:02", "nics/0/nictype": None,
    },
    "rhel5-hvm-cdrom-install.xm": {
        "c_info/uuid": FIXED_UUID, "b_info/type.hvm/boot": "dc",
        "b_info/type.hvm/vnc/display": 3, "b_info/type.hvm/vnc/passwd": "s3cr3t",
        "disks/1/is_cdrom": 1, "disks/1/readwrite": None, "disks/1/vdev": "hdc",
        "on_reboot": None, "on_crash": None,  # destroy is libxl's default: not printed
    },
    "rhel5-pv-install.xm": {
        "c_info/name": "rhel5inst4", "b_info/kernel": "/var/lib/xen/vmlinuz.rhel5inst",
        "b_info/cmdline":
            "method=http://mirror.example.com/rhel/5/os/x86_64 ks=http://ks.example.com/4.ks",
        "on_poweroff": None, "on_reboot": None, "on_crash": None,  # all destroy
        "disks/0/pdev_path": "/var/lib/xen/images/rhel5inst4.img",
        "nics/0/mac": "00:16:3e:4a:2b:04", "vfbs/0/vnc/enable": "True",
    },
    "rhel5-pv-handwritten.xm": {  # xend: 128 MB default unused, on_crash restart, nics=2
        "c_info/name": "db01", "b_info/max_memkb": 524288, "b_info/max_vcpus": 2,
        "b_info/vcpu_hard_affinity": [[0, 2, 3], [0, 2, 3]], "b_info/localtime": "True",
        "b_info/cmdline": "console=xvc0 root=/dev/xvda1 ro", "on_crash": "restart",
        "disks/0/pdev_path": "/dev/vg0/db01", "disks/1/pdev_path": "/dev/vg0/db01swap",
        "nics": [{"devid": 0}, {"devid": 1}],
    },
    "rhel5-pv-nfsroot.xm": {  # xend's "root=R ip=... nfsroot=S:P extra", 128 MB
        "b_info/max_memkb": 131072, "b_info/target_memkb": 131072,
        "b_info/cmdline": "root=/dev/nfs ip=192.168.10.21:192.168.10.5:192.168.10.1:"
                          "255.255.255.0:diskless01:eth0:off "
                          "nfsroot=192.168.10.5:/export/guests/diskless01 console=xvc0 3",
        "on_crash": None, "on_reboot": "restart",
    },
    "rhel5-hvm-minimal.xm": {  # cpu=1 pins every vcpu; disk-only boot; -nographic
        "c_info/type": "hvm", "b_info/vcpu_hard_affinity": [[1]],
        "b_info/type.hvm/boot": "c", "b_info/type.hvm/vnc/enable": "False",
        "b_info/type.hvm/serial": "pty", "on_crash": "restart",
        "disks/0/vdev": "hda", "disks/0/pdev_path": "/var/lib/xen/images/legacyapp.img",
        "nics/0/model": "rtl8139", "nics/0/nictype": None,
    },
    "rhel5-pv-vfb-keymap.xm": {  # xend 3.1's cpus list: one set for every vcpu
        "b_info/vcpu_hard_affinity": [[2, 3], [2, 3]], "b_info/target_memkb": 786432,
        "vfbs/0/keymap": "de", "vfbs/0/vnc/enable": "True", "vfbs/0/vnc/findunused": "True",
        "b_info/bootloader": "pygrub",
    },
    "rhel5-pv.sxp": {
        "c_info/name": "rhel5db", "c_info/uuid": "5c1e9a7b-2d3f-4b6a-8c9d-0e1f2a3b4c5d",
        "b_info/max_memkb": 2097152, "b_info/bootloader": "pygrub",
        "b_info/kernel": None, "b_info/type.pv/ramdisk": None, "b_info/cmdline": None,
        "disks/0/pdev_path": "/var/lib/xen/images/rhel5db.img", "disks/0/vdev": "xvda",
        "disks/1/pdev_path": "/dev/VolGroup01/pgdata", "nics/0/mac": "00:16:3e:4a:2b:03",
        "vfbs/0/vnc/findunused": "True", "vfbs/0/keymap": "en-us",
    },
    "rhel5-hvm.sxp": {
        "c_info/name": "winxp", "b_info/type.hvm/vga/kind": "std",
        "b_info/type.hvm/boot": "cd", "disks/0/vdev": "hda", "disks/1/is_cdrom": 1,
        "disks/1/pdev_path": "/srv/iso/winxp-sp3.iso", "nics/0/mac": "00:16:3e:4a:2b:04",
    },
}


@pytest.mark.reference
@pytest.mark.parametrize("path", LEGACY_FILES, ids=lambda p: p.name)
def test_reference_xl_reads_the_xend_meaning(path: Path, reference: Any) -> None:
    means(reference, converted(path), EXPECT[path.name])


def _corpus_xm() -> list[Path]:
    return (sorted(CORPUS.glob("xen-examples/*/xmexample*"))
            + sorted(CORPUS.glob("libvirt-xm/*.cfg")))


@pytest.mark.reference
@pytest.mark.skipif(not _corpus_xm(), reason="../shared/corpus not present")
def test_reference_xl_accepts_every_migrated_corpus_config(reference: Any,
                                                            tmp_path: Path) -> None:
    """Every xm config of the corpus: migrated, accepted by the real xl, with its
    name, memory, disk targets and MACs intact."""
    failures = []
    count = 0
    for path in _corpus_xm():
        if path.name == "xmexample.hvm-dm":  # a stub domain's device-model config: no name
            continue
        cfg = read_xm(path.read_text(), str(path), defines={"vmid": "3"})
        m = migrate(from_xm(cfg), lambda: FIXED_UUID)
        assert m.errors == (), path
        out = tmp_path / "g.cfg"
        out.write_text(render_keys(m.entries, m.comments))
        res = reference.xl_dryrun(out)
        if res.rc != 0:
            failures.append((path.name, res.stderr))
            continue
        data = json.loads(res.stdout)
        count += 1
        assert data["c_info"]["name"] == cfg.get("name"), path
        assert data["b_info"]["target_memkb"] == int(cfg.get("memory")) * 1024, path
        targets = [d.split(",")[0] for d in cfg.get("disk", [])]
        assert [d.get("pdev_path", "") for d in data.get("disks", [])] == [
            ("/dev/" + t[4:] if t.startswith("phy:") and "/" not in t else t.split(":")[-1])
            for t in targets], path
        macs = [s.split("mac=")[1].split(",")[0].strip()
                for s in cfg.get("vif", []) if "mac=" in s]
        assert [n["mac"] for n in data.get("nics", []) if "mac" in n] == macs, path
    assert failures == []
    assert count >= 60


# ---- the command


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli_run(list(argv), Context(stdout=out, stderr=err))
    return rc, out.getvalue(), err.getvalue()


def test_single_file_goes_to_stdout_report_to_stderr() -> None:
    rc, out, err = cli("migrate-config", str(LEGACY / "rhel5-pv-pygrub.xm"))
    assert rc == 0
    assert out == (GOLDEN / "rhel5-pv-pygrub.xm.cfg").read_text()
    assert "rhel5-pv-pygrub.xm:8:1: changed: bootloader -> bootloader: '/usr/bin/pygrub' -> " \
           "\"pygrub\": xl finds pygrub in its own libexec directory" in err
    assert err.endswith("1 file(s): 1 converted, 0 failed\n")


def test_directory_batch_continues_after_a_failure(tmp_path: Path) -> None:
    src = tmp_path / "etc-xen"
    (src / "scripts").mkdir(parents=True)
    (src / "scripts" / "vif-bridge").write_text("#!/bin/sh\n")
    (src / "xend-config.sxp").write_text("(xend-relocation-server no)\n")
    (src / "good").write_text("name = 'good'\nmemory = 256\n")
    marker = tmp_path / "ran"
    (src / "evil").write_text(f"import os\nos.system('touch {marker}')\nname = 'evil'\n")
    (src / "zz.sxp").write_text("(vm (name zz) (memory 128))\n")
    outdir = tmp_path / "out"
    rc, out, _ = cli("migrate-config", "-o", str(outdir), "--report", "json", str(src))
    assert rc == 1
    assert not marker.exists()
    rep = json.loads(out)
    assert [(f["source"].rsplit("/", 1)[1], f["status"]) for f in rep["files"]] == [
        ("evil", "failed"), ("good", "ok"), ("zz.sxp", "ok")]
    assert rep["failed"] == [str(src / "evil")]
    assert rep["files"][0]["diagnostics"][0]["location"] == f"{src / 'evil'}:2:1"
    assert sorted(p.name for p in outdir.iterdir()) == ["good", "zz.cfg"]
    assert (outdir / "good").read_text().startswith('type = "pv"\nname = "good"\nuuid = "')
    # a second run writes nothing over the first ...
    before = (outdir / "good").read_text()
    rc, out, _ = cli("migrate-config", "-o", str(outdir), "--report", "json", str(src / "good"))
    assert rc == 1
    assert json.loads(out)["files"][0]["diagnostics"][0]["message"] == (
        f"{outdir / 'good'} exists (use --force to overwrite)")
    assert (outdir / "good").read_text() == before
    # ... unless forced
    rc, _, _ = cli("migrate-config", "--force", "-o", str(outdir), str(src / "good"))
    assert rc == 0


def test_defines_and_usage_errors() -> None:
    rc, out, _ = cli("migrate-config", "-D", "vmid=7", str(LEGACY / "rhel5-pv-install.xm"))
    assert rc == 0
    assert 'name = "rhel5inst7"' in out
    with pytest.raises(Exception, match="--define wants VAR=VALUE"):
        cli("migrate-config", "-D", "novalue", str(LEGACY / "rhel5-pv-install.xm"))
    with pytest.raises(Exception, match="several files need -o DIR"):
        cli("migrate-config", str(LEGACY))


@pytest.mark.reference
def test_to_json_matches_reference_xl(reference: Any, tmp_path: Path) -> None:
    """--to json renders what the real xl prints for the migrated xl.cfg."""
    path = LEGACY / "rhel5-hvm.xm"
    cfg = tmp_path / "g.cfg"
    cfg.write_text(converted(path))
    res = reference.xl_dryrun(cfg)
    assert res.rc == 0
    assert converted(path, "json").rstrip("\n") == res.stdout.rstrip("\n")


# ---- SXP specifics

def sxp_mig(text: str) -> Any:
    from xl_py.settings.legacy_sxp import from_sxp
    from xl_py.syntax.sxp import parse_sxp

    return migrate(from_sxp(parse_sxp(text, "d.sxp")), lambda: FIXED_UUID)


def test_sxp_devices_and_image() -> None:
    m = sxp_mig(
        "(vm (name g) (memory 256) (vcpus 4) (vcpu_avail 5)\n"
        " (image (hvm (kernel /usr/lib/xen/boot/hvmloader) (boot d) (cdrom /iso/x.iso)\n"
        "  (vnc 1) (vncdisplay 2) (serial pty)))\n"
        " (device (vbd (uname phy:/dev/vg/g) (dev hda) (mode w) (backend 3)))\n"
        " (device (pci (dev (domain 0x0000) (bus 0x03) (slot 0x00) (func 0x1) (vslot 0x5))\n"
        "              (dev (domain 0x0001) (bus 0x0c) (slot 0x1b) (func 0x2))))\n"
        " (device (vif (mac 00:16:3e:00:00:07) (bridge br1) (uuid 1234) (backend 0)))\n"
        " (device (vkbd)) (device (console (location 2)))\n"
        " (device (vusb (usb-ver 2))))\n")
    assert m.errors == ()
    assert m.get("type") == "hvm"
    assert m.get("disk") == [
        "vdev=hda, access=rw, backendtype=phy, backend=3, target=/dev/vg/g",
        "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/iso/x.iso"]
    assert m.get("pci") == ["0000:03:00.1@5", "0001:0c:1b.2"]
    assert m.get("vif") == ["mac=00:16:3e:00:00:07,bridge=br1"]
    assert (m.get("vcpus"), m.get("maxvcpus")) == (2, 4)
    assert (m.get("vnc"), m.get("vncdisplay"), m.get("serial")) == (1, 2, "pty")
    assert "bitmask 0x5 of 4 vcpus -> vcpus=2, maxvcpus=4; xl onlines the first vcpus" in \
        report(m)["vcpu_avail"][2]
    assert [d.format() for d in m.diagnostics] == [
        "d.sxp:9:10: warning: (device (vusb ...)) has no xl equivalent; skipped\n"
        "    9 |  (device (vusb (usb-ver 2))))\n"
        "      |          ^"]


def test_sxp_root_must_be_a_domain() -> None:
    from xl_py.errors import ConfigValueError

    with pytest.raises(ConfigValueError) as exc:
        sxp_mig("(xend-relocation-server yes)\n")
    assert str(exc.value) == (
        "d.sxp:1:1: error: (xend-relocation-server ...) is not a domain config\n"
        "    1 | (xend-relocation-server yes)\n"
        "      | ^\n"
        "  expected: (vm ...) or (domain ...)")


def test_xl_only_keys_in_xm_files_need_a_decision() -> None:
    m = mig("name = 'g'\nvcpus = 2\nmaxvcpus = 4\n")
    assert m.get("maxvcpus") is None
    assert report(m)["maxvcpus"][0] == "decision"


# ---- xl.cfg writing: libxlutil reads back exactly what we meant

from fuzzing import examples  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WRITABLE = st.text(st.characters(blacklist_categories=("Cs",),
                                 blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x0e\x0f"
                                 "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                 "\x1e\x1f\x7f"), max_size=30)


@pytest.mark.reference
@settings(max_examples=examples(60), deadline=None)
@given(WRITABLE, st.lists(WRITABLE, max_size=3))
def test_libxlutil_reads_our_strings_back(reference: Any, name: str, items: list[str]) -> None:
    text = render_keys([("name", name), ("extra", items)])
    got = reference.xlu_parse_text(text, keys=["name:str", "extra:list"])
    assert got["rc"] == 0, got
    assert got["values"]["name"] == name
    assert (got["values"].get("extra") or []) == items


def test_unwritable_characters_are_refused() -> None:
    from xl_py.errors import ConfigValueError

    with pytest.raises(ConfigValueError, match=r"extra: control character '\\x1b' cannot be "
                                               r"written to xl.cfg"):
        render_keys([("extra", "colour\x1b[0m")])


def test_sxp_xend31_nested_fields() -> None:
    m = sxp_mig("(domain (name g) (memory 128) (vcpus_params ((weight 512) (cap 50)))\n"
                " (rtc (timeoffset 3600))\n"
                " (image (hvm (kernel /usr/lib/xen/boot/hvmloader) (notes (HV_START_LOW 1)))))\n")
    assert m.errors == ()
    assert (m.get("cpu_weight"), m.get("cap"), m.get("rtc_timeoffset")) == (512, 50, 3600)
    r = report(m)
    assert r["notes"][0] == "ignored"
    assert m.diagnostics == ()


SXP_CORPUS = [p for p in sorted(CORPUS.glob("sxp/*.sexpr")) if "net-routed" not in p.name]


@pytest.mark.reference
@pytest.mark.skipif(not SXP_CORPUS, reason="../shared/corpus not present")
@pytest.mark.parametrize("path", SXP_CORPUS, ids=lambda p: p.name)
def test_reference_xl_accepts_migrated_sxp(path: Path, reference: Any, tmp_path: Path) -> None:
    from xl_py.settings.legacy_sxp import from_sxp
    from xl_py.syntax.sxp import parse_sxp

    doc = parse_sxp(path.read_text(), path.name)
    root = doc.root()
    m = migrate(from_sxp(doc), lambda: FIXED_UUID)
    assert m.errors == ()
    out = tmp_path / "g.cfg"
    out.write_text(render_keys(m.entries, m.comments))
    res = reference.xl_dryrun(out)
    assert res.rc == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["c_info"]["name"] == root.text("name")
    assert data["b_info"]["target_memkb"] == int(root.text("memory") or 0) * 1024
    uuid = (root.text("uuid") or "").replace("-", "")
    assert data["c_info"]["uuid"].replace("-", "") == uuid
    macs = [v.text("mac") for d in root.children("device") for v in d.children("vif")]
    assert [n.get("mac") for n in data.get("nics", [])] == macs
    unames = [v.text("uname") for d in root.children("device")
              for v in d.children() if v.name in ("vbd", "tap")]
    assert [d["pdev_path"] for d in data["disks"]][: len(unames)] == [
        (u or "").split(":")[-1] for u in unames]


def test_text_report_names_the_failed_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("name = 'a'\n")
    (tmp_path / "b").write_text("name = 'b'\nmemory = = 1\n")
    rc, out, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(tmp_path / "a"),
                     str(tmp_path / "b"))
    assert rc == 1
    assert out.splitlines()[-1] == f"2 file(s): 1 converted, 1 failed: {tmp_path / 'b'}"
    assert f"{tmp_path / 'b'}:2:10: error: unexpected '='" in out


def test_from_xl_to_libvirt() -> None:
    rc, out, _ = cli("migrate-config", "--from", "xl", "--to", "libvirt",
                     str(GOLDEN / "rhel5-hvm.xm.cfg"))
    assert rc == 0
    assert out.startswith("<domain type='xen'>\n  <name>win2003</name>\n")
