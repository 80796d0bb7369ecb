"""``xl-py`` vs ``xl`` wall time on a real hypervisor: create, save, restore of one PV guest.

Runs inside a Xen dom0 (the lane runs it after the end-to-end tests with
``xenvm/run-lane.sh --bench N``; ``.ci/run`` does so with N=5)::

    python3 bench/xen_create.py [--runs 5] [--budget 600] [--json FILE]

One run, per toolstack (the two interleaved, their order alternating from run to run
so that drift and warm caches hit both alike): ``create`` the lane's busybox PV guest
(timed), wait until the guest's console says ``LANE-GUEST-UP`` (not timed: a guest
still booting cannot answer a suspend request), ``save`` it (timed), ``restore`` it
(timed), destroy it.  Besides, ``list`` is timed once per run as the floor of every
command (process start and imports: xl-py is Python under TCG).  Printed: per
operation the median wall time of each toolstack, the ratio xl-py / xl of the medians,
min/max, and the median CPU time (user + system) of the command's own process.

Numbers, not a test: a failing step is reported and the run goes on; the exit status
is 0 unless this is not a Xen dom0 (2).  ``--budget`` stops starting new runs when the
time is up (each command also has a 300 s timeout).  A toolstack that lacks an operation
has the reference xl step in, and that operation is reported as not timed.  Standard
library only (dom0 has python3 and xl-py's own dependencies, nothing more).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CONFIG = """\
name = "{name}"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 rdinit=/init quiet"
memory = 128
maxmem = 128
vcpus = 1
on_poweroff = "destroy"
"""
CONSOLE_DIR = Path("/var/log/xen/console")
OPERATIONS = ("list", "create", "save", "restore")
TOOLS: dict[str, tuple[str, ...]] = {"xl": ("xl",), "xl-py": ("xl-py",)}
COMMAND_TIMEOUT = 300.0
BOOT_TIMEOUT = 180.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed command: wall seconds and the CPU seconds of its own process tree."""

    wall: float
    cpu: float


@dataclass
class Results:
    """Samples per toolstack and operation, and what went wrong on the way."""

    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=lambda: {
        tool: {op: [] for op in OPERATIONS} for tool in TOOLS})
    failures: list[str] = field(default_factory=list)
    runs_done: int = 0


class StepFailed(RuntimeError):
    """A command of a run failed; the message names it and its error."""


def timed(argv: Sequence[str]) -> tuple[Sample, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"{' '.join(argv)} timed out after {exc.timeout:.0f} s") from None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu), done


def xlpy_commands() -> set[str]:
    """The xl-py commands that exist: listed by ``xl-py help`` and importable."""
    try:
        out = subprocess.run(["xl-py", "help"], capture_output=True, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    listed = {line.split()[0] for line in out.splitlines() if line.startswith(" ") and line.strip()}
    try:
        import importlib.util

        from xl_py.cli.table import lookup
    except ImportError:
        return set()
    present = set()
    for name in listed:
        row = lookup(name)
        if row and importlib.util.find_spec(f"xl_py.cli.commands.{row.module}") is not None:
            present.add(name)
    return present


def run_step(tool: str, have: set[str], op: str, args: Sequence[str],
             times: dict[str, Sample]) -> None:
    """Run ``op`` with ``tool`` (xl when ``tool`` lacks it); keep the time if it was ``tool``'s."""
    argv = [*(TOOLS[tool] if op in have else TOOLS["xl"]), *args]
    sample, done = timed(argv)
    if done.returncode != 0:
        raise StepFailed(f"{' '.join(argv)} failed (rc={done.returncode}): "
                         f"{done.stderr.strip()[-400:]}")
    if op in have:
        times[op] = sample


def wait_booted(name: str, since: int) -> None:
    """Until the guest's console log (xenconsoled) shows LANE-GUEST-UP after ``since``."""
    log = CONSOLE_DIR / f"guest-{name}.log"
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if b"LANE-GUEST-UP" in log.read_bytes()[since:]:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise StepFailed(f"guest {name} did not print LANE-GUEST-UP within {BOOT_TIMEOUT:.0f} s")


def console_size(name: str) -> int:
    try:
        return (CONSOLE_DIR / f"guest-{name}.log").stat().st_size
    except OSError:
        return 0


def one_run(tool: str, have: set[str], name: str, folder: Path) -> dict[str, Sample]:
    """list, create, save, restore with ``tool``; the guest is destroyed whatever happens."""
    config = folder / f"{name}.cfg"
    config.write_text(CONFIG.format(name=name))
    image = folder / f"{name}.save"
    times: dict[str, Sample] = {}
    try:
        run_step(tool, have, "list", ["list"], times)
        since = console_size(name)
        run_step(tool, have, "create", ["create", str(config)], times)
        wait_booted(name, since)
        run_step(tool, have, "save", ["save", name, str(image)], times)
        run_step(tool, have, "restore", ["restore", str(image)], times)
    finally:
        image.unlink(missing_ok=True)
        subprocess.run(["xl", "destroy", name], capture_output=True, timeout=120)
    return times


def measure(runs: int, budget: float) -> Results:
    have = {"xl": set(OPERATIONS), "xl-py": xlpy_commands() & set(OPERATIONS)}
    results = Results()
    deadline = time.monotonic() + budget
    with tempfile.TemporaryDirectory(prefix="xl-py-bench-") as tmp:
        for i in range(runs):
            if time.monotonic() > deadline:
                results.failures.append(f"budget of {budget:.0f} s used up after {i} runs")
                break
            order = list(TOOLS) if i % 2 == 0 else list(reversed(TOOLS))
            for tool in order:
                if not have[tool]:
                    continue
                try:
                    times = one_run(tool, have[tool], f"bench-{tool.replace('-', '')}-{i}",
                                    Path(tmp))
                except StepFailed as exc:  # report it, go on with the next run
                    results.failures.append(f"run {i + 1} ({tool}): {exc}")
                    continue
                for op, sample in times.items():
                    results.samples[tool][op].append(sample)
            results.runs_done = i + 1
    return results


def report(results: Results) -> str:
    lines = [f"xl-py vs xl on a real Xen 4.17 hypervisor (QEMU TCG, dom0 1 vCPU): "
             f"PV guest, 128 MiB, {results.runs_done} runs",
             f"{'operation':<10}{'xl':>9}{'xl-py':>9}{'ratio':>7}{'xl min/max':>14}"
             f"{'xl-py min/max':>15}{'cpu xl':>8}{'cpu xl-py':>10}{'n':>6}"]
    for op in OPERATIONS:
        ref, ours = results.samples["xl"][op], results.samples["xl-py"][op]
        ref_m, our_m = _median(ref, "wall"), _median(ours, "wall")
        ratio = f"{our_m / ref_m:.2f}" if ref_m and our_m else "n/a"
        lines.append(
            f"{op:<10}{_s(ref_m):>9}{_s(our_m):>9}{ratio:>7}{_range(ref):>14}{_range(ours):>15}"
            f"{_s(_median(ref, 'cpu')):>8}{_s(_median(ours, 'cpu')):>10}"
            f"{f'{len(ref)}/{len(ours)}':>6}")
    lines.append("seconds, medians; ratio = xl-py / xl; cpu = user+system of the command; "
                 "n = samples xl/xl-py")
    for failure in results.failures:
        lines.append("failed: " + failure.splitlines()[0][:300])
    missing = [op for op in OPERATIONS if not results.samples["xl-py"][op]]
    if missing:
        lines.append("not timed for xl-py: " + ", ".join(missing))
    return "\n".join(lines)


def _median(samples: list[Sample], what: str) -> float | None:
    return statistics.median(getattr(s, what) for s in samples) if samples else None


def _s(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _range(samples: list[Sample]) -> str:
    walls = [s.wall for s in samples]
    return f"{min(walls):.2f}/{max(walls):.2f}" if walls else "-"


def as_json(results: Results) -> dict[str, object]:
    return {"runs": results.runs_done, "failures": results.failures,
            "samples": {tool: {op: [{"wall": s.wall, "cpu": s.cpu} for s in samples]
                               for op, samples in ops.items()}
                        for tool, ops in results.samples.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds after which no new run starts (default 600)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    if not os.path.exists("/proc/xen/capabilities"):
        print("not a Xen dom0: run this inside the lane (xenvm/run-lane.sh --bench N)",
              file=sys.stderr)
        return 2
    t0 = time.monotonic()
    results = measure(args.runs, args.budget)
    print(report(results))
    print(f"bench wall time {time.monotonic() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
