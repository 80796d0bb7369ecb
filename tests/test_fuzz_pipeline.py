"""Fuzzing the whole config pipeline (text -> Document -> RawDomain ->
DomainConfig -> libxl JSON) with mutated real configs.

Seeds: every tests/data/xl/**/*.cfg, configs/xl/*.cfg, and when the shared
corpus is there ../shared/corpus/libvirt-xl/*.cfg and Xen's xlexample.*
files.  Mutations are byte-level (truncate, junk, NULs, invalid UTF-8, flipped
quotes) and token-level (drop / duplicate / swap lines, values moved between
keys and configs, keys renamed, huge numbers, deep nesting, long lists).

1. ``test_only_typed_errors_escape`` (hypothesis, derandomized, bounded
   example count): whatever the input, ``build`` + affinity masks + JSON
   either returns valid JSON or raises an :class:`XlPyError` whose every
   diagnostic renders; nothing else escapes, and each case ends in bounded
   time.  The CLI (``xl-py -N create`` in process) is fuzzed the same way.
   ``test_pathological_input_bounded`` runs ``xl-py -N create`` on huge and
   hostile files in a subprocess under a 2 GiB address-space limit: a message
   or JSON, never a traceback, in bounded time.
2. ``test_differential_fuzz`` (needs the reference xl): a fixed-seed set of
   mutants goes through ``xl -N create`` and ``xl-py -N create``.  Where xl
   accepts, xl-py must print the identical JSON; where xl rejects, xl-py must
   reject.  ``test_boundary_values_differential`` does the same for every
   domain key set to the edge values of C's long/int and of strtol's syntax.
   ``test_device_spec_differential`` builds device specs (vif, vfb, vkb,
   usbctrl, usbdev, channel, vtpm, p9, pvcalls, vdispl) from each key's own
   option table with edge values and compares them the same way.
   The known, understood differences are counted, not failed, each with its
   reason: ``KNOWN_STRICTER`` / ``KNOWN_STRICTER_INPUT`` (xl_py refuses what
   xl silently ignores or reads by accident), ``KNOWN_LAXER`` (libxlutil
   bugs xl_py does not copy), ``KNOWN_JSON`` and ``INT_TRUNCATED`` (xl's
   long -> int stores); a crash or hang of xl is counted and skipped.
   Anything else fails with the mutant's text.  The counts are printed
   (``pytest -s``); ``XL_PY_DIFF_FUZZ=3000 XL_PY_DIFF_SEED=N`` and
   ``XL_PY_SPEC_FUZZ=3000`` explore further than CI does.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fuzzing import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_py.errors import XlPyError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CORPUS = REPO.parent / "shared" / "corpus"
CASE_SECONDS = 5.0  # per mutant, whole pipeline (real configs take ~1 ms; a
# 1,000-item list with 4 warnings per item takes ~0.3 s on an idle machine)


def _seed_files() -> list[Path]:
    files = sorted((TESTS / "data" / "xl").rglob("*.cfg"))
    files += sorted((REPO / "configs" / "xl").glob("*.cfg"))
    if CORPUS.is_dir():
        files += sorted((CORPUS / "libvirt-xl").glob("*.cfg"))
        files += sorted(p for p in (CORPUS / "xen-examples").rglob("*xlexample*")
                        if p.is_file())
    return files


SEEDS: list[bytes] = [p.read_bytes() for p in _seed_files()]
_LINE_VALUE = re.compile(rb"^\s*([a-z][a-z0-9_.]*)\s*\+?=\s*(.+?)\s*$", re.M)


def _pool() -> tuple[list[bytes], list[bytes]]:
    """Every key and every one-line value of the seeds (for crossovers)."""
    keys: set[bytes] = set()
    values: set[bytes] = set()
    for data in SEEDS:
        for m in _LINE_VALUE.finditer(data):
            keys.add(m[1])
            if len(m[2]) < 400:
                values.add(m[2])
    return sorted(keys), sorted(values)


KEYS, VALUES = _pool()

# -- mutations: each takes the bytes and a random.Random, returns new bytes ------

Mutation = Callable[[bytes, random.Random], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def drop_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def flip_quote(data: bytes, rng: random.Random) -> bytes:
    spots = [m.start() for m in re.finditer(rb"[\"']", data)]
    if not spots:
        return data
    i = rng.choice(spots)
    other = rng.choice([b"", b"'" if data[i:i + 1] == b'"' else b'"', b'\\"'])
    return data[:i] + other + data[i + 1:]


JUNK = (b"[", b"]", b",", b"=", b"+=", b";", b"#", b"\\", b'"', b"'", b"\n", b"0x", b"-",
        b"(", b":", b"\t", b" ", b"\r\n", b"\\x41", b"\\101", b"\x7f", b"\xe2\x80\xae",
        b"\xef\xbb\xbf", b"\xf0\x9f\x90\x8d", b"=[", b",]", b"@", b"^", b"%s", b"${x}")


def insert_junk(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    junk = rng.choice(JUNK) if rng.random() < 0.8 else rng.randbytes(rng.randrange(1, 9))
    return data[:i] + junk + data[i:]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def inject_nul(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + b"\x00" + data[i:]


BAD_UTF8 = (b"\xff", b"\xc3", b"\xc3(", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")


def invalid_utf8(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice(BAD_UTF8) + data[i:]


HUGE = (b"9" * 40, b"-" + b"9" * 40, b"0x" + b"f" * 40, b"0" + b"7" * 40, b"18446744073709551616",
        b"9223372036854775808", b"-9223372036854775809", b"4294967296", b"2147483648",
        b"-1", b"0", b"0x", b"08", b"1e9", b"1" * 4000)


def huge_number(data: bytes, rng: random.Random) -> bytes:
    spots = list(re.finditer(rb"\d+", data))
    number = rng.choice(HUGE)
    if not spots:
        return data + b"\nmemory = " + number + b"\n"
    m = rng.choice(spots)
    return data[:m.start()] + number + data[m.end():]


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice((2, 3, 50, 99, 100, 101, 1000, 20000))
    key = rng.choice(KEYS) if KEYS else b"disk"
    closed = rng.random() < 0.8
    value = b"[" * depth + b'"x"' + (b"]" * depth if closed else b"")
    return data + b"\n" + key + b" = " + value + b"\n"


def value_crossover(data: bytes, rng: random.Random) -> bytes:
    spots = list(_LINE_VALUE.finditer(data))
    if not spots or not VALUES:
        return data
    m = rng.choice(spots)
    return data[:m.start(2)] + rng.choice(VALUES) + data[m.end(2):]


def rename_key(data: bytes, rng: random.Random) -> bytes:
    spots = list(_LINE_VALUE.finditer(data))
    if not spots or not KEYS:
        return data
    m = rng.choice(spots)
    return data[:m.start(1)] + rng.choice(KEYS) + data[m.end(1):]


def list_string_swap(data: bytes, rng: random.Random) -> bytes:
    """A string value in [ ], or a list's first item alone."""
    spots = list(_LINE_VALUE.finditer(data))
    if not spots:
        return data
    m = rng.choice(spots)
    value = m[2]
    if value.startswith(b"["):
        inner = re.match(rb"\[\s*(\"[^\"]*\"|'[^']*'|[^,\]]*)", value)
        new = inner[1] if inner and inner[1] else b'""'
    else:
        new = b"[ " + value + b" ]"
    return data[:m.start(2)] + new + data[m.end(2):]


def long_list(data: bytes, rng: random.Random) -> bytes:
    key = rng.choice((b"disk", b"vif", b"pci", b"channel", b"usbdev", b"vcpus", b"cpus",
                      b"cpuid", b"extra"))
    item = rng.choice(VALUES) if VALUES else b'"x"'
    count = rng.choice((10, 300, 1000))
    return data + b"\n" + key + b" = [ " + b", ".join([item] * count) + b" ]\n"


def empty_value(data: bytes, rng: random.Random) -> bytes:
    spots = list(_LINE_VALUE.finditer(data))
    if not spots:
        return data
    m = rng.choice(spots)
    new = rng.choice((b'""', b"''", b"[]", b"[ , ]", b'" "', b"0", b'","'))
    return data[:m.start(2)] + new + data[m.end(2):]


MUTATIONS: dict[str, Mutation] = {
    "drop_line": drop_line, "duplicate_line": duplicate_line, "swap_lines": swap_lines,
    "flip_quote": flip_quote, "insert_junk": insert_junk, "truncate": truncate,
    "inject_nul": inject_nul, "invalid_utf8": invalid_utf8, "huge_number": huge_number,
    "deep_nesting": deep_nesting, "value_crossover": value_crossover,
    "rename_key": rename_key, "list_string_swap": list_string_swap,
    "long_list": long_list, "empty_value": empty_value,
}
# Mutations that keep the file readable as xl.cfg most of the time: the
# differential fuzz uses these, so that the comparison reaches the keys.
TOKEN_LEVEL = ("drop_line", "duplicate_line", "swap_lines", "value_crossover",
               "rename_key", "list_string_swap", "empty_value", "huge_number")


def mutate(data: bytes, names: list[str], rng: random.Random) -> bytes:
    for name in names:
        data = MUTATIONS[name](data, rng)
    return data


# -- 1. only typed errors escape ------------------------------------------------


def run_pipeline(data: bytes) -> str | None:
    """The create -N path in process: JSON, or None after a typed error."""
    from xl_py import pipeline

    try:
        built = pipeline.build(data, "fuzz.cfg", uuid="00000000-0000-4000-8000-000000000000")
        for warning in built.warnings:
            warning.format()
        config = pipeline.apply_affinity_masks(built.config, None)
        return pipeline.to_json(config)
    except XlPyError as exc:
        diagnostics = exc.diagnostics()
        assert diagnostics, f"{type(exc).__name__} without a diagnostic"
        for diag in diagnostics:
            assert diag.format()
        str(exc)
        return None


class Hung(Exception):
    """An in-process run went past its deadline."""


@contextmanager
def deadline(seconds: float = 4 * CASE_SECONDS) -> Iterator[None]:
    """Fail a hung in-process run instead of hanging the test session."""
    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_one(data: bytes) -> None:
    start = time.perf_counter()
    with deadline():
        out = run_pipeline(data)
    elapsed = time.perf_counter() - start
    assert elapsed < CASE_SECONDS, f"{elapsed:.2f} s for one config"
    if out is not None:
        json.loads(out)


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SEEDS))
    names = draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=5))
    rng = draw(st.randoms(use_true_random=False))
    return mutate(data, names, rng)


FUZZ = settings(max_examples=examples(400), derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_seeds_are_there() -> None:
    assert len(SEEDS) >= 300


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_alone_only_typed_errors(name: str) -> None:
    """Every mutation over a fixed sample of seeds (each kind surely runs)."""
    rng = random.Random(f"pipeline-{name}")
    for data in rng.sample(SEEDS, 25):
        check_one(MUTATIONS[name](data, rng))


@FUZZ
@given(mutants())
def test_only_typed_errors_escape(data: bytes) -> None:
    check_one(data)


@settings(FUZZ, max_examples=examples(60))
@given(mutants())
def test_cli_only_typed_errors_escape(tmp_path_factory: pytest.TempPathFactory,
                                      data: bytes) -> None:
    """``xl-py -N create`` in process, reading the file: exit 0 with JSON on
    stdout, or a non-zero exit with the messages on stderr."""
    import io

    from xl_py.cli.context import Context
    from xl_py.cli.main import run

    path = tmp_path_factory.mktemp("cli") / "fuzz.cfg"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(environ={"XL_PY_CONF": "/dev/null"}, stdout=out, stderr=err)
    start = time.perf_counter()
    try:
        with deadline():
            rc = run(["-N", "create", "-q", str(path)], ctx)
    except XlPyError as exc:
        rc = exc.exit_code
        for diag in exc.diagnostics():
            diag.format()
    assert time.perf_counter() - start < CASE_SECONDS
    if rc == 0:
        json.loads(out.getvalue())
    else:
        assert out.getvalue() == ""


# -- pathological inputs: a separate process, with a memory ceiling ------------

MEMORY_LIMIT = 2 * 1024**3  # address space of the xl-py process
PROCESS_SECONDS = 60.0


def _items(key: bytes, item: bytes, count: int) -> bytes:
    return b'name = "x"\nkernel = "/k"\n' + key + b" = [ " + b", ".join([item] * count) + b" ]\n"


PATHOLOGICAL: dict[str, bytes] = {
    "4 MiB of open brackets": b"disk = " + b"[" * (4 * 1024 * 1024 - 8),
    "one 4 MiB string": b'extra = "' + b"a" * (4 * 1024 * 1024 - 20) + b'"\n',
    "more than 4 MiB": b"#" * (4 * 1024 * 1024 + 1),
    "100,000 statements": b"".join(b"k%d = %d\n" % (i, i) for i in range(100000)),
    "100,000 disks": _items(b"disk", b'"phy:/dev/x,xvda,w"', 100000),
    "100,000 vifs": _items(b"vif", b'"bridge=br0"', 100000),
    "5,000 vnuma nodes": _items(b"vnuma", b'[ "pnode=0", "size=1", "vcpus=0", "vdistances=10" ]',
                                5000),
    "100,000 NULs": b"\x00" * 100000,
    "vnuma vcpus range to 2**64": b'name = "x"\ntype = "hvm"\nvnuma = [ [ "pnode=0", '
                                  b'"size=256", "vcpus=0--9223372036854775809", '
                                  b'"vdistances=10" ] ]\n',
    "cpus range to ULONG_MAX-1": b'name = "x"\nkernel = "/k"\nvcpus = 2\n'
                                 b'cpus = "0-18446744073709551614"\n',
    "maxvcpus = INT_MAX": b'name = "x"\nkernel = "/k"\nmaxvcpus = 2147483647\n',
    "vcpus = 10**8": b'name = "x"\nkernel = "/k"\nvcpus = 100000000\n',
    "maxvcpus = INT_MAX with cpus": b'name = "x"\nkernel = "/k"\nvcpus = 2\n'
                                    b'maxvcpus = 2147483647\ncpus = "0-1"\n',
    "maxvcpus = 2**32 with cpus": b'name = "x"\nkernel = "/k"\nvcpus = 2\n'
                                  b'maxvcpus = 4294967296\ncpus = "0-1"\n',
}
# xl prints 10**8 vcpu numbers (19 s, 1 GB of JSON) and needs 34 GB for
# maxvcpus = INT_MAX with cpus=; xl_py refuses more than MAX_VCPUS (65536).


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_bounded(name: str, tmp_path: Path) -> None:
    """``xl-py -N create`` on it: JSON or a message, never a traceback, in
    bounded time under a 2 GiB address-space limit."""
    path = tmp_path / "huge.cfg"
    path.write_bytes(PATHOLOGICAL[name])
    env = {"PATH": "/usr/bin:/bin", "XL_PY_CONF": os.devnull, "LC_ALL": "C.UTF-8"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "xl_py.cli.main", "-N", "create", "-q",
                           str(path)], capture_output=True, env=env, cwd=tmp_path,
                          timeout=PROCESS_SECONDS, preexec_fn=_limit_memory, check=False)
    elapsed = time.perf_counter() - start
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-2000:]
    assert done.returncode in (0, 1), (done.returncode, stderr[-2000:])
    if done.returncode == 0:
        assert done.stdout.startswith(b"{")
    else:
        assert "error" in stderr and done.stdout == b""
    assert elapsed < PROCESS_SECONDS


# -- 2. differential fuzz against the real xl -----------------------------------

DIFF_MUTANTS = int(os.environ.get("XL_PY_DIFF_FUZZ", "300"))
DIFF_SEED = int(os.environ.get("XL_PY_DIFF_SEED", "20261126"))

# xl_py is stricter than xl on purpose where xl prints a message and then
# silently ignores the key or uses a default (a silent default is the bug this
# project exists to avoid): each entry is (regex on our first error line, why).
KNOWN_STRICTER: tuple[tuple[str, str], ...] = (
    (r"is not a number|not an integer|is not an integer|is out of range",
     "xlu_cfg_get_long fails on '12x', strings or out-of-range numbers (ERANGE); "
     "xl warns and ignores the key"),
    (r"a \[list\]|expects a string|not a list|must be a \[list\]|expected a string",
     "a list where xl wants a string (or the reverse): xl warns and ignores the key"),
    (r"'\+=' ",
     "'+=' on a number: xl warns and ignores it"),
    (r"a list inside this list",
     "xl stops reading a list at a nested list and keeps what came before"),
    (r"invalid UTF-8",
     "xl reads any bytes; xl_py accepts invalid UTF-8 only in comments"),
    (r"nested more than \d+ deep",
     "xl_py bounds list nesting (MAX_DEPTH); xl's parser stack goes deeper"),
    (r"vCPUs is more than xl-py accepts",
     "xl_py refuses more than 65536 vCPUs (xl builds a map per vCPU: 34 GB for INT_MAX)"),
    (r"iomem: invalid range '[^']*-",
     "xl reads iomem with sscanf %x, which takes a sign: '-1' pages is 2^64-1 pages"),
)


def int_truncated(data: bytes) -> bool:
    """A key of INT_TRUNCATED set to a number beyond 32 bits (xl keeps the
    low bits, xl_py the value: a known difference, see INT_TRUNCATED)."""
    for m in re.finditer(rb"(?m)^\s*([a-z_]+)\s*=\s*([-+]?[0-9][0-9a-fA-FxX]*)\s*$", data):
        if m[1].decode() in INT_TRUNCATED and _out_of_int(m[2].decode()):
            return True
    return False


_TRUNCATED_WHY = "xl stores this key's long in a C int (INT_TRUNCATED)"

# ... and inputs where xl_py rejects what xl reads by accident.
KNOWN_STRICTER_INPUT: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (int_truncated, _TRUNCATED_WHY),
    (lambda data: re.search(rb"\\[0-7]", data) is not None,
     "libxlutil's \\NNN octal escape drops the character: xl reads "
     "'delay_for_miss\\101ed_ticks' as a valid name, xl_py decodes the A and refuses it"),
    (lambda data: data.endswith(b"\\"),
     "libxlutil's lexer silently drops a backslash that is the file's very last byte "
     "(anywhere else it is a lexical error)"),
)

# ... and more lenient on purpose where libxlutil has an evident bug: each
# entry is (test on the config bytes, why).
KNOWN_LAXER: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (int_truncated, _TRUNCATED_WHY),
    (lambda data: not data.endswith(b"\n") and re.search(rb"#[^\n]*\Z", data) is not None,
     "libxlutil's lexer fails on a final comment without a newline; xl_py reads it"),
    (lambda data: b"\\x" in data,
     "libxlutil rejects every \\xHH escape (a bug); xl_py reads it and warns"),
    (lambda data: re.search(rb"([0-9]{19}|[0-9a-fA-F]{17})[\s\S]*rate=", data) is not None,
     "any number that overflows strtoul/strtol before it (memory=, a mac= octet ...) "
     "leaves errno = ERANGE, and xl's vif rate parser, which does not clear errno, then "
     "fails a valid rate= as 'rate overflow'; xl_py warns about that number and reads "
     "the rate"),
)


# ... and inputs both accept but read differently, on purpose.
KNOWN_JSON: tuple[tuple[Callable[[bytes], bool], str], ...] = (
    (int_truncated, _TRUNCATED_WHY),
    (lambda data: re.search(rb"\\[0-7]", data) is not None,
     "libxlutil's \\NNN octal escape silently drops the character (a bug); xl_py "
     "decodes it and warns"),
)


@dataclass(frozen=True)
class Verdict:
    kind: str  # agree-json | agree-reject | json-differs | stricter | stricter-known |
    #            laxer | xl-crashed
    detail: str = ""


def classify(data: bytes, ours_rc: int, ours_out: str, ours_err: str, ref_rc: int,
             ref_out: str, ref_err: str) -> Verdict:
    """Compare one mutant's outcomes.  A known stricter case is one of
    KNOWN_STRICTER; "stricter-known" when xl warned about the same key,
    "stricter-silent" when xl ignored the value without a word."""
    if ref_rc == -1000:
        return Verdict("xl-crashed", f"xl did not finish in {XL_SECONDS:.0f} s")
    if ref_rc < 0:  # killed by a signal (xl exits 1, 3 or 6 when it rejects)
        return Verdict("xl-crashed", f"xl killed by signal {-ref_rc}")
    if ref_rc == 0 and ours_rc == 0:
        if ours_out == ref_out:
            return Verdict("agree-json")
        for test, why in KNOWN_JSON:
            if test(data):
                return Verdict("json-known", why)
        return Verdict("json-differs")
    if ref_rc != 0 and ours_rc != 0:
        return Verdict("agree-reject")
    if ref_rc != 0:
        for test, why in KNOWN_LAXER:
            if test(data):
                return Verdict("laxer-known", why)
        return Verdict("laxer")
    first = next((line for line in ours_err.splitlines() if "error:" in line), ours_err[:200])
    for test, _ in KNOWN_STRICTER_INPUT:
        if test(data):
            return Verdict("stricter-known", first)
    key = re.search(r"error: ([a-z0-9_.]+):", first)
    warned = key is not None and f"parameter `{key[1]}'" in ref_err
    for pattern, _ in KNOWN_STRICTER:
        if re.search(pattern, first):
            # xl reads some keys with dont_warn (viridian, vmtrace_buf_kb, ...):
            # then it ignores the bad value without a word
            return Verdict("stricter-known" if warned else "stricter-silent", first)
    return Verdict("stricter", first)


XLCONFS = sorted((TESTS / "data" / "xl").rglob("*.xlconf"))


@dataclass(frozen=True)
class Mutant:
    """A mutated config, with the ``key=value`` arguments of ``create`` and
    the xl.conf (a file of tests/data/xl) it is run with."""

    data: bytes
    args: tuple[str, ...] = ()
    xlconf: Path | None = None


def _extra_args(rng: random.Random) -> tuple[str, ...]:
    if rng.random() >= 0.2 or not KEYS:
        return ()
    return tuple(f"{rng.choice(KEYS).decode()}={rng.choice(VALUES).decode('utf-8', 'replace')}"
                 for _ in range(rng.randint(1, 2)))


def differential_mutants() -> list[Mutant]:
    rng = random.Random(DIFF_SEED)
    found: list[Mutant] = []
    while len(found) < DIFF_MUTANTS:
        data = rng.choice(SEEDS)
        kinds = TOKEN_LEVEL if rng.random() < 0.7 else sorted(MUTATIONS)
        names = [rng.choice(kinds) for _ in range(rng.randint(1, 3))]
        mutant = mutate(data, names, rng)
        args = _extra_args(rng)
        xlconf = rng.choice(XLCONFS) if XLCONFS and rng.random() < 0.15 else None
        whole = mutant + "".join("\n" + a for a in args).encode("utf-8", "replace")
        if b"\x00" not in whole:  # libxlutil aborts on a NUL inside quotes
            found.append(Mutant(mutant, args, xlconf))
    return found


def _short(text: str, limit: int = 200) -> str:
    text = re.sub(r"(\S{60})\S{20,}", r"\1…", text)
    return text if len(text) <= limit else text[:limit] + "…"


XL_SECONDS = 10.0  # xl loops for ever on some inputs (vnuma vcpus=0777...7)


def run_reference_bounded(case: Any) -> Any:
    """dryrun_support.run_reference with a short timeout: a hung xl is
    reported as rc -1000 (counted with the crashes)."""
    from dryrun_support import Outcome
    from reference import xlref

    try:
        result = xlref.xl_dryrun(case.cfg.name, *case.args, xl_conf=case.xlconf,
                                 cwd=case.cfg.parent, timeout=XL_SECONDS)
    except subprocess.TimeoutExpired:
        return Outcome(-1000, "", "xl did not finish")
    return Outcome(result.rc, xlref.normalise_uuid(result.stdout), result.stderr)


@pytest.mark.reference
def test_differential_fuzz(reference: object, tmp_path: Path) -> None:
    sys.path.insert(0, str(TESTS))
    from dryrun_support import Case, run_xl_py

    verdicts: Counter[str] = Counter()
    failures: list[str] = []
    crashed: list[str] = []
    keys: Counter[str] = Counter()
    for index, item in enumerate(differential_mutants()):
        folder = tmp_path / f"m{index:03d}"
        folder.mkdir()
        case = Case(folder / "fuzz.cfg")
        mutant = item.data
        case.cfg.write_bytes(mutant)
        if item.args:
            case.sibling(".args").write_text("".join(a + "\n" for a in item.args))
            mutant += b"\n" + "".join(a + "\n" for a in item.args).encode()
        if item.xlconf is not None:
            case.sibling(".xlconf").write_bytes(item.xlconf.read_bytes())
        with deadline():
            ours = run_xl_py(case)
        ref = run_reference_bounded(case)
        verdict = classify(mutant, ours.rc, ours.stdout, ours.stderr, ref.rc, ref.stdout,
                           ref.stderr)
        verdicts[verdict.kind] += 1
        if verdict.kind.startswith("stricter-"):
            keys[re.sub(r"^.*?error: ([a-z0-9_.]+:)?.*$", r"\1", verdict.detail) or "?"] += 1
        if verdict.kind == "xl-crashed":
            crashed.append(f"{verdict.detail}: {_short(ref.stderr.strip(), 300)}")
        if verdict.kind in ("json-differs", "laxer", "stricter"):
            failures.append(f"--- {verdict.kind}: {_short(verdict.detail)}\n"
                            f"{_short(mutant.decode('utf-8', 'replace'), 1500)}\n"
                            f"args: {item.args}, xl.conf: {item.xlconf}\n"
                            f"xl stderr: {_short(ref.stderr.strip(), 400)}\n"
                            f"xl-py stderr: {_short(ours.stderr.strip(), 600)}")
    total = sum(verdicts.values())
    agree = verdicts["agree-json"] + verdicts["agree-reject"]
    print(f"\ndifferential fuzz: {total} mutants, {agree} agree "
          f"({verdicts['agree-json']} identical JSON, {verdicts['agree-reject']} both "
          f"reject), {verdicts['stricter-known']} stricter where xl warns and ignores, "
          f"{verdicts['stricter-silent']} stricter where xl ignores silently, "
          f"{verdicts['laxer-known']} known-laxer, {verdicts['json-known']} known JSON "
          f"differences, {verdicts['xl-crashed']} xl crashed, "
          f"{len(failures)} unexplained; {dict(verdicts)}")
    print("stricter on purpose, by key:", dict(keys.most_common()))
    for line in crashed:
        print("xl crashed:", line)
    assert not failures, f"{len(failures)} unexplained disagreements:\n" + \
        "\n".join(failures[:10])


# -- 3. boundary values for every domain key, against the real xl ---------------

BOUNDARY_VALUES = ("0", "-1", "2147483648", "4294967301", "-4294967295",
                   "9223372036854775807", '""', '"1x"', "0x10", "010")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# xl reads these with xlu_cfg_get_long into a C long and stores them in an int
# (or uint32) field of libxl's structs: beyond 32 bits xl silently keeps the low
# bits; xl_py refuses the value (docs/differences.md), asserted below.
INT_TRUNCATED = frozenset({
    "cpu_weight", "cap", "period", "slice", "latency", "extratime", "rtc_timeoffset",
    "max_event_channels", "vmtrace_buf_kb", "vncdisplay", "spiceport", "spicetls_port",
    "spiceusbredirection", "usbversion", "vcpus", "maxvcpus"})
BOUNDED_BY_XL = frozenset({"vcpus"})  # xlu_cfg_get_bounded_long: xl ignores, as we do
STRICTER_INT = ("does not fit in a C int", "vCPUs is more than xl-py accepts",
                "greater than the maximum", "smaller than the minimum")
_GUEST_HEAD = {"pv": 'type = "pv"\nkernel = "/k"\n', "pvh": 'type = "pvh"\nkernel = "/k"\n',
               "hvm": 'type = "hvm"\n'}


def _domain_keys() -> list[tuple[str, str]]:
    from xl_py.settings.domain import KEYS

    return [(key.name, sorted(t.value for t in key.types)[0]) for key in KEYS
            if not key.name.startswith("@")]


def _out_of_int(value: str) -> bool:
    try:
        number = int(value, 0) if not value.startswith("0") or value == "0" else int(value, 8)
    except ValueError:
        return False
    return not INT_MIN <= number <= INT_MAX


@pytest.mark.reference
@pytest.mark.parametrize("key,kind", _domain_keys(), ids=[k for k, _ in _domain_keys()])
def test_boundary_values_differential(key: str, kind: str, reference: object,
                                      tmp_path: Path) -> None:
    """``KEY = V`` for the edge values V of C's long/int and of strtol's
    syntax, on a guest type that reads the key: xl-py must agree with xl
    (identical JSON, both reject), or be stricter in a known way."""
    sys.path.insert(0, str(TESTS))
    from dryrun_support import Case, run_xl_py

    problems = []
    for index, value in enumerate(BOUNDARY_VALUES):
        text = f'name = "b"\n{_GUEST_HEAD[kind]}{key} = {value}\n'.encode()
        case = Case(tmp_path / f"v{index}" / "b.cfg")
        case.cfg.parent.mkdir()
        case.cfg.write_bytes(text)
        with deadline():
            ours = run_xl_py(case)
        ref = run_reference_bounded(case)
        verdict = classify(text, ours.rc, ours.stdout, ours.stderr, ref.rc, ref.stdout,
                           ref.stderr)
        if (key in INT_TRUNCATED - BOUNDED_BY_XL and _out_of_int(value)
                and not verdict.kind.startswith("agree")):
            if ours.rc == 0 or not any(why in ours.stderr for why in STRICTER_INT):
                problems.append(f"{key} = {value}: xl-py should refuse a value xl truncates "
                                f"to 32 bits; rc {ours.rc}, {_short(ours.stderr, 300)}")
            continue
        if verdict.kind in ("json-differs", "laxer", "stricter"):
            problems.append(f"{key} = {value}: {verdict.kind} {_short(verdict.detail)}; xl: "
                            f"{_short(ref.stderr.strip(), 300)}")
    assert not problems, "\n".join(problems)


# -- 4. device specs built from the sub-option tables, against the real xl ------

SPEC_PROBES = int(os.environ.get("XL_PY_SPEC_FUZZ", "300"))
SPEC_VALUES = (
    "0", "1", "-1", "2", "255", "256", "65535", "4294967296", "18446744073709551616", "0x10",
    "010", "", " ", "x", "pty", "socket", "/tmp/s", "qusb", "pv", "devicemodel", "auto",
    "hostdev", "linux", "qemu", "00:16:3e:00:00:01", "00:16:3e:zz:00:01", "ff:ff:ff:ff:ff:ff",
    "10Mb/s", "10Mb/s@20ms", "1GB/s@1s", "xenbr0", "vif", "ioemu", "e1000", "dom0", "0.0.0.0",
    "127.0.0.1:5", "en-us", "c0:1024x768", "c0:1024x768;c1:800x600", "c0:x",
    "2f3c1b0e-8a7f-4c2d-9e6b-1f2a3b4c5d6e", "none", "1500", "9000", "=", ",", "a=b", ":0")


def _spec_options() -> dict[str, list[str]]:
    from xl_py.settings import usb, vfb, vif

    def rows(table: Any) -> list[str]:
        return [row.name for row in table]

    return {"vif": rows(vif.VIF_OPTIONS), "vfb": rows(vfb.VFB_OPTIONS),
            "vkb": rows(vfb.VKB_OPTIONS), "usbctrl": rows(usb.USBCTRL_OPTIONS),
            "usbdev": rows(usb.USBDEV_OPTIONS),
            "channel": ["backend", "name", "connection", "path"],
            "vtpm": ["backend", "uuid"], "p9": ["tag", "path", "security_model", "backend"],
            "pvcalls": ["backend"], "vdispl": ["backend", "be-alloc", "connectors"]}


def device_spec_configs(count: int, seed: int = DIFF_SEED) -> list[bytes]:
    """Configs with one device key whose items are random ``opt=value`` runs
    from that key's own option table (plus an unknown one)."""
    rng = random.Random(seed)
    options = _spec_options()
    configs = []
    for _ in range(count):
        key, kind = rng.choice(sorted(options)), rng.choice(sorted(_GUEST_HEAD))
        items = []
        for _ in range(rng.randint(1, 2)):
            parts = []
            for _ in range(rng.randint(0, 4)):
                option = rng.choice([*options[key], "bogus"])
                parts.append(option if rng.random() < 0.05
                             else f"{option}={rng.choice(SPEC_VALUES)}")
            items.append('"' + ",".join(parts) + '"')
        configs.append(f'name = "s"\n{_GUEST_HEAD[kind]}{key} = [ {", ".join(items)} ]\n'
                       .encode())
    return configs


@pytest.mark.reference
def test_device_spec_differential(reference: object, tmp_path: Path) -> None:
    """xl crashes on some of these (``channel = [ "" ]`` segfaults, a vdispl
    connector without a resolution double-frees); xl-py must reject them
    with a message, and agree with xl everywhere else."""
    sys.path.insert(0, str(TESTS))
    from dryrun_support import Case, run_xl_py

    verdicts: Counter[str] = Counter()
    problems = []
    for index, text in enumerate(device_spec_configs(SPEC_PROBES)):
        case = Case(tmp_path / f"s{index:03d}" / "s.cfg")
        case.cfg.parent.mkdir()
        case.cfg.write_bytes(text)
        with deadline():
            ours = run_xl_py(case)
        ref = run_reference_bounded(case)
        verdict = classify(text, ours.rc, ours.stdout, ours.stderr, ref.rc, ref.stdout,
                           ref.stderr)
        verdicts[verdict.kind] += 1
        if verdict.kind == "xl-crashed" and ours.rc == 0:
            problems.append(f"xl crashed and xl-py accepted: {text.decode()!r}")
        if verdict.kind in ("json-differs", "laxer", "stricter"):
            problems.append(f"{verdict.kind}: {text.decode()!r}: {_short(ours.stderr, 300)}; "
                            f"xl: {_short(ref.stderr.strip(), 300)}")
    print(f"\ndevice spec differential: {dict(verdicts)}")
    assert not problems, "\n".join(problems[:10])
