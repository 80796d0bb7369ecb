"""``xl-py create -N`` against the reference ``xl -N create``: numbers, not a test.

One run prints three tables (see bench/README.md for what was measured here)::

    .venv/bin/python bench/create_dryrun.py [--runs 5] [--sample 40] [--rounds 5]
                                            [--no-reference] [--json FILE]

1. Whole-process wall time, median over every (config, run): the venv's
   ``xl-py -N create -q CFG`` console script and ``python -m
   xl_py.cli.main`` against a bare ``python -c pass`` of the same
   interpreter and ``/usr/bin/python3 -c pass`` (target: <= 5x), and
   the reference xl process (Debian's Xen 4.17 ``xl -N create`` on the
   LD_PRELOAD stand-in, tests/reference/xlref),
   over configs/xl/*.cfg and an evenly spaced sample of tests/data/xl.  The
   commands are interleaved per run so that load on the machine hits all alike.
2. In-process throughput over every valid tests/data/xl config (those with a
   NAME.json golden): configs per second for parse + model + JSON (target:
   >= 2,000/s, i.e. >= 8x spawning the reference xl per file), with the
   breakdown parse (text -> Document -> RawDomain) / model (RawDomain ->
   DomainConfig, affinity masks) / render (DomainConfig -> libxl JSON); the
   best of ``--rounds`` rounds.  Every output is compared with its golden
   file first, so the timed work is the real work.
3. ``python -X importtime`` of ``xl-py -N create``: the modules that cost the
   most to import, self and cumulative, and the total per top-level package.

Standard library only (plus xl_py and tests/reference from this checkout).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "xl"
CONFIGS = REPO / "configs" / "xl"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

PASS_TARGET = 5.0  # cold create -N <= 5x a bare python3 -c pass
RATE_TARGET = 2000.0  # in-process configs per second


# -- the configs ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One config with what ``create`` is given besides it."""

    cfg: Path
    args: tuple[str, ...] = ()
    xlconf: Path | None = None
    golden: Path | None = None

    @classmethod
    def of(cls, cfg: Path) -> Case:
        args_file, conf, golden = (cfg.with_suffix(s) for s in (".args", ".xlconf", ".json"))
        args = tuple(line for line in args_file.read_text().splitlines() if line.strip()) \
            if args_file.exists() else ()
        return cls(cfg, args, conf if conf.exists() else None,
                   golden if golden.exists() else None)


def valid_cases() -> list[Case]:
    """Every tests/data/xl config the reference xl accepts (it has a NAME.json)."""
    return [Case.of(p) for p in sorted(DATA.rglob("*.cfg")) if p.with_suffix(".json").exists()]


def process_cases(sample: int) -> list[Case]:
    """configs/xl/*.cfg plus ``sample`` evenly spaced valid tests/data/xl configs."""
    shipped = [Case.of(p) for p in sorted(CONFIGS.glob("*.cfg"))]
    pool = valid_cases()
    step = max(1, len(pool) // max(1, sample))
    return shipped + pool[::step][:sample]


# -- 1. whole process --------------------------------------------------------------


@dataclass
class Timings:
    label: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    def wall(self) -> float:
        return self.median

    def cpu_time(self) -> float:
        return self.cpu_median


Command = Callable[[Case], tuple[list[str], dict[str, str]]]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra or {})
    return env


SYSTEM_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def cmd_pass(case: Case) -> tuple[list[str], dict[str, str]]:
    """The interpreter that runs xl-py (the venv's), doing nothing: the
    like-for-like baseline (same build, same site work)."""
    return [sys.executable, "-c", "pass"], _env()


def cmd_system_pass(case: Case) -> tuple[list[str], dict[str, str]]:
    """The distribution's own python3, doing nothing (often a faster start)."""
    return [SYSTEM_PYTHON, "-c", "pass"], _env()


def _xlpy_tail(case: Case) -> tuple[list[str], dict[str, str]]:
    conf = str(case.xlconf) if case.xlconf else os.devnull
    return ["-N", "create", "-q", case.cfg.name, *case.args], _env({"XL_PY_CONF": conf})


def cmd_script(case: Case) -> tuple[list[str], dict[str, str]]:
    tail, env = _xlpy_tail(case)
    return [str(VENV_BIN / "xl-py"), *tail], env


def cmd_module(case: Case) -> tuple[list[str], dict[str, str]]:
    tail, env = _xlpy_tail(case)
    return [sys.executable, "-m", "xl_py.cli.main", *tail], env


def cmd_reference(case: Case) -> tuple[list[str], dict[str, str]]:
    from reference import xlref

    argv = [str(xlref.tools().xl), "-N", "create", case.cfg.name, *case.args]
    return argv, xlref.xl_env(case.xlconf)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child: user + system, exit status)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu, done.returncode


def whole_process(cases: Sequence[Case], runs: int, reference: bool) -> list[Timings]:
    commands: list[tuple[Timings, Command]] = [
        (Timings("python -c pass (the venv's python)"), cmd_pass),
        (Timings(f"{SYSTEM_PYTHON} -c pass"), cmd_system_pass),
        (Timings("xl-py -N create (console script)"), cmd_script),
        (Timings("python -m xl_py.cli.main -N create"), cmd_module),
    ]
    if reference:
        commands.append((Timings("reference xl -N create"), cmd_reference))
    for _, command in commands:  # warm the page cache and .pyc files once
        argv, env = command(cases[0])
        time_once(argv, env, cases[0].cfg.parent)
    for _ in range(runs):
        for case in cases:
            for timings, command in commands:
                argv, env = command(case)
                seconds, cpu, rc = time_once(argv, env, case.cfg.parent)
                timings.seconds.append(seconds)
                timings.cpu.append(cpu)
                timings.failures += rc != 0
    return [t for t, _ in commands]


# -- 2. in process ----------------------------------------------------------------


@dataclass
class Loaded:
    name: str
    text: str
    xlconf: Any
    golden: str


def load(cases: Sequence[Case]) -> list[Loaded]:
    from xl_py import pipeline
    from xl_py.settings.xlconf import XlConf, from_text

    loaded = []
    for case in cases:
        text = pipeline.with_extra(case.cfg.read_text(), list(case.args))
        conf = from_text(case.xlconf.read_bytes(), str(case.xlconf))[0] if case.xlconf \
            else XlConf()
        golden = case.golden.read_text() if case.golden else ""
        loaded.append(Loaded(case.cfg.name, text, conf, golden))
    return loaded


def check_outputs(loaded: Sequence[Loaded]) -> int:
    """How many configs render exactly their golden JSON (uuid normalised)."""
    from reference import xlref

    from xl_py import pipeline

    same = 0
    for item in loaded:
        built = pipeline.build(item.text, item.name, xlconf=item.xlconf)
        config = pipeline.apply_affinity_masks(built.config, item.xlconf)
        same += xlref.normalise_uuid(pipeline.to_json(config)) == item.golden
    return same


def in_process(loaded: Sequence[Loaded], rounds: int) -> dict[str, float]:
    """Best round (seconds for the whole set) of each stage and of all three."""
    from xl_py import pipeline
    from xl_py.settings.domain import from_raw

    uuid = "00000000-0000-4000-8000-000000000000"
    best = {"parse": float("inf"), "model": float("inf"), "render": float("inf"),
            "total": float("inf"), "cpu": float("inf")}
    clock = time.perf_counter
    for _ in range(rounds):
        gc.collect()
        spent = {"parse": 0.0, "model": 0.0, "render": 0.0}
        cpu = time.process_time()
        start = clock()
        for item in loaded:
            t0 = clock()
            raw = pipeline.read_raw(item.text, item.name)
            t1 = clock()
            config, _ = from_raw(raw, None, item.xlconf)
            if config.c_info.uuid is None:
                from xl_py._record import replace
                config = replace(config, c_info=replace(config.c_info, uuid=uuid))
            config = pipeline.apply_affinity_masks(config, item.xlconf)
            t2 = clock()
            pipeline.to_json(config)
            t3 = clock()
            spent["parse"] += t1 - t0
            spent["model"] += t2 - t1
            spent["render"] += t3 - t2
        total = clock() - start
        cpu = time.process_time() - cpu
        if total < best["total"]:
            best = {**spent, "total": total, "cpu": min(cpu, best["cpu"])}
        best["cpu"] = min(cpu, best["cpu"])
    return best


def profile_modules(loaded: Sequence[Loaded]) -> list[tuple[str, float, int]]:
    """One profiled pass over the configs: (module, own seconds, calls) per
    xl_py module (stdlib and builtins grouped as such), largest first."""
    import cProfile
    import pstats

    from xl_py import pipeline

    def one_pass() -> None:
        for item in loaded:
            built = pipeline.build(item.text, item.name, xlconf=item.xlconf,
                                   uuid="00000000-0000-4000-8000-000000000000")
            pipeline.to_json(pipeline.apply_affinity_masks(built.config, item.xlconf))

    profiler = cProfile.Profile()
    profiler.runcall(one_pass)
    stats = pstats.Stats(profiler)
    own: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    root = str(REPO / "xl_py") + os.sep
    raw_stats: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, funcname), (_, ncalls, tottime, _, _) in raw_stats.items():
        if filename.startswith(root):
            name = "xl_py." + filename[len(root):].removesuffix(".py").replace(os.sep, ".")
        elif filename == "~":
            name = "builtins (" + funcname.split(" of ")[0].strip("<>{}") + ")"
        else:
            path = Path(filename)
            name = "stdlib " + (path.parent.name if path.stem == "__init__" else path.stem)
        own[name] += tottime
        calls[name] += ncalls
    return sorted(((k, v, calls[k]) for k, v in own.items()), key=lambda r: -r[1])


# -- 3. import time ----------------------------------------------------------------

_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def import_costs(case: Case, repeat: int = 5) -> tuple[float, list[tuple[str, int, int]]]:
    """(median total import µs, [(module, self µs, cumulative µs)]) of the
    create -N path, medians over ``repeat`` runs of ``-X importtime``."""
    tail, env = _xlpy_tail(case)
    per_module: dict[str, list[tuple[int, int]]] = defaultdict(list)
    totals = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-X", "importtime", str(VENV_BIN / "xl-py"),
                               *tail], env=env, cwd=case.cfg.parent, capture_output=True,
                              text=True, check=False)
        total = 0
        for m in _IMPORTTIME.finditer(done.stderr):
            own, cumulative, indent, name = int(m[1]), int(m[2]), m[3], m[4]
            per_module[name].append((own, cumulative))
            if len(indent) == 1:
                total += cumulative
        totals.append(total)
    rows = [(name, int(statistics.median(v[0] for v in values)),
             int(statistics.median(v[1] for v in values)))
            for name, values in per_module.items()]
    return statistics.median(totals), rows


def by_package(rows: Sequence[tuple[str, int, int]]) -> list[tuple[str, int]]:
    """Self time summed per top-level package (xl_py split per subpackage)."""
    sums: dict[str, int] = defaultdict(int)
    for name, own, _ in rows:
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "xl_py" and len(parts) > 1 else parts[0]
        sums[key] += own
    return sorted(sums.items(), key=lambda kv: -kv[1])


# -- report -----------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node()}: {model or platform.processor()}, {cpus} cpus, "
            f"load {load_avg:.2f}; Python {platform.python_version()}; "
            f"{platform.system()} {platform.release()}")


def report_process(timings: Sequence[Timings], reference: bool) -> dict[str, Any]:
    """Print wall and CPU (user + system of the child) medians with ratios."""
    picks: tuple[tuple[str, Callable[[Timings], float]], ...] = (
        ("wall time", Timings.wall), ("CPU time", Timings.cpu_time))
    for title, pick in picks:
        base, system = pick(timings[0]), pick(timings[1])
        ref = pick(timings[-1]) if reference else float("nan")
        print(f"   {title}:")
        for t in timings:
            value = pick(t)
            ratio = f"{value / base:5.2f}x python -c pass  {value / system:5.2f}x system"
            vs_ref = f"  {value / ref:6.2f}x xl" if reference else ""
            fails = f"   ({t.failures} non-zero exits)" if t.failures else ""
            print(f"     {t.label:<40} {ms(value)}   {ratio}{vs_ref}{fails}")
        script = pick(timings[2])
        for label, baseline in (("the venv's python -c pass", base),
                                (f"{SYSTEM_PYTHON} -c pass", system)):
            verdict = "met" if script <= PASS_TARGET * baseline else "MISSED"
            print(f"     target: xl-py <= {PASS_TARGET:.0f}x {label}: {verdict} "
                  f"({script / baseline:.2f}x)")
    return {t.label: {"median_s": t.median, "cpu_median_s": t.cpu_median,
                      "runs": len(t.seconds), "failures": t.failures} for t in timings}


def report_in_process(rounds: int, ref_wall: float | None,
                      ref_cpu: float | None) -> dict[str, Any]:
    loaded = load(valid_cases())
    same = check_outputs(loaded)
    count = len(loaded)
    print(f"\n2. in process: {count} valid configs of tests/data/xl "
          f"({same} render exactly their golden JSON), best of {rounds} rounds")
    best = in_process(loaded, rounds)
    for stage in ("parse", "model", "render"):
        share = best[stage] / best["total"] * 100
        print(f"   {stage:<8} {best[stage] / count * 1e6:8.1f} us/config  {share:5.1f}%")
    rate, cpu_rate = count / best["total"], count / best["cpu"]
    print(f"   total    {best['total'] / count * 1e6:8.1f} us/config  = {rate:,.0f} configs/s "
          f"wall, {cpu_rate:,.0f} configs/s per CPU second")
    for label, value in (("wall", rate), ("CPU", cpu_rate)):
        verdict = "met" if value >= RATE_TARGET else "MISSED"
        print(f"   target: >= {RATE_TARGET:,.0f} configs/s ({label}): {verdict}")
    if ref_wall and ref_cpu:
        print(f"   reference xl spawned per file: {1 / ref_wall:,.0f} configs/s wall, "
              f"{1 / ref_cpu:,.0f} per CPU second; in-process xl-py is {rate * ref_wall:.1f}x "
              f"(wall) / {cpu_rate * ref_cpu:.1f}x (CPU) that (target >= 8x)")
    modules = profile_modules(loaded)
    spent = sum(v for _, v, _ in modules)
    print("   where the time goes (cProfile, own time per module, one pass):")
    for name, seconds, ncalls in modules[:14]:
        print(f"     {seconds / spent * 100:5.1f}%  {ncalls / count:8.0f} calls/config  {name}")
    return {"configs": count, "golden_identical": same, "configs_per_s": rate,
            "configs_per_cpu_s": cpu_rate, **{f"{k}_s": v for k, v in best.items()},
            "profile": [(n, v / spent, c) for n, v, c in modules[:30]]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per config (process)")
    parser.add_argument("--sample", type=int, default=40,
                        help="tests/data/xl configs in the process benchmark")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (in-process)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the reference xl (else it must be available)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    opts = parser.parse_args(argv)

    reference = not opts.no_reference
    if reference:
        from reference import xlref

        reason = xlref.unavailable()
        if reason:
            print(f"reference xl unavailable: {reason} (use --no-reference)", file=sys.stderr)
            return 2
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                              "machine": machine()}
    print(f"# bench/create_dryrun.py  {result['date']}\n# {result['machine']}\n")

    cases = process_cases(opts.sample)
    print(f"1. whole process: {len(cases)} configs x {opts.runs} runs (medians)")
    timings = whole_process(cases, opts.runs, reference)
    result["process"] = report_process(timings, reference)
    ref_cpu = timings[-1].cpu_median if reference else None
    ref_wall = timings[-1].median if reference else None
    result["in_process"] = report_in_process(opts.rounds, ref_wall, ref_cpu)

    total_us, rows = import_costs(cases[0])
    print(f"\n3. python -X importtime of xl-py -N create {cases[0].cfg.name}: "
          f"{total_us / 1000:.1f} ms of imports (median of 5)")
    print("   top modules by self time:")
    for name, own, cumulative in sorted(rows, key=lambda r: -r[1])[:15]:
        print(f"     {own / 1000:6.2f} ms self  {cumulative / 1000:6.2f} ms cumulative  {name}")
    print("   self time per package:")
    for name, own in by_package(rows)[:12]:
        print(f"     {own / 1000:6.2f} ms  {name}")
    result["imports"] = {"total_us": total_us,
                         "top": sorted(rows, key=lambda r: -r[1])[:15],
                         "packages": by_package(rows)}
    if opts.json:
        opts.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
