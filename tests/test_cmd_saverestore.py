"""``save`` / ``restore`` wiring as xl 4.17's main_save / main_restore
(tools/xl/xl_saverestore.c, create_domain in xl_vmcontrol.c): -c / -p keep the
domain (-p paused), -D stores the domid in the image, restore takes xl.conf's
domid_policy, a <ConfigFile> replaces the config, -e/-F/-c/-V as xl.  The backend
is a fake (wiring only); what libxl does with the image is the real-Xen lane's
tests/e2e/test_e2e_runtime.py, the image bytes tests/test_backend_saveimage.py."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from xl_py.backends.base import BackendBase, DomainInfo, Progress
from xl_py.cli.commands import saverestore
from xl_py.cli.context import Context
from xl_py.cli.table import lookup
from xl_py.errors import OperationError, UsageError

ROOT = Path(__file__).resolve().parent.parent


class FakeSaves(BackendBase):
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []
        self.monitors: list[tuple[int, bool]] = []

    def list_domains(self) -> tuple[DomainInfo, ...]:
        return (DomainInfo(4, "web", domain_type="hvm"),)

    def save(self, domid: int, path: str, checkpoint: bool = False,
             progress: Progress | None = None, *, preserve_domid: bool = False,
             leave_paused: bool = False, config: Mapping[str, object] | None = None) -> None:
        self.calls.append(("save", {"domid": domid, "path": path, "checkpoint": checkpoint,
                                    "preserve_domid": preserve_domid,
                                    "leave_paused": leave_paused, "config": config}))

    def restore(self, path: str, paused: bool = False, progress: Progress | None = None, *,
                domid_policy: str = "xen", config: Mapping[str, object] | None = None) -> int:
        self.calls.append(("restore", {"path": path, "paused": paused,
                                       "domid_policy": domid_policy, "config": config}))
        return 4

    def start_monitor(self, domid: int, foreground: bool = False) -> None:
        self.monitors.append((domid, foreground))


def run(command: str, argv: list[str], be: FakeSaves,
        environ: dict[str, str] | None = None) -> tuple[int, str]:
    err = io.StringIO()
    # an empty xl.conf (the defaults) unless the test brings one
    ctx = Context(command=lookup(command), stderr=err, stdout=io.StringIO(),
                  environ={"XL_PY_CONF": "/dev/null", **(environ or {})})
    object.__setattr__(ctx, "_backend", be)
    return saverestore.run(ctx, argv), err.getvalue()


@pytest.mark.parametrize(("argv", "want"), [
    ([], {"checkpoint": False, "leave_paused": False, "preserve_domid": False}),
    (["-c"], {"checkpoint": True, "leave_paused": False, "preserve_domid": False}),
    (["-p"], {"checkpoint": False, "leave_paused": True, "preserve_domid": False}),
    (["-c", "-p"], {"checkpoint": True, "leave_paused": True, "preserve_domid": False}),
    (["-D"], {"checkpoint": False, "leave_paused": False, "preserve_domid": True}),
])
def test_save_flags_reach_the_backend(argv: list[str], want: dict[str, bool],
                                      tmp_path: Path) -> None:
    be = FakeSaves()
    assert run("save", [*argv, "web", str(tmp_path / "img")], be)[0] == 0
    ((kind, got),) = be.calls
    assert kind == "save" and got["domid"] == 4 and got["config"] is None
    assert {k: got[k] for k in want} == want


def test_save_with_a_replacement_config_stores_it(tmp_path: Path) -> None:
    be = FakeSaves()
    assert run("save", ["web", str(tmp_path / "img"), str(ROOT / "configs/xl/pv.cfg")],
               be)[0] == 0
    config = be.calls[0][1]["config"]
    assert isinstance(config, dict) and config["c_info"]["type"] == "pv"


@pytest.mark.parametrize(("conf", "policy"), [(None, "xen"), ('domid_policy = "random"\n',
                                                              "random")])
def test_restore_takes_xl_confs_domid_policy(conf: str | None, policy: str,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    image = tmp_path / "img"
    image.write_bytes(b"x")
    environ: dict[str, str] = {}
    if conf is not None:
        (tmp_path / "xl.conf").write_text(conf)
        environ["XL_PY_CONF"] = str(tmp_path / "xl.conf")
    be = FakeSaves()
    assert run("restore", [str(image)], be, environ)[0] == 0
    assert be.calls == [("restore", {"path": str(image), "paused": False,
                                     "domid_policy": policy, "config": None})]
    assert be.monitors == [(4, False)]


def test_restore_e_p_and_a_replacement_config(tmp_path: Path) -> None:
    image = tmp_path / "img"
    image.write_bytes(b"x")
    be = FakeSaves()
    assert run("restore", ["-e", "-p", str(ROOT / "configs/xl/pvh.cfg"), str(image)], be)[0] == 0
    got = be.calls[0][1]
    assert got["paused"] is True and be.monitors == []
    assert isinstance(got["config"], dict) and got["config"]["c_info"]["type"] == "pvh"


def test_restore_f_monitors_in_the_foreground(tmp_path: Path) -> None:
    image = tmp_path / "img"
    image.write_bytes(b"x")
    be = FakeSaves()
    assert run("restore", ["-F", str(image)], be)[0] == 0
    assert be.monitors == [(4, True)]


def test_restore_c_becomes_the_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-c: after the monitor starts, this process execs the console (serial for HVM)."""
    image = tmp_path / "img"
    image.write_bytes(b"x")
    execs: list[list[str]] = []

    def fake_exec(path: str, argv: list[str], env: object) -> None:
        execs.append(argv)

    monkeypatch.setattr("os.execvpe", fake_exec)
    be = FakeSaves()
    assert run("restore", ["-c", str(image)],
               be, {"XL_PY_XENCONSOLE": "/usr/lib/xen-4.17/bin/xenconsole"})[0] == 0
    assert be.monitors == [(4, False)]
    assert execs == [["/usr/lib/xen-4.17/bin/xenconsole", "4", "--num", "0", "--type",
                      "serial"]]


def test_restore_v_starts_the_viewer_child(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "img"
    image.write_bytes(b"x")
    spawned: list[tuple[int, bool]] = []

    def fake_vncviewer(ctx: Context, be: object, domid: int, autopass: bool) -> int:
        spawned.append((domid, autopass))
        return 1

    monkeypatch.setattr("xl_py.cli.commands._attach.spawn_vncviewer", fake_vncviewer)
    assert run("restore", ["-A", str(image)], FakeSaves())[0] == 0
    assert spawned == [(4, True)]


def test_restore_usage_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as exc:
        run("restore", [], FakeSaves())
    assert str(exc.value) == "'xl restore' requires [<ConfigFile>] <CheckpointFile>"
    with pytest.raises(OperationError) as exc2:
        run("restore", [str(tmp_path / "none")], FakeSaves())
    assert str(exc2.value) == (f"Can't open restore file: {tmp_path / 'none'}: "
                               "No such file or directory")
    with pytest.raises(UsageError) as exc3:
        run("save", ["web"], FakeSaves())
    assert str(exc3.value) == "'xl save' requires <Domain> <CheckpointFile> [<ConfigFile>]"


def test_vncviewer_child_gets_the_display_and_password(tmp_path: Path) -> None:
    """The -V/-A child: after xl's one-second pause, vncviewer HOST:DISPLAY -autopass
    with the password on stdin (a stand-in vncviewer on PATH records what it got)."""
    import os
    import time

    from xl_py.cli.commands import _attach

    record = tmp_path / "got"
    viewer = tmp_path / "vncviewer"
    viewer.write_text(f'#!/bin/sh\necho "$@" > {record}.tmp; cat >> {record}.tmp; '
                      f'mv {record}.tmp {record}\n')
    viewer.chmod(0o755)

    class Vnc(FakeSaves):
        def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
            return ("127.0.0.1", 5903, "s3cret")

    ctx = Context(environ={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    started = time.monotonic()
    _attach.spawn_vncviewer(ctx, Vnc(), 4, autopass=True)
    while not record.exists() and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert time.monotonic() - started >= _attach.VNC_DELAY
    assert record.read_text() == "127.0.0.1:3 -autopass\ns3cret\n"
