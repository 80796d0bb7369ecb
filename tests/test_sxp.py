"""xend S-expression reader: structure, xend's escapes, positioned errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xl_py.errors import ConfigSyntaxError
from xl_py.syntax.sxp import SxpAtom, SxpList, parse_sxp

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def atoms(node: object) -> object:
    if isinstance(node, SxpAtom):
        return node.text
    assert isinstance(node, SxpList)
    return [atoms(i) for i in node.items]


def test_structure_and_lookup() -> None:
    doc = parse_sxp(
        "# saved by xend\n(vm (name rhel5) (memory 512)\n"
        " (image (linux (kernel '/boot/vmlinuz') (args 'ro quiet')))\n"
        " (device (vbd (uname phy:/dev/vg/x) (dev xvda) (mode w)))  # a disk\n"
        " (device (vif (mac 00:16:3e:00:00:01))))\n", "g.sxp")
    root = doc.root()
    assert root.name == "vm"
    assert root.text("name") == "rhel5"
    image = root.child("image")
    assert image is not None
    assert atoms(image) == ["image", ["linux", ["kernel", "/boot/vmlinuz"], ["args", "ro quiet"]]]
    assert [atoms(d.items[1])[0] for d in root.children("device")] == ["vbd", "vif"]
    name = root.value("name")
    assert name is not None
    assert doc.source.line_col(name.start) == (2, 11)


@pytest.mark.parametrize(("literal", "value"), [
    (r"'a\tb'", "a\tb"), (r"'\101\x41\x4a'", "AAJ"), (r"'it\'s'", "it's"),
    (r'"dq \"x\""', 'dq "x"'), (r"'back\\slash'", "back\\slash"),
    (r"'\q'", "\\"),  # xend drops the character of an unknown escape
    (r"'\9\8'", "\\\\"),  # 8 and 9 are not octal digits: unknown escapes
    (r"'\0'", "\0"), ("'multi\nline'", "multi\nline"),
    # xend was Python 2: repr() wrote UTF-8 bytes as \xHH (or \ooo) escapes
    (r"'caf\xc3\xa9 \303\251'", "café é"), (r"'x\xe9y'", "xéy"),  # Latin-1: one per byte
])
def test_xend_string_escapes(literal: str, value: str) -> None:
    assert atoms(parse_sxp(f"(k {literal})").root()) == ["k", value]


def test_python_repr_round_trips() -> None:
    text = "tab\there 'q' \"d\" \\ é \x01"
    assert atoms(parse_sxp(f"(k {text!r})").root()) == ["k", text]


def test_line_continuation_outside_strings() -> None:
    assert atoms(parse_sxp("(a (b 1)\\\n(c 2))").root()) == ["a", ["b", "1"], ["c", "2"]]


@pytest.mark.parametrize(("text", "message"), [
    ("(vm (name x)\n  (memory 3)\n", "b.sxp:1:1: error: unexpected end of file: list never closed\n"
     "    1 | (vm (name x)\n      | ^\n  expected: a ')' closing this list"),
    ("(vm (name x)))\n", "b.sxp:1:14: error: syntax error: unexpected ')'\n"
     "    1 | (vm (name x)))\n      |              ^\n  expected: an atom, a string or a list"),
    ("(vm (name 'x))\n", "b.sxp:1:11: error: unterminated string\n"
     "    1 | (vm (name 'x))\n      |           ^\n  expected: a closing '"),
    ("(vm (name '\\777'))", "b.sxp:1:12: error: invalid octal escape: out of range \\777\n"
     "    1 | (vm (name '\\777'))\n      |            ^^^^"),
    ("(vm (name 'a\\xzz'))", "b.sxp:1:13: error: invalid hex escape: \\x without a hex "
     "digit\n    1 | (vm (name 'a\\xzz'))\n      |             ^^"),
])
def test_malformed_sxp_is_positioned(text: str, message: str) -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_sxp(text, "b.sxp")
    assert str(exc.value) == message


def test_deep_nesting_does_not_crash() -> None:
    doc = parse_sxp("(" * 5000 + ")" * 5000)
    assert isinstance(doc.root(), SxpList)


SXP_FILES = sorted(CORPUS.glob("sxp/*.sexpr")) + sorted(CORPUS.glob("xen-examples/*/*.sxp"))


@pytest.mark.skipif(not SXP_FILES, reason="../shared/corpus not present")
@pytest.mark.parametrize("path", SXP_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_files(path: Path) -> None:
    text = path.read_text()
    if path.name == "sexpr2xml-net-routed.sexpr":  # the (domain never closes
        with pytest.raises(ConfigSyntaxError, match="list never closed"):
            parse_sxp(text, path.name)
        return
    root = parse_sxp(text, path.name).root()
    assert root.name


FAST_CASES = [
    "(vm (name x) (memory 512))", "(a 'x\\ty' \"q\\\"\" b)\n# c\n(d)", "(a (b (c (d))))",
    "(a\\\n b)", "(a {b} [c] <d> e;f)", "(a\n  # comment ( )\n  b)", "x y (z)", "()",
    "(a '\\101\\x41\\q')", "(a \\b c)",
]


@pytest.mark.parametrize("text", FAST_CASES + [p.read_text() for p in SXP_FILES
                                               if "net-routed" not in p.name])
def test_fast_scanner_equals_the_grammar(text: str) -> None:
    fast = parse_sxp(text, "f.sxp")
    slow = parse_sxp(text, "f.sxp", fast=False)
    assert fast.items == slow.items


@pytest.mark.parametrize("text", ["(a", "(a))", "(a 'x)", "(a '\\777')", ")"])
def test_fast_scanner_leaves_errors_to_the_grammar(text: str) -> None:
    with pytest.raises(ConfigSyntaxError) as fast:
        parse_sxp(text, "e.sxp")
    with pytest.raises(ConfigSyntaxError) as slow:
        parse_sxp(text, "e.sxp", fast=False)
    assert str(fast.value) == str(slow.value)


@pytest.mark.parametrize("text", ["(a '\\777' (b)", "('\\777' a))", "(a '\\777')"])
def test_first_error_is_the_grammars(text: str) -> None:
    """Structure errors come before escape errors, on both paths."""
    with pytest.raises(ConfigSyntaxError) as fast:
        parse_sxp(text, "e.sxp")
    with pytest.raises(ConfigSyntaxError) as slow:
        parse_sxp(text, "e.sxp", fast=False)
    assert str(fast.value) == str(slow.value)


from fuzzing import examples  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SXP_ALPHABET = st.sampled_from([*"()'\"\\# \n\tabx0179[]{};<>", "\\x", "é", "\x00"])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(SXP_ALPHABET, max_size=40).map("".join))
def test_any_input_parses_or_gives_a_positioned_error(text: str) -> None:
    """Never a traceback: a tree, or a ConfigSyntaxError with file:line:col."""
    try:
        fast = parse_sxp(text, "h.sxp")
    except ConfigSyntaxError as exc:
        assert str(exc).startswith("h.sxp:")
        with pytest.raises(ConfigSyntaxError) as slow:
            parse_sxp(text, "h.sxp", fast=False)
        assert str(slow.value) == str(exc)
    else:
        assert fast.items == parse_sxp(text, "h.sxp", fast=False).items
