"""``xl-py check``: the lint's findings (full text) and exit codes."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "check"


def check(*args: str) -> tuple[int, str, str]:
    from xl_py.cli.context import Context
    from xl_py.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    ctx = Context(environ=dict(os.environ, XL_PY_CONF=os.devnull), stdout=out, stderr=err)
    cwd = os.getcwd()
    os.chdir(DATA)
    try:
        rc = run(["check", *args], ctx)
    finally:
        os.chdir(cwd)
    return rc, out.getvalue(), err.getvalue()


def test_clean_config_exits_0_silently() -> None:
    assert check("clean.cfg") == (0, "", "")


def test_warnings_only_exit_3_with_every_finding() -> None:
    rc, out, err = check("lint.cfg")
    assert rc == 3
    assert out == """\
lint.cfg:4:1: warning: unknown key 'memroy'
    4 | memroy = 512
      | ^^^^^^
  hint: did you mean 'memory'?
lint.cfg:5:1: warning: builder: deprecated since Xen 4.10
    5 | builder = "generic"
      | ^^^^^^^
  hint: write type = "pv"
lint.cfg:6:1: warning: pae: does nothing for a PV guest
    6 | pae = 1
      | ^^^
  hint: it applies to HVM guests; remove it or check type=
lint.cfg:7:1: warning: unknown key 'colour'
    7 | colour = "blue"
      | ^^^^^^
  hint: xl ignores unknown keys silently; remove it or fix its name
lint.cfg:8:1: warning: stdvga: deprecated
    8 | stdvga = 1
      | ^^^^^^
  hint: use vga="stdvga"
lint.cfg:8:1: warning: stdvga: does nothing for a PV guest
    8 | stdvga = 1
      | ^^^^^^
  hint: it applies to HVM guests; remove it or check type=
"""
    assert err == "0 error(s), 6 warning(s)\n"


def test_errors_exit_1_and_come_first() -> None:
    rc, out, _ = check("broken.cfg", "clean.cfg")
    assert rc == 1
    assert out == """\
broken.cfg:4:7: error: vga: unknown vga 'vesa'
    4 | vga = "vesa"
      |       ^^^^^^
  expected: stdvga | cirrus | none | qxl
broken.cfg:5:1: warning: unknown key 'vnclistn'
    5 | vnclistn = "0.0.0.0"
      | ^^^^^^^^
  hint: did you mean 'vnclisten'?
"""


def test_quiet_prints_errors_only() -> None:
    rc, out, err = check("-q", "lint.cfg")
    assert (rc, out, err) == (3, "", "")


def test_json_output() -> None:
    rc, out, _ = check("--json", "broken.cfg")
    assert rc == 1
    found = json.loads(out)
    assert [(f["line"], f["column"], f["severity"], f["code"]) for f in found] == [
        (4, 7, "error", None), (5, 1, "warning", "unknown-key")]


def test_missing_file_is_an_error() -> None:
    rc, out, _ = check("nope.cfg")
    assert rc == 1
    assert out == "error: Failed to read config file: nope.cfg: No such file or directory\n"


def test_no_file_is_a_usage_error() -> None:
    from xl_py.errors import UsageError

    with pytest.raises(UsageError):
        check()


def test_lint_is_strict_where_create_follows_xl() -> None:
    """create ignores memory="512M" with a warning, as xl; the lint says error."""
    rc, out, _ = check("typed.cfg")
    assert rc == 1
    assert out == """\
typed.cfg:3:10: error: memory: '512M' is not a number
    3 | memory = "512M"
      |          ^^^^^^
  expected: an integer: decimal, 0x hex or leading-0 octal (e.g. 512, 0x200, 01000)
  hint: write a plain number without a unit
"""


def test_a_key_set_twice_is_reported_at_the_unused_assignment() -> None:
    rc, out, _ = check("twice.cfg")
    assert rc == 3
    assert out == """\
twice.cfg:3:1: warning: memory: set again on line 6; this value is not used
    3 | memory = 256
      | ^^^^^^
  hint: xl uses the last assignment; remove one of them
twice.cfg:6:1: warning: memory: set again on line 7; this value is not used
    6 | memory = 512
      | ^^^^^^
  hint: xl uses the last assignment; remove one of them
"""
