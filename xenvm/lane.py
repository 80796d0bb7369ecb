"""The xl-py real-Xen lane, host side: build, boot, run the end-to-end tests, report.

    python3 xenvm/lane.py [--rebuild] [--build-only] [--shell] [--timeout S] [--bench N]
                          [--script FILE] [--tcg-thread T] [--xen-args A]
                          [--no-watchdog] [-- PYTEST ARGS]

Steps: build (or reuse) the dom0 image (:mod:`image`), ship the xl-py work tree and
``dom0-run.sh`` through a 9p share, boot Xen 4.17 + dom0 under ``qemu-system-x86_64
-accel tcg``, wait for dom0 to leave QEMU through isa-debug-exit, then copy the JUnit
XML, pytest's log, the serial log and the Xen/libvirt/guest console logs to
``<lane dir>/artifacts``.  The lane directory is ``$XL_PY_LANE_DIR`` or
``/tmp/xl-py-lane``.

Exit status: pytest's inside dom0 (0 = every end-to-end test passed or skipped),
``EXIT_UNAVAILABLE`` (77) when the image cannot be built because Debian's archive is
unreachable, 2 for any other lane failure (boot, timeout, no result).  QEMU runs in
its own process group and is killed on every way out of this program.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import image  # sibling modules (this file also runs as a script)
import watchdog

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXIT_UNAVAILABLE = 77
EXIT_LANE_BROKEN = 2

#: QEMU 7.2 TCG: SMAP makes TCG's CPL3 stack pops fault in the PV dom0, and RDTSCP
#: intercepts are misreported to Xen (HVM/PVH guests die); one vCPU, because with two
#: dom0 programs crash now and then under TCG.  XSAVE (and with it the AVX family) goes
#: too: with it, xl's XZ kernel decompression in dom0 failed ("Invalid kernel") every
#: time another guest was running (its SIMD state is clobbered across domain switches);
#: without it Xen switches FPU state with FXSAVE and the failure is gone.
QEMU_CPU = "max,-smap,-rdtscp,-avx,-avx2,-f16c,-fma,-vaes,-vpclmulqdq,-xsave"
XEN_CMDLINE = ("dom0_mem={mem},max:{mem} dom0_max_vcpus=1 console=com1 com1=115200,8n1 "
               "loglvl=all guest_loglvl=all noreboot")
DOM0_CMDLINE = "console=hvc0 earlyprintk=xen rdinit=/init"
SOURCE_SKIP = (".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
               "xl_py.egg-info", ".hypothesis")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one lane run brought back."""

    rc: int
    reason: str
    wall_s: float
    build_s: float
    ready_s: float | None
    tests: dict[str, int]
    wakeups: tuple[str, ...] = ()  # lost wakeups the watchdog kicked (xenvm/watchdog.py)


def log(message: str) -> None:
    print(f"[xenvm lane] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the share


def source_files(repo: Path) -> list[Path]:
    """The work tree as git sees it (tracked + untracked, not ignored); a walk without git."""
    try:
        argv = ["git", "-C", str(repo), "ls-files", "-z", "-co", "--exclude-standard"]
        out = subprocess.run(argv, check=True, capture_output=True, timeout=60).stdout
        names = [n for n in out.decode().split("\0") if n]
        return [repo / n for n in names if (repo / n).is_file()]
    except (OSError, subprocess.SubprocessError):
        return [p for p in repo.rglob("*")
                if p.is_file() and not set(p.relative_to(repo).parts) & set(SOURCE_SKIP)]


def stage_share(share: Path, pytest_args: Sequence[str], bench_runs: int = 0,
                script: Path | None = None) -> None:
    shutil.rmtree(share, ignore_errors=True)
    (share / "results").mkdir(parents=True)
    with tarfile.open(share / "src.tar", "w") as tar:
        for path in source_files(REPO):
            rel = path.relative_to(REPO)
            if set(rel.parts) & set(SOURCE_SKIP):
                continue
            tar.add(path, arcname=str(rel), recursive=False)
    shutil.copy2(HERE / "dom0-run.sh", share / "dom0-run.sh")
    (share / "pytest-args").write_text(" ".join(_quote(a) for a in pytest_args))
    if bench_runs:
        (share / "bench-runs").write_text(f"{bench_runs}\n")
    if script is not None:  # runs in dom0 instead of pytest (investigations, soaks)
        shutil.copy2(script, share / "dom0-script.sh")


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_=./:[]," for c in arg) else "'" + \
        arg.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- QEMU


def qemu_argv(out: Path, share: Path | None, *, mem_mb: int, dom0_mem: str, shell: bool,
              serial: Path, xen_args: str = "", tcg_thread: str = "multi") -> list[str]:
    """QEMU's command line.  Unless ``shell``: the serial console goes to a socket that
    also logs to ``serial``, the monitor to a socket, both next to ``serial`` (see
    :func:`sockets`; the lost-wakeup watchdog uses them), and Xen keeps the serial input
    (``conswitch=ax``)."""
    xen = f"{XEN_CMDLINE.format(mem=dom0_mem)} {xen_args}".strip()
    argv = [
        "qemu-system-x86_64", "-accel", f"tcg,thread={tcg_thread},tb-size=256", "-cpu", QEMU_CPU,
        "-smp", "1", "-m", str(mem_mb), "-display", "none", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", str(out / "xen.elf"),
        "-initrd", f"{out / 'vmlinuz'} {DOM0_CMDLINE}{' lane=shell' if shell else ''},"
                   f"{out / 'dom0.cpio'}",
    ]
    if shell:
        argv += ["-append", xen, "-monitor", "none", "-serial", "mon:stdio"]
    else:
        monitor, console = sockets(serial)
        argv += ["-append", f"{xen} {watchdog.XEN_KEEPS_SERIAL_INPUT}",
                 "-monitor", f"unix:{monitor},server=on,wait=off",
                 "-chardev", f"socket,id=com1,path={console},server=on,wait=off,logfile={serial}",
                 "-serial", "chardev:com1"]
    if share is not None:
        argv += ["-virtfs", f"local,path={share},mount_tag=lane,security_model=none,id=lane"]
    return argv


def sockets(serial: Path) -> tuple[Path, Path]:
    """(QEMU monitor, serial console) sockets of a run, next to its serial log.

    By hand while the lane runs: ``socat - UNIX-CONNECT:<lane>/monitor.sock`` then
    ``info registers`` / ``info lapic``; keystrokes on serial.sock go to Xen's debug
    keys (``h`` lists them)."""
    return serial.with_name("monitor.sock"), serial.with_name("serial.sock")


def start_watchdog(serial: Path) -> watchdog.Watchdog:
    monitor, console = sockets(serial)
    dog = watchdog.Watchdog(watchdog.Monitor(monitor), console, serial, log)
    dog.start()
    return dog


class Qemu:
    """QEMU in its own process group; ``stop`` kills the whole group (idempotent)."""

    def __init__(self, argv: Sequence[str], *, interactive: bool) -> None:
        self.proc = subprocess.Popen(
            list(argv), start_new_session=not interactive,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=None if interactive else subprocess.DEVNULL)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def boot_and_wait(qemu: Qemu, serial: Path, timeout: float) -> tuple[int | None, float | None]:
    """Poll QEMU until it exits or ``timeout``; returns (QEMU status, seconds to dom0 ready)."""
    start = time.monotonic()
    ready: float | None = None
    while True:
        status = qemu.wait(2.0)
        if ready is None and b"LANE-DOM0-READY" in _read(serial):
            ready = time.monotonic() - start
            log(f"dom0 toolstack ready after {ready:.1f} s")
        if status is not None:
            return status, ready
        if time.monotonic() - start > timeout:
            log(f"timeout after {timeout:.0f} s: killing QEMU")
            return None, ready


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


# ---------------------------------------------------------------- results


def junit_counts(xml_path: Path) -> dict[str, int]:
    """tests/failures/errors/skipped summed over the test suites of a JUnit XML file."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = ET.parse(xml_path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, "0"))
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return counts


def failed_node_ids(xml_path: Path) -> list[str]:
    """pytest node ids (tests/e2e/x.py::test[param]) of the failed/errored cases."""
    ids = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            continue
        path = case.get("classname", "").replace(".", "/") + ".py"
        ids.append(f"{path}::{case.get('name', '')}")
    return ids


def outcomes(xml_path: Path) -> list[tuple[str, str, str]]:
    """(test id, PASS/FAIL/ERROR/SKIP, skip or failure message) per test case."""
    rows = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name', '')}"
        verdict, note = "PASS", ""
        for tag, word in (("failure", "FAIL"), ("error", "ERROR"), ("skipped", "SKIP")):
            child = case.find(tag)
            if child is not None:
                verdict = word
                note = (child.get("message") or "").splitlines()[0][:160] if \
                    child.get("message") else ""
                break
        rows.append((name, verdict, note))
    return rows


def write_matrix(xml_path: Path, output: Path) -> None:
    lines = [f"{verdict:<6}{name}{'  -- ' + note if note else ''}"
             for name, verdict, note in outcomes(xml_path)]
    output.write_text("\n".join(lines) + "\n")


def collect(share: Path, serial: Path, artifacts: Path) -> None:
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    results = share / "results"
    if results.is_dir():
        shutil.copytree(results, artifacts, dirs_exist_ok=True, symlinks=True)
    if serial.is_file():
        shutil.copy2(serial, artifacts / "serial.log")


def report_failure(artifacts: Path) -> None:
    """Print what a reader needs first: the serial tail and every guest console's tail."""
    serial = artifacts / "serial.log"
    if serial.is_file():
        tail = serial.read_bytes().decode(errors="replace").splitlines()[-60:]
        print("---- serial.log (last 60 lines) ----", *tail, sep="\n", file=sys.stderr)
    consoles = sorted((artifacts / "logs/xen/console").glob("*.log"))
    for console in consoles:
        tail = console.read_bytes().decode(errors="replace").splitlines()[-15:]
        print(f"---- {console.name} (last 15 lines) ----", *tail, sep="\n", file=sys.stderr)
    print(f"artifacts: {artifacts}", file=sys.stderr)


# ---------------------------------------------------------------- main


def lane(args: argparse.Namespace) -> Outcome:
    t0 = time.monotonic()
    lane_dir = Path(args.dir)
    lane_dir.mkdir(parents=True, exist_ok=True)
    try:
        out = image.build(lane_dir, force=args.rebuild)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError,
            OSError) as exc:
        unreachable = isinstance(exc, subprocess.CalledProcessError) and \
            exc.cmd[:2] in (["apt-get", "download"], ["apt-get", "update"])
        return Outcome(EXIT_UNAVAILABLE if unreachable else EXIT_LANE_BROKEN,
                       f"image build failed: {exc}", time.monotonic() - t0, 0.0, None, {})
    build_s = time.monotonic() - t0
    if args.build_only:
        return Outcome(0, "built", time.monotonic() - t0, build_s, None, {})
    share = lane_dir / "share"
    serial = lane_dir / "serial.log"
    serial.write_bytes(b"")
    stage_share(share, args.pytest_args, args.bench, args.script)
    argv = qemu_argv(out, share, mem_mb=args.mem, dom0_mem=args.dom0_mem, shell=args.shell,
                     serial=serial, xen_args=args.xen_args, tcg_thread=args.tcg_thread)
    log(f"booting: {' '.join(argv)}")
    qemu = Qemu(argv, interactive=args.shell)
    dog = None
    try:
        if args.shell:
            qemu.proc.wait()
            return Outcome(0, "shell", time.monotonic() - t0, build_s, None, {})
        dog = start_watchdog(serial) if args.watchdog else None
        status, ready = boot_and_wait(qemu, serial, args.timeout)
    finally:  # also on SIGTERM/Ctrl-C: stop QEMU, keep what the run produced
        if dog is not None:
            dog.stop()
        qemu.stop()
        collect(share, serial, lane_dir / "artifacts")
    artifacts = lane_dir / "artifacts"
    kicks = tuple(dog.kicks) if dog is not None else ()
    if kicks:
        (artifacts / "wakeups.txt").write_text("\n".join(kicks) + "\n")
    wall = time.monotonic() - t0
    rc_file = artifacts / "rc"
    junit = artifacts / "junit.xml"
    counts = junit_counts(junit) if junit.is_file() else {}
    if junit.is_file():
        write_matrix(junit, artifacts / "matrix.txt")
    if status is None and rc_file.is_file():  # the tests had finished: only the bench hung
        return Outcome(int(rc_file.read_text().strip() or EXIT_LANE_BROKEN),
                       "pytest in dom0 (timeout after the tests: bench cut short)", wall,
                       build_s, ready, counts, kicks)
    if status is None:
        return Outcome(EXIT_LANE_BROKEN, "timeout", wall, build_s, ready, counts, kicks)
    if not rc_file.is_file():
        return Outcome(EXIT_LANE_BROKEN, f"dom0 left no result (QEMU status {status})", wall,
                       build_s, ready, counts, kicks)
    rc = int(rc_file.read_text().strip() or EXIT_LANE_BROKEN)
    return Outcome(rc, "pytest in dom0", wall, build_s, ready, counts, kicks)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="xenvm/run-lane.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=os.environ.get("XL_PY_LANE_DIR", "/tmp/xl-py-lane"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the image")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--shell", action="store_true", help="interactive dom0 shell")
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("XL_PY_LANE_TIMEOUT", "2400")))
    parser.add_argument("--bench", type=int, default=0, metavar="RUNS",
                        help="also run bench/xen_create.py with RUNS runs in dom0")
    parser.add_argument("--script", type=Path, metavar="FILE",
                        help="run this shell script in dom0 instead of pytest "
                             "(e.g. xenvm/hvm-soak.sh)")
    parser.add_argument("--no-watchdog", dest="watchdog", action="store_false",
                        help="do not wake the emulated CPU when TCG loses a wakeup "
                             "(xenvm/watchdog.py)")
    parser.add_argument("--xen-args", default="", metavar="ARGS",
                        help="more options for Xen's command line")
    parser.add_argument("--tcg-thread", choices=("single", "multi"), default="multi",
                        help="QEMU's TCG threading (-accel tcg,thread=...)")
    parser.add_argument("--mem", type=int, default=2048, help="QEMU RAM (MiB)")
    parser.add_argument("--dom0-mem", default="1024M")
    parser.add_argument("--failed-of", metavar="JUNIT",
                        help="print the node ids that failed in JUNIT, one a line, and exit")
    parser.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.failed_of:
        print(*failed_node_ids(Path(args.failed_of)), sep="\n")
        return 0
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    outcome = lane(args)
    summary = Path(args.dir) / "artifacts" / "summary.json"
    if summary.parent.is_dir():
        summary.write_text(json.dumps(asdict(outcome), indent=2) + "\n")
    counts = outcome.tests
    tally = ", ".join(f"{counts[k]} {k}" for k in ("passed", "failures", "errors", "skipped")
                      if k in counts)
    ready = f"{outcome.ready_s:.1f} s" if outcome.ready_s is not None else "-"
    log(f"{outcome.reason}: rc={outcome.rc}; {tally or 'no JUnit result'}; "
        f"wall {outcome.wall_s:.0f} s (image {outcome.build_s:.0f} s, dom0 ready {ready}); "
        f"{len(outcome.wakeups)} lost wakeup(s) kicked")
    bench = Path(args.dir) / "artifacts" / "bench.txt"
    if args.bench and bench.is_file():
        print(bench.read_text(), end="")
    if outcome.rc not in (0, EXIT_UNAVAILABLE) and not args.shell:
        report_failure(Path(args.dir) / "artifacts")
    return outcome.rc


if __name__ == "__main__":
    sys.exit(main())
