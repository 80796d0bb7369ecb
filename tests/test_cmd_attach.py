"""create -c / -V / -A / -F: after the domain is up, the monitor starts, then a
vncviewer child and the console (xl_vmcontrol.c autoconnect_vncviewer /
autoconnect_console).  A fake backend stands in (wiring only)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from xl_py.backends.base import BackendBase, DomainInfo, Progress
from xl_py.cli.commands import create
from xl_py.cli.context import Context
from xl_py.cli.table import lookup

ROOT = Path(__file__).resolve().parent.parent


class FakeCreate(BackendBase):
    name = "fake"

    def __init__(self) -> None:
        self.events: list[str] = []

    def create(self, config: object, paused: bool = False, progress: Progress | None = None,
               xl_keys: Mapping[str, object] | None = None, domid_policy: str = "xen") -> int:
        self.events.append("create")
        return 9

    def list_domains(self) -> tuple[DomainInfo, ...]:
        return (DomainInfo(9, "guest", domain_type="pvh"),)

    def start_monitor(self, domid: int, foreground: bool = False) -> None:
        self.events.append(f"monitor {domid}{' foreground' if foreground else ''}")

    def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
        return ("127.0.0.1", 5901, None)


@pytest.mark.parametrize(("argv", "events"), [
    ([], ["create", "monitor 9"]),
    (["-c"], ["create", "monitor 9", "exec xenconsole 9 --num 0 --type pv"]),
    (["-V"], ["create", "monitor 9", "vnc 9 False"]),
    (["-A", "-c"], ["create", "monitor 9", "vnc 9 True",
                    "exec xenconsole 9 --num 0 --type pv"]),
    (["-F", "-V"], ["create", "vnc 9 False", "monitor 9 foreground"]),
    (["-e", "-c"], ["create", "exec xenconsole 9 --num 0 --type pv"]),
])
def test_create_attaches_after_the_monitor(argv: list[str], events: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    be = FakeCreate()
    monkeypatch.setattr("xl_py.backends.open_backend", lambda connect, environ: be)
    monkeypatch.setattr("os.execvpe", lambda path, args, env: be.events.append(
        "exec " + " ".join([Path(args[0]).name, *args[1:]])))

    def vnc(ctx: Context, b: object, domid: int, autopass: bool) -> int:
        be.events.append(f"vnc {domid} {autopass}")
        return 1

    monkeypatch.setattr("xl_py.cli.commands._attach.spawn_vncviewer", vnc)
    ctx = Context(command=lookup("create"), stderr=io.StringIO(), stdout=io.StringIO(),
                  environ={"XL_PY_CONF": "/dev/null", "XL_PY_XENCONSOLE": "/x/xenconsole"})
    assert create.run(ctx, [*argv, str(ROOT / "configs/xl/pvh.cfg")]) == 0
    assert be.events == events
