#!/usr/bin/env python3
"""Bench: ``xl-py list`` on 1,000 domains in a real xenstored, against C ``xenstore-ls``.

Starts the real C xenstored (Xen 4.17, on the reference harness's stand-in),
writes 1,000 domains' nodes the way libxl does (tests/xs_domains.py), then
times, as separate processes, median of N runs each:

* ``xl-py -c xenstore:SOCK list``     (reads what ``xl list`` prints for every domain)
* ``xenstore-ls /local/domain``        (the C client walking the same domains' nodes)

and the cold start of ``xl-py list`` on a small store (dom0 + 3 guests) next
to a bare ``python3 -c pass``.  Prints numbers; targets: ratio <= 1.5x,
cold start <= 80 ms median.  Not a test.

    .venv/bin/python bench/list_xenstore.py [--domains 1000] [--runs 15] [--flavour c]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reference import xlref  # noqa: E402
from xs_domains import Dom, add_dom0, add_domain, clear  # noqa: E402

from xl_py.backends.xsclient import XsClient  # noqa: E402

RATIO_TARGET = 1.5  # xl-py list / xenstore-ls on the same nodes
COLD_TARGET_MS = 80.0  # cold xl-py list, median


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def timed(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, str]:
    samples = []
    out = ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        samples.append(time.perf_counter() - start)
        out = proc.stdout
    return statistics.median(samples), out


def interleaved(argvs: list[list[str]], env: dict[str, str], runs: int) -> list[float]:
    """Median wall time of each command, the commands taking turns run by run
    (so that load from elsewhere on the machine hits them alike)."""
    samples: list[list[float]] = [[] for _ in argvs]
    for _ in range(runs):
        for argv, into in zip(argvs, samples, strict=True):
            start = time.perf_counter()
            subprocess.run(argv, env=env, capture_output=True, check=True)
            into.append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


def populate(sock: str, count: int) -> None:
    """Domains' nodes, not introduced: on the stand-in, every introduced domain
    adds a ring the C daemon polls, which would slow both readers alike."""
    xs = XsClient(sock)
    clear(xs)
    add_dom0(xs)
    for domid in range(1, count + 1):
        add_domain(xs, Dom(domid, f"guest{domid:04d}", memory_mb=256 + domid % 512,
                           vifs=(f"00:16:3e:{domid >> 16 & 0x7f:02x}:{domid >> 8 & 0xff:02x}:"
                                 f"{domid & 0xff:02x}",)))
    xs.close()


def populate_listed_only(sock: str, count: int) -> None:
    """Only the nodes ``xl-py list`` reads, so xenstore-ls walks the same nodes."""
    xs = XsClient(sock)
    clear(xs)
    add_dom0(xs)
    for domid in range(1, count + 1):
        dom, uuid = f"/local/domain/{domid}", f"00000000-0000-0000-0000-{domid:012d}"
        xs.write_many([(f"{dom}/name", f"guest{domid:04d}"), (f"{dom}/vm", f"/vm/{uuid}"),
                       (f"{dom}/memory/target", "262144"),
                       (f"{dom}/memory/static-max", "524288"),
                       (f"{dom}/memory/videoram", "0"),
                       (f"{dom}/cpu/0/availability", "online"),
                       (f"{dom}/cpu/1/availability", "offline"),
                       (f"/vm/{uuid}/start_time", "1700000000.00"),
                       (f"/libxl/{domid}/type", "pv")])
    xs.close()


def compare(sock: str, env: dict[str, str], py_env: dict[str, str], xlpy: list[str],
            runs: int) -> tuple[float, float, int, int]:
    ours, out = timed([*xlpy, "-c", "xenstore", "list"], py_env, runs)
    theirs, ls_out = timed(["xenstore-ls", "/local/domain", "/vm", "/libxl"], env, runs)
    return ours, theirs, len(out.splitlines()) - 1, len(ls_out.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--flavour", choices=("c", "ocaml"), default="c")
    args = parser.parse_args()
    reason = xlref.unavailable()
    if reason:
        print(f"bench skipped: {reason}")
        return 0
    xlpy = [sys.executable, "-m", "xl_py.cli.main"]
    # a SIGTERM (timeout(1)) must still stop the daemon in the finally below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="xlpy-bench-") as tmp:
        sock = str(xlref.start_xenstored(tmp, args.flavour))
        try:
            env = xlref.xenstore_env(tmp)
            env.pop("LD_PRELOAD", None)
            # no PYTHON* from the caller: PYTHONDONTWRITEBYTECODE would make every
            # run recompile whatever changed since the last .pyc was written
            py_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            py_env["XENSTORED_PATH"] = sock

            populate(sock, 3)
            timed([*xlpy, "-c", "xenstore", "list"], py_env, 1)  # warm: .pyc files
            cold, bare = interleaved([[*xlpy, "-c", "xenstore", "list"],
                                      [sys.executable, "-c", "pass"]], py_env, args.runs)

            t0 = time.perf_counter()
            populate_listed_only(sock, args.domains)
            fill = time.perf_counter() - t0
            same = compare(sock, env, py_env, xlpy, args.runs)
            populate(sock, args.domains)
            full = compare(sock, env, py_env, xlpy, args.runs)
        finally:
            xlref.stop_xenstored(tmp)
    print(f"xenstored: {args.flavour}; {args.domains} domains; load average "
          f"{os.getloadavg()[0]:.1f} (first fill {fill:.1f}s)")
    for label, (ours, theirs, rows, nodes) in (("only the nodes list reads", same),
                                               ("libxl's full per-domain layout", full)):
        print(f"-- {label}")
        print(f"xl-py list            : {ours * 1000:8.1f} ms median of {args.runs} "
              f"({rows} rows)")
        print(f"xenstore-ls (C)       : {theirs * 1000:8.1f} ms median of {args.runs} "
              f"({nodes} lines: /local/domain /vm /libxl)")
        print(f"ratio xl-py / C       : {ours / theirs:8.2f}x   (target <= 1.5x: "
              f"{verdict(ours / theirs <= RATIO_TARGET)})")
    print(f"cold xl-py list       : {cold * 1000:8.1f} ms median (dom0 + 3 guests; "
          f"target <= {COLD_TARGET_MS:.0f} ms: {verdict(cold * 1000 <= COLD_TARGET_MS)})")
    print(f"bare python3 -c pass  : {bare * 1000:8.1f} ms median; cold list / bare = "
          f"{cold / bare:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
