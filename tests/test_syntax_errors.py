"""Golden messages: the full text of every error and warning xl_py gives.

tests/data/syntax/errors.golden holds one entry per invalid syntax case (and
per getter problem); regenerate it after a deliberate wording change with

    XLPY_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_syntax_errors.py

and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from data.syntax.cases import all_cases

from xl_py.errors import ConfigError
from xl_py.settings.raw import RawDomain
from xl_py.syntax import parse_xlcfg

GOLDEN = Path(__file__).parent / "data" / "syntax" / "errors.golden"
SEPARATOR = "=== "

GETTER_FILE = (
    "memory = '12abc'\n"
    "maxmem = '512M'\n"
    "vcpus = [1]\n"
    "shadow_memory += 2\n"
    "big = 0x8000000000000000\n"
    "small = '-1'\n"
    "disk = 'phy:/dev/vg/a,xvda,w'\n"
    "vif = [ 'bridge=br0', [ 'nested' ] ]\n"
    "name = [ 'a' ]\n"
    "blank = ' 5 '\n"
    "many = 200\n"
)

GETTERS: dict[str, Callable[[RawDomain], object]] = {
    "get_long-not-a-number": lambda raw: raw.get_long("memory"),
    "get_long-unit": lambda raw: raw.get_long("maxmem"),
    "get_long-list": lambda raw: raw.get_long("vcpus"),
    "get_long-add": lambda raw: raw.get_long("shadow_memory"),
    "get_long-range": lambda raw: raw.get_long("big"),
    "get_long-blank": lambda raw: raw.get_long("blank"),
    "get_bounded_long-min": lambda raw: raw.get_bounded_long("small", 0, 100),
    "get_bounded_long-max": lambda raw: raw.get_bounded_long("many", 0, 100),
    "get_list-single": lambda raw: raw.get_list("disk"),
    "get_string_list-nested": lambda raw: raw.get_string_list("vif"),
    "get_string-list": lambda raw: raw.get_string("name"),
    "get_defbool-not-a-number": lambda raw: raw.get_defbool("memory"),
}


def actual_messages() -> dict[str, str]:
    """Every case name -> the full rendered text of its problems."""
    out: dict[str, str] = {}
    for name, data in all_cases():
        try:
            doc = parse_xlcfg(data, f"{name}.cfg")
            RawDomain.from_document(doc)
        except ConfigError as exc:
            out[name] = str(exc)
            continue
        if doc.warnings:
            out[name] = "\n".join(w.format() for w in doc.warnings)
    raw = RawDomain.from_document(parse_xlcfg(GETTER_FILE, "getters.cfg"))
    for name, getter in GETTERS.items():
        try:
            getter(raw)
        except ConfigError as exc:
            out[name] = str(exc)
        else:
            out[name] = "(no error)"
    lenient = RawDomain.from_document(parse_xlcfg(GETTER_FILE, "getters.cfg"))
    assert lenient.get_long("memory", lenient=True) is None
    out["lenient-warning"] = "\n".join(w.format() for w in lenient.warnings)
    return out


def read_golden() -> dict[str, str]:
    entries: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in GOLDEN.read_text(encoding="utf-8").split("\n"):
        if line.startswith(SEPARATOR):
            if name is not None:
                entries[name] = "\n".join(lines).rstrip("\n")
            name, lines = line[len(SEPARATOR):], []
        else:
            lines.append(line)
    if name is not None:
        entries[name] = "\n".join(lines).rstrip("\n")
    return entries


def write_golden(messages: dict[str, str]) -> None:
    text = "".join(f"{SEPARATOR}{name}\n{body}\n\n" for name, body in messages.items())
    GOLDEN.write_text(text, encoding="utf-8")


if os.environ.get("XLPY_REGEN_GOLDEN"):
    write_golden(actual_messages())

MESSAGES = actual_messages()
EXPECTED = read_golden() if GOLDEN.exists() else {}


def test_golden_covers_exactly_the_failing_cases() -> None:
    assert sorted(EXPECTED) == sorted(MESSAGES)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_full_message(name: str) -> None:
    assert MESSAGES[name] == EXPECTED.get(name)


def test_every_invalid_case_is_positioned() -> None:
    """file:line:col, the source line and a caret, for everything but size."""
    for name, text in MESSAGES.items():
        if name.startswith(("get_", "lenient")):
            assert text.startswith("getters.cfg:"), text
            continue
        first = text.split("\n")[0]
        assert first.startswith(f"{name}.cfg:"), first
        assert "^" in text, name
