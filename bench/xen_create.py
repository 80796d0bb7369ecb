"""``xl-py`` vs ``xl`` wall time on a real hypervisor: create, save, restore of one PV guest.

Runs inside a Xen dom0 (the lane runs it with ``xenvm/run-lane.sh --bench``)::

    python3 bench/xen_create.py [--runs 5] [--json FILE]

For each toolstack and run: ``create`` the lane's busybox PV guest (timed), ``save`` it
(timed), ``restore`` it (timed), ``destroy`` it.  Prints the median, min and max per
operation and the ratio xl-py / xl of the medians.  A toolstack that lacks an
operation is reported as such instead of timed (``xl-py`` grows its runtime over time).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

CONFIG = """\
name = "{name}"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 rdinit=/init quiet"
memory = 128
vcpus = 1
on_poweroff = "destroy"
"""
OPERATIONS = ("create", "save", "restore")
TOOLS = {"xl": ("xl",), "xl-py": ("xl-py",)}


def timed(argv: Sequence[str],
          timeout: float = 300) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0, done


def xlpy_commands() -> set[str]:
    """The xl-py commands that exist: listed by ``xl-py help`` and importable."""
    try:
        out = subprocess.run(["xl-py", "help"], capture_output=True, text=True, timeout=60).stdout
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


def cleanup(name: str) -> None:
    subprocess.run(["xl", "destroy", name], capture_output=True, timeout=60)


def one_run(tool: Sequence[str], have: set[str], name: str, folder: Path,
            times: dict[str, float]) -> None:
    """create, save, restore with ``tool`` (xl steps in for what ``tool`` lacks).

    A failing step ends the run (RuntimeError naming the command and its error)."""
    config = folder / f"{name}.cfg"
    config.write_text(CONFIG.format(name=name))
    image = folder / f"{name}.save"
    steps = (("create", ["create", str(config)]), ("save", ["save", name, str(image)]),
             ("restore", ["restore", str(image)]))
    try:
        for op, args in steps:
            argv = [*(tool if op in have else TOOLS["xl"]), *args]
            seconds, done = timed(argv)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed (rc={done.returncode}): "
                                   f"{done.stderr.strip()[-400:]}")
            if op in have:
                times[op] = seconds
            if op == "create":
                time.sleep(2)  # let the guest kernel start before it is saved
    finally:
        image.unlink(missing_ok=True)
        cleanup(name)


def measure(runs: int, failures: list[str]) -> dict[str, dict[str, list[float]]]:
    have_xlpy = xlpy_commands()
    have = {"xl": set(OPERATIONS), "xl-py": have_xlpy & set(OPERATIONS)}
    results: dict[str, dict[str, list[float]]] = {t: {op: [] for op in OPERATIONS} for t in TOOLS}
    with tempfile.TemporaryDirectory(prefix="xl-py-bench-") as tmp:
        for i in range(runs):
            for tool, argv in TOOLS.items():  # interleaved: drift hits both alike
                if tool != "xl" and not have[tool]:
                    continue
                times: dict[str, float] = {}
                try:
                    one_run(argv, have[tool], f"bench-{tool.replace('-', '')}-{i}",
                            Path(tmp), times)
                except RuntimeError as exc:  # report it, keep what was measured
                    failures.append(f"run {i}: {exc}")
                for op, seconds in times.items():
                    results[tool][op].append(seconds)
    return results


def report(results: dict[str, dict[str, list[float]]], runs: int) -> str:
    lines = [f"xl-py vs xl on a real Xen hypervisor: PV guest, 128 MiB, {runs} runs",
             f"{'operation':<10}{'xl median':>12}{'xl-py median':>14}{'ratio':>8}"
             f"{'xl min/max':>16}{'xl-py min/max':>18}"]
    for op in OPERATIONS:
        ref, ours = results["xl"][op], results["xl-py"][op]
        ref_m = statistics.median(ref) if ref else None
        our_m = statistics.median(ours) if ours else None
        ratio = f"{our_m / ref_m:.2f}" if ref_m and our_m else "n/a"
        lines.append(
            f"{op:<10}{_s(ref_m):>12}{_s(our_m):>14}"
            f"{ratio:>8}{_range(ref):>16}{_range(ours):>18}")
    return "\n".join(lines)


def _s(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "n/a"


def _range(values: list[float]) -> str:
    return f"{min(values):.2f}/{max(values):.2f}" if values else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    if not os.path.exists("/proc/xen/capabilities"):
        print("not a Xen dom0: run this inside the lane (xenvm/run-lane.sh --bench)",
              file=sys.stderr)
        return 2
    failures: list[str] = []
    results = measure(args.runs, failures)
    print(report(results, args.runs))
    for failure in failures:
        print("failed: " + failure.splitlines()[0][:300])
    missing = [op for op in OPERATIONS if not results["xl-py"][op]]
    if missing:
        print("not timed for xl-py (not implemented yet): " + ", ".join(missing))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
