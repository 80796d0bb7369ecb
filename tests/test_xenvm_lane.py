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
from typing import Any

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
    serial = tmp_path / "serial.log"
    argv = lane.qemu_argv(tmp_path / "out", tmp_path / "share", mem_mb=2048, dom0_mem="1024M",
                          shell=False, serial=serial, xen_args="hap=0")
    text = " ".join(argv)
    assert argv[argv.index("-cpu") + 1].startswith("max,-smap,-rdtscp,")
    assert argv[argv.index("-accel") + 1] == "tcg,thread=multi,tb-size=256"
    assert argv[argv.index("-smp") + 1] == "1"
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in argv
    assert f"local,path={tmp_path / 'share'},mount_tag=lane,security_model=none,id=lane" in argv
    assert "dom0_mem=1024M,max:1024M dom0_max_vcpus=1" in text
    assert argv[argv.index("-append") + 1].endswith(" noreboot hap=0 conswitch=ax")
    assert argv[argv.index("-monitor") + 1] == \
        f"unix:{tmp_path / 'monitor.sock'},server=on,wait=off"
    assert argv[argv.index("-chardev") + 1] == (
        f"socket,id=com1,path={tmp_path / 'serial.sock'},server=on,wait=off,logfile={serial}")
    assert argv[argv.index("-serial") + 1] == "chardev:com1"
    assert "lane=shell" not in text


def test_shell_keeps_the_console_on_stdio(tmp_path: Path) -> None:
    argv = lane.qemu_argv(tmp_path / "out", None, mem_mb=2048, dom0_mem="1024M", shell=True,
                          serial=tmp_path / "serial.log", tcg_thread="single")
    assert argv[argv.index("-serial") + 1] == "mon:stdio"
    assert argv[argv.index("-monitor") + 1] == "none"
    assert argv[argv.index("-accel") + 1] == "tcg,thread=single,tb-size=256"
    assert argv[argv.index("-append") + 1].endswith(" noreboot")
    assert "lane=shell" in argv[argv.index("-initrd") + 1]


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
                                    "run-lane.sh", "hvm-soak.sh"])
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


def test_script_run_ships_the_script(tmp_path: Path) -> None:
    share = tmp_path / "share"
    lane.stage_share(share, ["3", "nohpet|hpet=0|"], script=XENVM / "hvm-soak.sh")
    assert (share / "dom0-script.sh").read_bytes() == (XENVM / "hvm-soak.sh").read_bytes()
    assert (share / "pytest-args").read_text() == "3 'nohpet|hpet=0|'"
    assert not (share / "bench-runs").exists()


def test_timeout_after_the_tests_keeps_their_verdict(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """dom0 writes rc before the bench: a bench that hangs does not make the lane red."""
    out = tmp_path / "out"

    def fake_build(lane_dir: Path, force: bool) -> Path:
        return out

    class Hung:
        def __init__(self, argv: list[str], *, interactive: bool) -> None:
            (tmp_path / "share" / "results" / "rc").write_text("0\n")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(lane.image, "build", fake_build)
    monkeypatch.setattr(lane, "Qemu", Hung)
    monkeypatch.setattr(lane, "boot_and_wait", lambda qemu, serial, timeout: (None, 12.0))
    outcome = lane.lane(lane.parse_args(["--dir", str(tmp_path), "--bench", "2"]))
    assert (outcome.rc, outcome.reason) == (
        0, "pytest in dom0 (timeout after the tests: bench cut short)")
    monkeypatch.setattr(Hung, "__init__", lambda self, argv, interactive: None)
    outcome = lane.lane(lane.parse_args(["--dir", str(tmp_path)]))
    assert (outcome.rc, outcome.reason) == (lane.EXIT_LANE_BROKEN, "timeout")


def _bench() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "xen_create", XENVM.parent / "bench" / "xen_create.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["xen_create"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bench_report_medians_ratios_and_gaps() -> None:
    bench: Any = _bench()
    results = bench.Results()
    for wall, cpu in ((7.0, 0.5), (9.0, 0.7), (8.0, 0.6)):
        results.samples["xl"]["create"].append(bench.Sample(wall, cpu))
        results.samples["xl-py"]["create"].append(bench.Sample(wall * 1.5, cpu * 4))
    results.samples["xl"]["save"].append(bench.Sample(2.0, 0.1))
    results.runs_done = 3
    results.failures.append("run 2 (xl-py): xl-py save bench-xlpy-1 /tmp/x failed (rc=1): no\n.")
    lines = bench.report(results).splitlines()
    assert lines[0] == ("xl-py vs xl on a real Xen 4.17 hypervisor (QEMU TCG, dom0 1 vCPU): "
                        "PV guest, 128 MiB, 3 runs")
    assert lines[2].split() == ["list", "n/a", "n/a", "n/a", "-", "-", "n/a", "n/a", "0/0"]
    assert lines[3].split() == ["create", "8.00", "12.00", "1.50", "7.00/9.00", "10.50/13.50",
                                "0.60", "2.40", "3/3"]
    assert lines[4].split() == ["save", "2.00", "n/a", "n/a", "2.00/2.00", "-", "0.10", "n/a",
                                "1/0"]
    assert lines[-2] == "failed: run 2 (xl-py): xl-py save bench-xlpy-1 /tmp/x failed (rc=1): no"
    assert lines[-1] == "not timed for xl-py: list, save, restore"


def test_bench_refuses_to_run_outside_dom0(capsys: pytest.CaptureFixture[str]) -> None:
    if Path("/proc/xen/capabilities").exists():
        pytest.skip("this host is a Xen dom0")
    bench: Any = _bench()
    assert bench.main(["--runs", "1"]) == 2
    assert capsys.readouterr().err == (
        "not a Xen dom0: run this inside the lane (xenvm/run-lane.sh --bench N)\n")


@pytest.mark.skipif(sys.version_info[:2] != (3, 11) and shutil.which("python3.11") is None,
                    reason="needs a python3.11 (dom0's Python) on the host")
def test_dom0_python_is_byte_compiled_for_its_own_paths(tmp_path: Path) -> None:
    import marshal

    root = tmp_path / "dom0"
    source = root / "usr/lib/python3.11/json/lane_probe.py"
    source.parent.mkdir(parents=True)
    source.write_text("VALUE = 42\n")
    broken = root / "usr/lib/python3/dist-packages/py2only.py"
    broken.parent.mkdir(parents=True)
    broken.write_text("print 'old'\n")
    image.byte_compile(image.Tree(root, tmp_path / "stage"))
    pyc = source.parent / "__pycache__" / "lane_probe.cpython-311.pyc"
    data = pyc.read_bytes()
    assert int.from_bytes(data[4:8], "little") == 1  # hash-based, source not checked
    assert marshal.loads(data[16:]).co_filename == "/usr/lib/python3.11/json/lane_probe.py"
    assert not (broken.parent / "__pycache__" / "py2only.cpython-311.pyc").exists()
