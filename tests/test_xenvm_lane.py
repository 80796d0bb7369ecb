"""Host-side pieces of the real-Xen lane (xenvm/); the lane itself runs from .ci/run.

Decision (docs/xenvm.md): the lane is not a pytest test of the main run.  It needs
root, ~2 GiB of RAM and several minutes of both cores, so ``.ci/run`` invokes
``xenvm/run-lane.sh`` as its own step after pytest, and its exit status joins CI's.
Here: what can be checked in seconds without booting anything, for real.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

XENVM = Path(__file__).resolve().parent.parent / "xenvm"
sys.path.insert(0, str(XENVM))

import image  # noqa: E402
import lane  # noqa: E402


def test_print_uris_line_gives_package_and_file() -> None:
    line = ("'http://deb.example/pool/main/q/qemu/qemu-system-xen_1%3a7.2+dfsg-7+deb12u18+b3"
            "_amd64.deb' qemu-system-xen_1%3a7.2+dfsg-7+deb12u18+b3_amd64.deb 2764220 "
            "SHA256:00")
    assert image.package_of_uri_line(line) == (
        "qemu-system-xen", "qemu-system-xen_1:7.2+dfsg-7+deb12u18+b3_amd64.deb")
    with pytest.raises(ValueError, match="not an apt-get --print-uris line: 'E: nope'"):
        image.package_of_uri_line("E: nope")


def test_junit_counts(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    xml.write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="7" '
                   'failures="1" errors="1" skipped="3"/></testsuites>')
    assert lane.junit_counts(xml) == {"tests": 7, "failures": 1, "errors": 1, "skipped": 3,
                                      "passed": 2}


def test_outcome_matrix(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    xml.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="3">'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_pause_unpause[xl]"/>'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_rename[xl-py/libxl]">'
        '<skipped message="xl-py rename not implemented yet"/></testcase>'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_reboot[xl]">'
        '<failure message="AssertionError: timed out&#10;more"/></testcase>'
        "</testsuite></testsuites>")
    lane.write_matrix(xml, tmp_path / "matrix.txt")
    assert (tmp_path / "matrix.txt").read_text() == (
        "PASS  test_e2e_pv::test_pause_unpause[xl]\n"
        "SKIP  test_e2e_pv::test_rename[xl-py/libxl]  -- xl-py rename not implemented yet\n"
        "FAIL  test_e2e_pv::test_reboot[xl]  -- AssertionError: timed out\n")


def test_qemu_command_line_has_the_known_working_settings(tmp_path: Path) -> None:
    argv = lane.qemu_argv(tmp_path / "out", tmp_path / "share", mem_mb=2048, dom0_mem="1024M",
                          shell=False, serial=tmp_path / "serial.log")
    text = " ".join(argv)
    assert argv[argv.index("-cpu") + 1].startswith("max,-smap,-rdtscp,")
    assert argv[argv.index("-smp") + 1] == "1"
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in argv
    assert f"local,path={tmp_path / 'share'},mount_tag=lane,security_model=none,id=lane" in argv
    assert "dom0_mem=1024M,max:1024M dom0_max_vcpus=1" in text
    assert argv[argv.index("-serial") + 1] == f"file:{tmp_path / 'serial.log'}"
    assert "lane=shell" not in text


def test_share_ships_the_work_tree_without_venv_or_git(tmp_path: Path) -> None:
    share = tmp_path / "share"
    lane.stage_share(share, ["-k", "pv and not hvm"], bench_runs=3)
    with tarfile.open(share / "src.tar") as tar:
        names = set(tar.getnames())
    assert {"xl_py/__init__.py", "tests/e2e/lanelib.py", "xenvm/dom0-run.sh",
            "bench/xen_create.py"} <= names
    assert not [n for n in names if n.startswith((".git/", ".venv/")) or "__pycache__" in n]
    assert (share / "pytest-args").read_text() == "-k 'pv and not hvm'"
    assert (share / "bench-runs").read_text() == "3\n"
    assert (share / "dom0-run.sh").read_bytes() == (XENVM / "dom0-run.sh").read_bytes()
    assert (share / "results").is_dir()


def test_qemu_is_killed_with_its_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    proc = lane.Qemu(["sh", "-c", f"sleep 60 & echo $! > {marker}; wait"], interactive=False)
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    assert lane.boot_and_wait(proc, tmp_path / "serial.log", timeout=0.5) == (None, None)
    proc.stop()
    assert proc.proc.poll() is not None
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or \
        "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


@pytest.mark.parametrize("script", ["dom0-init.sh", "dom0-run.sh", "guest-init.sh",
                                    "run-lane.sh"])
def test_shell_scripts_parse(script: str) -> None:
    done = subprocess.run(["sh", "-n", str(XENVM / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get (Debian host)")
def test_package_closure_holds_what_the_image_needs(tmp_path: Path) -> None:
    try:
        names = image.closure(image.ROOT_PACKAGES, tmp_path)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"apt cannot resolve the closure here: {exc}")
    for wanted in ("xen-hypervisor-4.17-amd64", "libvirt-daemon-driver-xen", "python3-pyxs",
                   "python3-libvirt", "python3-lark", "python3-click", "qemu-system-xen",
                   "libc6", "libxenmisc4.17"):
        assert wanted in names


def test_failed_node_ids_for_the_ci_rerun(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    xml.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="4">'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_pause_unpause[xl]"/>'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_rename[xl-py/libxl]">'
        '<skipped message="not yet"/></testcase>'
        '<testcase classname="tests.e2e.test_e2e_pv" name="test_reboot[xl]">'
        '<failure message="timed out"/></testcase>'
        '<testcase classname="tests.e2e.test_e2e_faults" name="test_missing_kernel[xl]">'
        '<error message="fixture"/></testcase>'
        "</testsuite></testsuites>")
    assert lane.failed_node_ids(xml) == [
        "tests/e2e/test_e2e_pv.py::test_reboot[xl]",
        "tests/e2e/test_e2e_faults.py::test_missing_kernel[xl]"]
