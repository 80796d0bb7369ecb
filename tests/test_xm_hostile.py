"""Hostile and odd xm files: Python 2 / Python 3 only syntax, string escapes,
indentation mistakes and builtins that would read stdin or files.  Each gets
one positioned message, nothing runs, and the reader raises nothing but
ConfigSyntaxError."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_py.errors import ConfigSyntaxError
from xl_py.syntax.xm import read_xm


def first(text: str) -> str:
    """The first diagnostic of a file that parses, or the syntax error."""
    try:
        cfg = read_xm(text, "t.cfg")
    except ConfigSyntaxError as exc:
        return str(exc)
    return cfg.diagnostics[0].format()


# ---- string literals: escapes Python refuses (read with Python 3's escapes, as
# test_xm.py's literal tests fix; Python 2 left \N{...} and \u in a str as written)


@pytest.mark.parametrize(("text", "message"), [
    (r"x = '\x'", "t.cfg:1:5: error: invalid string literal: truncated \\xXX escape\n"
                  "    1 | x = '\\x'\n"
                  "      |     ^^^^"),
    (r"x = u'\N{NO SUCH NAME}'", "t.cfg:1:5: error: invalid string literal: unknown Unicode "
                                 "character name\n"
                                 "    1 | x = u'\\N{NO SUCH NAME}'\n"
                                 "      |     ^^^^^^^^^^^^^^^^^^^"),
])
def test_bad_escapes_are_positioned_errors(text: str, message: str) -> None:
    assert first(text + "\nmemory = 1\n") == message
    assert read_xm(text + "\nmemory = 1\n", "t.cfg").as_dict() == {"memory": 1}


# ---- indentation


@pytest.mark.parametrize(("text", "message"), [
    ("x = 1\n  y = 2\n",
     "t.cfg:2:3: error: unexpected indent\n"
     "    2 |   y = 2\n"
     "      |   ^\n"
     "  expected: Python literal syntax as in xmexample files"),
    ("if 1:\n        x = 2\n    y = 3\n",
     "t.cfg:3:5: error: unindent does not match any outer indentation level\n"
     "    3 |     y = 3\n"
     "      |     ^"),
])
def test_indentation_errors_point_at_the_line(text: str, message: str) -> None:
    for fast in (True, False):
        with pytest.raises(ConfigSyntaxError) as exc:
            read_xm(text, "t.cfg", fast=fast)
        assert str(exc.value) == message


# ---- Python 2 only and Python 3 only syntax


@pytest.mark.parametrize(("text", "message"), [
    ("print 'x'\n", "t.cfg:1:1: error: 'print' statement: not run"),
    ("x = `1`\n", "t.cfg:1:5: error: backquote (repr): not run"),
    ("exec 'x = 1'\n", "t.cfg:1:1: error: 'exec' statement: not run"),
    ("x = f'{1}'\n", "t.cfg:1:6: error: unexpected \"'{1}'\""),
    ("x = 1_000\n", "t.cfg:1:6: error: unexpected '_000'"),
    ("x := 3\n", "t.cfg:1:3: error: unexpected ':'"),
    ("x = [*y]\n", "t.cfg:1:6: error: unexpected '*'"),
])
def test_version_specific_syntax(text: str, message: str) -> None:
    assert first(text).splitlines()[0] == message


@pytest.mark.parametrize(("text", "value"), [
    ("x = 1 <> 2\n", True), ("x = 10L\n", 10), ("x = 0xffL\n", 255), ("x = 0755\n", 493),
    ("x = u'abc'\n", "abc"), ("x = 7 / 2\n", 3),
])
def test_python2_spellings_read_as_python2(text: str, value: object) -> None:
    cfg = read_xm(text, "t.cfg")
    assert cfg.diagnostics == ()
    assert cfg.get("x") == value


@pytest.mark.parametrize("call", [
    "execfile('{m}')", "eval(\"open('{m}', 'w')\")", "compile('x', '{m}', 'exec')",
    "reload(os)", "input()", "raw_input()", "file('{m}', 'w')", "globals()['os']",
    "vars()", "__builtins__", "type('X', (), {{}})", "os.popen('touch {m}')",
    "os.environ['HOME']", "sys.modules", "re.compile('a')",
])
def test_builtins_that_read_or_write_are_not_run(call: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = "import os, re, sys\nx = " + call.format(m=marker) + "\nmemory = 1\n"
    cfg = read_xm(text, "t.cfg")
    assert not marker.exists()
    assert cfg.as_dict() == {"memory": 1}
    assert [d.location() for d in cfg.errors] == ["t.cfg:2:5"]


# ---- property: nothing but ConfigSyntaxError, and the fast path agrees

PIECES = st.sampled_from([
    "x", " = ", "1", "'", '"', "u", "b", "r", "\\", "\\x", "\\N{", "}", "\\u12", "\\U0001",
    "\\n", "\\0", "\\777", "{", "\n", "\n  ", "\n    ", "\n\t", "\n ", "if 1:", "else:", "#",
    " ", "[", "]", "(", ")", ",", "%", "%s", "+", "*", "a", "é", "\r", "\r\n", ";", ":",
])


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_odd_text_raises_only_config_syntax_error(text: str) -> None:
    try:
        fast = read_xm(text, "f.cfg")
    except ConfigSyntaxError:
        with pytest.raises(ConfigSyntaxError):
            read_xm(text, "f.cfg", fast=False)
        return
    slow = read_xm(text, "f.cfg", fast=False)
    assert fast.bindings == slow.bindings
    assert [d.format() for d in fast.diagnostics] == [d.format() for d in slow.diagnostics]
