"""cli/main.py: every failure becomes a message and an exit code, never a traceback."""

from __future__ import annotations

import io

import pytest

from xl_py.cli import main as cli_main
from xl_py.cli.context import Context


def _run_main(monkeypatch: pytest.MonkeyPatch, exc: BaseException,
              environ: dict[str, str]) -> tuple[int, str]:
    def explode(argv: object, ctx: object = None) -> int:
        raise exc

    err = io.StringIO()
    monkeypatch.setattr(cli_main, "run", explode)
    monkeypatch.setattr(cli_main, "Context",
                        lambda: Context(environ=environ, stderr=err, stdout=io.StringIO()))
    with pytest.raises(SystemExit) as info:
        cli_main.main(["list"])
    return int(info.value.code or 0), err.getvalue()


def test_a_bug_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = _run_main(monkeypatch, KeyError("max_cpu_id"), {})
    assert code == 70
    assert err == ("xl-py: internal error: KeyError: 'max_cpu_id'\n"
                   "  (set XL_PY_DEBUG=1 for the traceback, and please report it)\n")


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError):
        _run_main(monkeypatch, KeyError("x"), {"XL_PY_DEBUG": "1"})


def test_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run_main(monkeypatch, MemoryError(), {}) == (1, "xl-py: out of memory\n")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main.main(["no-such-command"])
    assert info.value.code == 2
    assert capsys.readouterr().err == "error: command 'no-such-command' not implemented\n"
