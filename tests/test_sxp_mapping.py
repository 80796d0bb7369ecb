"""xend SXP -> xl.cfg: what xend meant by each form it wrote (xend 3.0-4.4
XendConfig.to_sxp, xm create --dryrun, the device controllers), checked against
the reference xl's reading of what we write."""

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
from xl_py.settings.legacy import Migration, migrate
from xl_py.settings.legacy_sxp import from_sxp
from xl_py.syntax.sxp import parse_sxp

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "sxp"
FILES = sorted(DATA.glob("*.sxp"))


def sxp_mig(text: str) -> Migration:
    return migrate(from_sxp(parse_sxp(text, "d.sxp")), lambda: FIXED_UUID)


def notes(m: Migration) -> list[str]:
    return [d.format() for d in m.diagnostics]


def located(m: Migration, key: str) -> list[tuple[str, str, tuple[str, ...], str]]:
    """The report lines of ``key`` with their line:col in the source."""
    out = []
    for r in m.report:
        if r.key == key:
            line = m.source.text.count("\n", 0, r.start) + 1
            col = r.start - (m.source.text.rfind("\n", 0, r.start) + 1) + 1
            out.append((f"{line}:{col}", r.status, r.xl, r.detail))
    return out


def status(m: Migration, key: str) -> tuple[str, str]:
    item = next(r for r in m.report if r.key == key)
    return item.status, item.detail


# ---- golden files: tests/data/sxp/X.sxp -> X.sxp.cfg (REGEN=1 rewrites them)

def converted(path: Path) -> str:
    return migrated(path, path.name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sxp_golden(path: Path) -> None:
    golden = path.with_name(path.name + ".cfg")
    text = converted(path)
    if os.environ.get("REGEN"):
        golden.write_text(text)
    assert text == golden.read_text()


# what xend made of each file, as libxl JSON paths the reference xl must produce
EXPECT: dict[str, dict[str, object]] = {
    "pv-pygrub.vm.sxp": {
        "c_info/type": "pv", "b_info/max_vcpus": 4, "b_info/avail_vcpus": [0, 1],
        "b_info/bootloader": "pygrub", "b_info/bootloader_args": ["-q", "--entry=1"],
        # xend handed these to pygrub (--kernel= --ramdisk= --args=), as libxl does
        "b_info/kernel": "/boot/vmlinuz-2.6.32-5-xen-amd64",
        "b_info/ramdisk": "/boot/initrd.img-2.6.32-5-xen-amd64",
        "b_info/cmdline": "console=hvc0 xencons=tty",
        "b_info/sched_params/cap": 50, "b_info/sched_params/weight": 512,
        "disks/0/pdev_path": "/srv/xen/web01-root.img", "disks/0/format": "raw",
        "disks/2/vdev": "xvdc", "nics/0/rate_bytes_per_interval": 62500,
        "nics/0/rate_interval_usecs": 50000, "nics/0/ifname": "web01.0",
        "vfbs/0/vnc/listen": "0.0.0.0", "vfbs/0/keymap": "de",
    },
    "hvm-cdrom.vm.sxp": {
        "c_info/type": "hvm", "b_info/type.hvm/boot": "dc",
        "b_info/type.hvm/vnc/display": 7, "b_info/type.hvm/vnc/findunused": "False",
        "b_info/type.hvm/vnc/listen": "127.0.0.1", "b_info/type.hvm/keymap": "en-us",
        "b_info/rtc_timeoffset": 3600, "b_info/localtime": "True",
        "disks/1/pdev_path": "/dev/sr0", "disks/1/is_cdrom": 1,
        "disks/2/vdev": "hdd", "disks/2/is_cdrom": 1,
        "pcidevs/0/bus": 4, "pcidevs/0/vdevfn": None, "pcidevs/0/msitranslate": True,
        "nics/0/model": "e1000", "nics/0/nictype": None,
    },
    "hvm-running.config.sxp": {
        "c_info/name": "db02", "c_info/uuid": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        "b_info/bootloader": None, "b_info/max_memkb": 1048576,
        "b_info/sched_params/weight": 384, "b_info/vcpu_hard_affinity": None,
        # the vfb device is the HVM guest's qemu display: its keymap wins (image.py)
        "b_info/type.hvm/vnc/enable": "True", "b_info/type.hvm/keymap": "en-gb",
        "b_info/type.hvm/boot": "c", "disks/0/pdev_path": "/dev/vg0/db02",
        "disks/1/format": "empty", "disks/1/is_cdrom": 1,
        "nics/0/rate_bytes_per_interval": 1250000, "nics/0/rate_interval_usecs": 50000,
        "pcidevs/0/dev": 29, "pcidevs/0/vdevfn": 40, "vfbs": None,
    },
}


def test_every_file_has_expectations() -> None:
    assert sorted(EXPECT) == [p.name for p in FILES]


@pytest.mark.reference
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reference_xl_reads_the_xend_meaning(path: Path, reference: Any) -> None:
    means(reference, converted(path), EXPECT[path.name])


# ---- one test per form

def test_xm_create_writes_vcpu_avail_before_vcpus() -> None:
    m = sxp_mig("(vm (name g) (vcpu_avail 3) (vcpus 4))")
    assert (m.get("vcpus"), m.get("maxvcpus")) == (2, 4)


def test_image_ip_is_the_finished_ip_parameter() -> None:
    m = sxp_mig("(vm (name g) (image (linux (kernel /k)\n"
                " (ip 10.0.0.5:127.0.255.255:10.0.0.1:255.255.255.0:g:eth0:off) (args 'ro'))))")
    assert m.get("extra") == "ip=10.0.0.5:127.0.255.255:10.0.0.1:255.255.255.0:g:eth0:off ro"
    assert notes(m) == []
    assert located(m, "ip") == [
        ("2:2", "changed", ("extra",), "the image's ip= parameter: extra= starts with "
         "\"ip=10.0.0.5:127.0.255.255:10.0.0.1:255.255.255.0:g:eth0:off\", as xend's command "
         "line did")]


def test_image_ip_not_added_when_args_have_one() -> None:
    m = sxp_mig("(vm (name g) (image (linux (kernel /k) (ip dhcp) (args 'ip=off'))))")
    assert m.get("extra") == "ip=off"
    assert notes(m) == []
    assert located(m, "ip") == [
        ("1:40", "dropped", (), "the image's ip= parameter: not used, the args already have "
         "ip=, as xend found too")]


@pytest.mark.parametrize(("cpus", "expected"), [
    ("((0 2) (1 3))", ["0,2", "1,3"]),
    ("((3) ())", ["3", "all"]),
    ("(() ())", None),  # xend 3.3+'s "no pinning" in every config.sxp
    ("'0-3,^1'", "0-3,^1"),
])
def test_cpus_forms(cpus: str, expected: object) -> None:
    m = sxp_mig(f"(domain (name g) (vcpus 2) (cpus {cpus}))")
    assert m.get("cpus") == expected
    assert m.diagnostics == ()


def test_running_vfb_keys_are_not_vfb_options() -> None:
    m = sxp_mig("(domain (name g) (device (vfb (backend 0) (type vnc) (protocol rfb)\n"
                " (location 127.0.0.1:5900) (uuid 4f5a) (other_config ()) (vnclisten 0.0.0.0))))")
    assert m.errors == ()
    assert m.get("vfb") == ["vnc=1,vnclisten=0.0.0.0"]


def test_hvm_vfb_is_the_qemu_display() -> None:
    m = sxp_mig("(domain (name g) (image (hvm (vnc 0) (keymap en-us) (vnclisten 0.0.0.0)))\n"
                " (device (vfb (type vnc) (vncdisplay 3) (keymap de) (location x))))")
    assert m.get("vfb") is None
    assert [(k, m.get(k)) for k in ("vnc", "vncdisplay", "keymap", "vnclisten")] == [
        ("vnc", 1), ("vncdisplay", 3), ("keymap", "de"), ("vnclisten", "0.0.0.0")]


@pytest.mark.parametrize(("rate", "xl", "message"), [
    ("1250000,50000", "rate=25000000B/s@50000us", None),
    ("4294967295,0", None, "vif rate 4294967295,0 is xend's 'unlimited': no rate= written"),
    ("1000,30000", "rate=33333B/s@30000us",
     "vif rate 1000,30000 (1000 bytes per 30000 us) rounded to 33333 bytes/s"),
])
def test_running_vif_rate(rate: str, xl: str | None, message: str | None) -> None:
    m = sxp_mig(f"(domain (name g) (device (vif (mac 00:16:3e:00:00:01) (rate {rate}))))")
    assert m.get("vif") == [",".join(filter(None, ["mac=00:16:3e:00:00:01", xl]))]
    line = f" (domain (name g) (device (vif (mac 00:16:3e:00:00:01) (rate {rate}))))"
    assert notes(m) == ([] if message is None else [
        f"d.sxp:1:26: note: {message}\n    1 |{line}\n      |                          ^"])


@pytest.mark.parametrize(("dev", "bdf"), [
    ("(domain 0x0000) (bus 0x03) (slot 0x00) (func 0x1) (vdevfn 0x28)", "0000:03:00.1@5"),
    ("(domain 0x0000) (bus 0x03) (slot 0x00) (func 0x1) (vdevfn 0x100)", "0000:03:00.1"),
    ("(domain 0) (bus 08) (slot 1d) (func 0)", "0000:08:1d.0"),  # xend: int(x, 16)
    ("(bus 0x0c) (slot 0x1b) (func 0x2) (vslot 0x5)", "0000:0c:1b.2@5"),
    ("(bus 0x0c) (slot 0x1b) (func 0x2) (opts (msitranslate 1)) (opts (power_mgmt 0))",
     "0000:0c:1b.2,msitranslate=1,power_mgmt=0"),
])
def test_pci_dev(dev: str, bdf: str) -> None:
    m = sxp_mig(f"(domain (name g) (device (pci (dev {dev}))))")
    assert m.errors == ()
    assert m.get("pci") == [bdf]


@pytest.mark.parametrize(("dev", "message"), [
    ("(bus 0x0g) (slot 0) (func 0)",
     "d.sxp:1:41: error: (bus 0x0g): not a hex number\n"
     "    1 | (domain (name g) (device (pci (dev (bus 0x0g) (slot 0) (func 0)))))\n"
     "      |                                         ^^^^"),
    ("(bus 0) (func 0)",
     "d.sxp:1:31: error: (dev ...) has no (slot ...)\n"
     "    1 | (domain (name g) (device (pci (dev (bus 0) (func 0)))))\n"
     "      |                               ^^^^^^^^^^^^^^^^^^^^^^\n"
     "  expected: (slot N) with N a hex number"),
])
def test_bad_pci_numbers_are_positioned(dev: str, message: str) -> None:
    m = sxp_mig(f"(domain (name g) (device (pci (dev {dev}))))")
    assert [d.format() for d in m.errors] == [message]


def test_ioports_and_irq_devices() -> None:
    m = sxp_mig("(vm (name g) (device (ioports (from 0x2f8) (to 0x2ff)))\n"
                " (device (ioports (from 888) (to 890))) (device (irq (irq 5))))")
    assert m.get("ioports") == ["2f8-2ff", "378-37a"]
    assert m.get("irqs") == ["5"]
    assert m.diagnostics == ()


def test_ioports_bad_number() -> None:
    m = sxp_mig("(vm (name g) (device (ioports (from 0x2f8) (to com1))))")
    assert [d.format() for d in m.errors] == [
        "d.sxp:1:48: error: (to com1): not a number (0x... for hex)\n"
        "    1 | (vm (name g) (device (ioports (from 0x2f8) (to com1))))\n"
        "      |                                                ^^^^"]


def test_xenapi_fields_are_read_through_their_legacy_twins() -> None:
    m = sxp_mig("(domain (name_label api) (VCPUs_max 4) (PV_kernel '') (name g)\n"
                " (actions_after_crash preserve))")
    assert (m.get("name"), m.get("vcpus"), m.get("on_crash")) == ("g", 4, "preserve")
    assert notes(m) == []
    assert located(m, "name_label") + located(m, "PV_kernel") == [
        ("1:9", "ignored", (), "xend's XenAPI copy of (name ...), which this file has: "
         "not read"),
        ("1:40", "ignored", (), "xend's XenAPI record field: the legacy keys and the image "
         "of this file carry the configuration")]
    assert [r.key for r in m.report][:5] == [
        "name_label", "vcpus", "PV_kernel", "name", "on_crash"]


def test_empty_bootloader_is_no_bootloader() -> None:
    m = sxp_mig("(domain (name g) (bootloader '') (description '')\n"
                " (image (linux (kernel /boot/vmlinuz) (args 'ro'))))")
    assert (m.get("bootloader"), m.get("kernel"), m.get("extra")) == (
        None, "/boot/vmlinuz", "ro")
    assert notes(m) == []
    assert located(m, "bootloader") + located(m, "description") == [
        ("1:18", "dropped", (), "(bootloader '') is xend's 'no bootloader': not written"),
        ("1:34", "dropped", (), "(description '') is xend's 'no description': not written")]
    assert [r.key for r in m.report][:4] == ["name", "bootloader", "description", "builder"]


def test_bootloader_keeps_the_kernel_it_was_given() -> None:
    m = sxp_mig("(vm (name g) (bootloader /usr/bin/pygrub)\n"
                " (image (linux (kernel /boot/vmlinuz-xen) (args 'console=hvc0'))))")
    assert (m.get("kernel"), m.get("extra")) == ("/boot/vmlinuz-xen", "console=hvc0")


def test_bootloader_extracted_files_are_dropped() -> None:
    m = sxp_mig("(domain (name g) (bootloader /usr/bin/pygrub) (image (linux\n"
                " (kernel /var/run/xend/boot/boot_kernel.x1) (ramdisk /var/run/xend/boot/"
                "boot_ramdisk.y2) (args 'ro root=/dev/xvda1'))))")
    assert (m.get("kernel"), m.get("ramdisk"), m.get("extra")) == (None, None, None)
    assert status(m, "kernel")[0] == status(m, "extra")[0] == "dropped"


def test_blktap2_tapdisk_uname_wins() -> None:
    m = sxp_mig("(domain (name g) (device (tap2 (uname phy:/dev/xen/blktap-2/tapdev0)\n"
                " (tapdisk_uname tap2:tapdisk:vhd:/srv/g.vhd) (dev xvda) (mode w))))")
    assert m.get("disk") == ["format=vhd, vdev=xvda, access=rw, target=/srv/g.vhd"]


def test_backend_blkif_is_a_driver_domain_flag() -> None:
    m = sxp_mig("(vm (name g) (backend (blkif)) (backend (netif)))")
    assert status(m, "blkif")[0] == status(m, "netif")[0] == "dropped"
    assert m.diagnostics == ()


def test_reader_items_reach_the_cli_report(tmp_path: Path) -> None:
    """What the SXP reader consumes itself is in the per-key report, text and JSON,
    at its place in the source: not a note beside it."""
    src = tmp_path / "g.sxp"
    src.write_text("(domain (name g) (name_label g) (bootloader '')\n"
                   " (image (linux (kernel /k) (ip dhcp) (args ro))))\n")
    out, err = io.StringIO(), io.StringIO()
    assert cli_run(["migrate-config", str(src)], Context(stdout=out, stderr=err)) == 0
    assert err.getvalue().splitlines()[1:8] == [
        f"{src}:1:9: kept: name",
        f"{src}:1:18: ignored: name_label: xend's XenAPI copy of (name ...), which this file "
        "has: not read",
        f"{src}:1:33: dropped: bootloader: (bootloader '') is xend's 'no bootloader': "
        "not written",
        f"{src}:2:9: renamed: builder -> type: builder='linux' -> type=\"pv\"",
        f"{src}:2:16: kept: kernel",
        f"{src}:2:28: changed: ip -> extra: the image's ip= parameter: extra= starts with "
        "\"ip=dhcp\", as xend's command line did",
        f"{src}:2:38: kept: extra"]
    out = io.StringIO()
    assert cli_run(["migrate-config", "--report", "json", "-o", str(tmp_path / "o"),
                    str(src)], Context(stdout=out, stderr=io.StringIO())) == 0
    (result,) = json.loads(out.getvalue())["files"]
    assert result["diagnostics"] == []
    assert [(k["key"], k["status"], k["line"], k["col"]) for k in result["keys"]][:7] == [
        ("name", "kept", 1, 9), ("name_label", "ignored", 1, 18),
        ("bootloader", "dropped", 1, 33), ("builder", "renamed", 2, 9),
        ("kernel", "kept", 2, 16), ("ip", "changed", 2, 28), ("extra", "kept", 2, 38)]
