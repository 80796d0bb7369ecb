"""grammar/xlcfg.lark is the specification; xl_py/syntax/xlcfg.py implements it.

Both must accept exactly the same texts (apart from what the grammar leaves
to later stages: escapes, nesting and size limits, binary data) and find the
same statements.  Also checks that the grammar ships inside the package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from data.syntax.cases import all_cases
from fuzzing import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_py.errors import ConfigError
from xl_py.syntax import parse_xlcfg
from xl_py.syntax.document import Atom, ListValue, Value
from xl_py.syntax.grammar import grammar_text, lark_parser

lark = pytest.importorskip("lark")

REPO = Path(__file__).resolve().parents[1]

# what the grammar cannot see (checked after parsing, or before it)
SEMANTIC = ("string-escape", "binary", "encoding", "too-large")
DEEP = ("list-deep-101",)


def lark_shape(text: str) -> list[tuple[str, str, Any]] | None:
    """[(key, op, value shape)] per the Lark grammar, or None if it rejects."""
    try:
        tree = lark_parser().parse(text)
    except lark.exceptions.LarkError:
        return None
    return [(str(st_.children[0]), str(st_.children[1]), _tree_shape(st_.children[2]))
            for st_ in tree.children]


def _tree_shape(node: Any) -> Any:
    if node.data == "atom":
        return str(node.children[0])
    return [_tree_shape(child) for child in node.children]


def ours_shape(text: str) -> tuple[list[tuple[str, str, Any]] | None, str | None]:
    """The same from the fast parser, plus the error code when it rejects."""
    try:
        doc = parse_xlcfg(text, "case.cfg")
    except ConfigError as exc:
        return None, exc.diagnostics()[0].code
    return [(s.key, s.op, _value_shape(text, s.value)) for s in doc.statements], None


def _value_shape(text: str, value: Value) -> Any:
    if isinstance(value, Atom):
        return text[value.span[0]:value.span[1]]  # the token as written
    assert isinstance(value, ListValue)
    return [_value_shape(text, item) for item in value.items]


def test_grammar_is_packaged() -> None:
    assert grammar_text() == (REPO / "grammar" / "xlcfg.lark").read_text(encoding="utf-8")
    packaged = REPO / "xl_py" / "grammar" / "xlcfg.lark"
    assert packaged.read_text(encoding="utf-8") == grammar_text()


def test_package_data_lists_the_grammar() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "grammar/*.lark" in project["tool"]["setuptools"]["package-data"]["xl_py"]


@pytest.mark.parametrize("name,data", all_cases(), ids=[n for n, _ in all_cases()])
def test_grammar_and_parser_agree(name: str, data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    ours, code = ours_shape(text)
    if code in SEMANTIC or name in DEEP:
        pytest.skip(f"rejected after the grammar ({code})")
    assert lark_shape(text) == ours


TOKENS = ["a", "b.c", "x_1", "0", "12", "0x1f", "'s'", '"d"', "'q\\''", "=", "+=", ",", ";",
          "[", "]", "\n", " ", "\t", "# c\n", "-", ".", "X", "'open", "\r"]


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_random_token_soup_agrees(tokens: list[str]) -> None:
    text = "".join(tokens)
    ours, code = ours_shape(text)
    if code in SEMANTIC:
        return
    assert lark_shape(text) == ours, text


@pytest.mark.parametrize("name,data", all_cases(), ids=[n for n, _ in all_cases()])
def test_fast_path_builds_what_the_token_parser_builds(name: str, data: bytes) -> None:
    """The one-regex-per-statement fast path is only a shortcut."""
    from xl_py.errors import Source
    from xl_py.syntax.xlcfg import _Parser

    text = data.decode("utf-8", "surrogateescape")
    results = []
    for fast in (True, False):
        try:
            results.append(_Parser(Source("c.cfg", text), fast=fast).document())
        except ConfigError as exc:
            results.append(str(exc))  # type: ignore[arg-type]
    assert results[0] == results[1]


def test_every_grammar_is_packaged() -> None:
    """Each grammar/*.lark has its xl_py/grammar twin (package data for the wheel)."""
    for path in sorted((REPO / "grammar").glob("*.lark")):
        twin = REPO / "xl_py" / "grammar" / path.name
        assert twin.read_bytes() == path.read_bytes(), path.name
        assert grammar_text(path.stem) == path.read_text(encoding="utf-8")
