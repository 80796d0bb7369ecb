"""The xm fast path builds exactly the trees grammar/xm.lark builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fuzzing import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_py.syntax.xm import parse_xm, read_xm
from xl_py.syntax.xm_fast import split

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def shape(node: Any) -> Any:
    """Rule names, token types/values and every position, recursively."""
    if hasattr(node, "data"):
        return (str(node.data), node.meta.start_pos, node.meta.end_pos,
                tuple(shape(c) for c in node.children))
    return (node.type, str(node), node.start_pos, node.end_pos)


def lark_statements(text: str) -> list[Any]:
    """Lark's expr_stmt trees for the same text."""
    _, tree = parse_xm(text, "t")
    out = []
    for stmt in tree.children:
        if stmt.data == "simple_stmt":
            out.extend(stmt.children)
    return out


STATEMENTS = [
    "x = 1", "name = 'vm'", "s = 'a' 'b' \"c\"", "n = -5", "m = +-3", "l = []",
    "l = [1, 2, 3]", "l = [1, 2, 3,]", "t = ()", "t = (1,)", "t = (1, 2)", "p = (1)",
    "x = 'a' + 'b' + c", "x = 'vm%d' % 3", "x = 'a' * 3 + 'b' % (1, 2)", "x = 7 / 2 // 1",
    "disk = [ 'phy:/dev/sda%d,sda1,w' % (7+vmid),\n         'phy:sda6,sda6,r' ]",
    "vif = [ '' ]  # comment", "x = [ # c\n  1, # d\n  2 ]", "x = r'\\d' u'x' b'y'",
    "x = '''tri\nple'''", "x = 0x1F", "x = 1.5e3", "x = [(1, 2), [3, [4]]]",
    "x = 10 - -2", "x = a - b * c % d",
]


@pytest.mark.parametrize("text", STATEMENTS)
def test_fast_tree_equals_lark_tree(text: str) -> None:
    fast, rest = split(text + "\n")
    assert rest.strip() == ""
    assert [shape(t) for t in fast] == [shape(t) for t in lark_statements(text + "\n")]


@pytest.mark.parametrize("text", [
    "x = f(1)", "x = a[0]", "x = a.b", "x = 2 ** 3", "x = {'a': 1}", "x = y = 1",
    "x = 1; y = 2", "import os", "if x:\n  y = 1", "x += 1", "x = 1, 2", "x = \\\n 1",
    "x = lambda: 1", "x = [i for i in y]", "x = not y", "x = a and b", "x = a == b",
])
def test_everything_else_is_left_to_lark(text: str) -> None:
    fast, rest = split(text + "\n")
    assert fast == []
    assert rest == text + "\n"


def test_a_following_block_disables_the_fast_path() -> None:
    text = "x = 1\n  y = 2\n"
    assert split(text) == ([], text)


atoms = st.one_of(
    st.integers(-1000, 10**6).map(str), st.text(st.characters(codec="ascii",
                                                              exclude_characters="\\\n"),
                                                max_size=8).map(repr),
    st.sampled_from(["a", "b", "vmid", "True", "None"]),
)
exprs = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "%", "/", "//"]), inner).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ")"),
        inner.map(lambda x: f"({x})"), inner.map(lambda x: f"-{x}"),
    ),
    max_leaves=8,
)


@settings(max_examples=examples(300), deadline=None)
@given(exprs)
def test_generated_expressions_agree(expr: str) -> None:
    text = f"x = {expr}\n"
    fast, _ = split(text)
    assert [shape(t) for t in fast] == [shape(t) for t in lark_statements(text)]


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(exprs, min_size=1, max_size=4))
def test_generated_files_evaluate_the_same(values: list[str]) -> None:
    text = "a = 3\nb = 'b'\nvmid = 2\n" + "".join(f"v{i} = {e}\n" for i, e in enumerate(values))
    fast = read_xm(text, "g.cfg")
    slow = read_xm(text, "g.cfg", fast=False)
    assert fast.bindings == slow.bindings
    assert [d.format() for d in fast.diagnostics] == [d.format() for d in slow.diagnostics]


FILES = sorted(CORPUS.glob("xen-examples/*/xmexample*")) + sorted(
    CORPUS.glob("libvirt-xm/*.cfg")) + sorted((ROOT / "configs" / "legacy").glob("*.xm"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_whole_files_evaluate_the_same(path: Path) -> None:
    text = path.read_text()
    fast = read_xm(text, path.name, defines={"vmid": "2"})
    slow = read_xm(text, path.name, defines={"vmid": "2"}, fast=False)
    assert fast.bindings == slow.bindings
    assert [d.format() for d in fast.diagnostics] == [d.format() for d in slow.diagnostics]
