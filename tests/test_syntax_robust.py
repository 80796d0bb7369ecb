"""Bad input: whatever the bytes, only xl_py's typed errors escape, in bounded time.

Hypothesis feeds random bytes, random text and mutations of real configs
(ours, and the shared corpus when it is there) through the syntax layer and
RawDomain with every getter.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from data.syntax.cases import all_cases
from fuzzing import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_py.errors import ConfigError, ConfigSyntaxError
from xl_py.settings.raw import RawDomain
from xl_py.syntax import MAX_BYTES, MAX_DEPTH, parse_xlcfg

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _seeds() -> list[bytes]:
    seeds = [data for _, data in all_cases() if len(data) < 5000]
    if CORPUS.is_dir():
        seeds += [p.read_bytes() for p in sorted(CORPUS.rglob("*"))
                  if p.is_file() and p.stat().st_size < 20_000]
    return seeds


SEEDS = _seeds()


def read_everything(data: bytes) -> None:
    """Parse, build the RawDomain and call every getter on every key."""
    try:
        raw = RawDomain.from_document(parse_xlcfg(data, "fuzz.cfg"))
    except ConfigSyntaxError as exc:
        assert exc.diagnostics()
        str(exc).encode("utf-8")  # printable on any UTF-8 terminal
        return
    for key in raw:
        for getter in (raw.get_string, raw.get_long, raw.get_defbool, raw.get_list,
                       raw.get_string_list):
            try:
                getter(key)
            except ConfigError as exc:
                str(exc).encode("utf-8")
            getter(key, lenient=True)
    for warning in raw.warnings:
        warning.format()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        chunk = draw(st.sampled_from([b"[", b"]", b",", b"'", b'"', b"\\", b"\n", b"#", b"=",
                                      b"+=", b";", b"\x00", b"\xff", b"\r", b"\\x4",
                                      b"\\101", b"(", b"0x", b"A", b" "]))
        if action == "insert":
            data[pos:pos] = chunk
        elif action == "delete":
            del data[pos:pos + draw(st.integers(1, 10))]
        elif action == "replace":
            data[pos:pos + len(chunk)] = chunk
        else:
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 40))]
    return bytes(data)


FUZZ = settings(max_examples=examples(300), deadline=1000,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    read_everything(data)


@FUZZ
@given(st.text(max_size=500))
def test_random_text(text: str) -> None:
    read_everything(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(mutated())
def test_mutated_configs(data: bytes) -> None:
    read_everything(data)


def _timed(data: bytes | str) -> tuple[float, ConfigError | None]:
    start = time.perf_counter()
    try:
        RawDomain.from_document(parse_xlcfg(data, "big.cfg"))
        error = None
    except ConfigError as exc:
        error = exc
    return time.perf_counter() - start, error


def test_huge_file_is_refused_before_parsing() -> None:
    data = b"a = 1\n" * (MAX_BYTES // 6 + 1)
    elapsed, error = _timed(data)
    assert isinstance(error, ConfigSyntaxError)
    assert str(error) == (f"error: big.cfg: file is too large for a config ({len(data)} "
                          "bytes; the limit is 4 MiB)")
    assert elapsed < 0.5
    _, error = _timed(data.decode())
    assert str(error) == (f"error: big.cfg: file is too large for a config ({len(data)} "
                          "characters; the limit is 4 MiB)")


def test_largest_accepted_file_is_fast() -> None:
    data = ("disk = [ 'phy:/dev/vg/a,xvda,w' ]\n" * (MAX_BYTES // 36)).encode()
    elapsed, error = _timed(data)
    assert error is None
    assert elapsed < 30  # linear: ~1 s on an idle core


def test_very_long_line() -> None:
    elapsed, error = _timed("extra = '" + "x" * 2_000_000 + "'\n")
    assert error is None and elapsed < 5
    elapsed, error = _timed("a = " + "1" * 2_000_000 + "x\n")
    assert elapsed < 5


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 200_000])
def test_deep_nesting_is_an_error_not_a_recursion_error(depth: int) -> None:
    elapsed, error = _timed("a = " + "[" * depth + "]" * depth + "\n")
    assert isinstance(error, ConfigSyntaxError)
    assert f"lists are nested more than {MAX_DEPTH} deep" in str(error)
    assert elapsed < 5


def test_nesting_at_the_limit_is_fine() -> None:
    doc = parse_xlcfg("a = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", "deep.cfg")
    assert len(doc.statements) == 1


@pytest.mark.parametrize("text", [
    "# a comment with many words in it, and more, and more, and more words\n" * 50 + "(x\n",
    "a = [ 'x', 'y', 'z', 'x', 'y', 'z', 'x', 'y', 'z', 'x', 'y', 'z', 'x', 'y' # c\n]\n",
    "a = [" + "1, " * 5000 + "x]\n",
    "a = 'x' " + " " * 100_000 + "b\n",
])
def test_no_regex_backtracking_blowup(text: str) -> None:
    elapsed, _ = _timed(text)
    assert elapsed < 2  # exponential backtracking would take minutes


def test_many_errors_stop_at_twenty() -> None:
    _, error = _timed("a = b\n" * 1000)
    assert isinstance(error, ConfigSyntaxError)
    diagnostics = error.diagnostics()
    assert len(diagnostics) == 21
    assert diagnostics[-1].message == "stopped after 20 errors"


def test_many_items_and_keys() -> None:
    elapsed, error = _timed("a = [" + "1," * 200_000 + "]\n" +
                            "".join(f"k{i} = {i}\n" for i in range(50_000)))
    assert error is None and elapsed < 15


def test_quoted_key_with_invalid_utf8_is_printable() -> None:
    """Found by the fuzzer in CI: the hint quoted the key with its lone surrogate."""
    with pytest.raises(ConfigSyntaxError) as info:
        parse_xlcfg(b'"\xffname" = 1\n', "f.cfg")
    assert str(info.value) == (
        'f.cfg:1:1: error: unexpected string "\\xffname"\n'
        '    1 | "?name" = 1\n'
        "      | ^^^^^^^\n"
        "  expected: a setting such as memory = 512 (keys are lower-case letters, digits, "
        "'.' or '_')\n"
        "  hint: keys are not quoted: \\xffname = ...")
