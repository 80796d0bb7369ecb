"""migrate-receive's domain side (xl_migrate.c / xl_vmcontrol.c 4.17): the domain
arrives as '<name>--incoming', libxl reads its stream from the fd exactly where the
xl header ends (unbuffered), and the domain takes its name back after "go".  The
backend is a fake that reads the stream from the fd itself (wiring only); the real
thing is the lane's test_pvh_lifecycle (migrate to localhost)."""

from __future__ import annotations

import io
import json
import os
import threading

from xl_py.backends import migration
from xl_py.backends.base import BackendBase
from xl_py.cli.commands.migrate import _receive_on
from xl_py.cli.context import Context


class FakeReceiver(BackendBase):
    name = "fake"

    def __init__(self) -> None:
        self.events: list[str] = []

    def restore_from_fd(self, fd: int, config_json: bytes, paused: bool,
                        stream_version: int = 2, domid_policy: str = "xen") -> int:
        name = json.loads(config_json)["c_info"]["name"]
        stream = os.read(fd, 6)  # what libxl would read from the fd
        self.events.append(f"restore {name} paused={paused} v{stream_version} {stream!r}")
        self.policy = domid_policy
        return 9

    def rename(self, domid: int, new_name: str) -> None:
        self.events.append(f"rename {domid} {new_name}")

    def unpause(self, domid: int) -> None:
        self.events.append(f"unpause {domid}")


def test_received_as_incoming_then_renamed() -> None:
    assert _receive(policy="xen").events == [
        "restore g1--incoming paused=True v2 b'STREAM'", "rename 9 g1", "unpause 9"]


def test_received_under_xl_confs_domid_policy() -> None:
    """xl's migrate-receive creates the domain through create_domain: xl.conf's
    domid_policy applies unless the sender kept the domid (-D)."""
    assert _receive(policy="random").policy == "random"


def test_sender_stores_domid_0_or_with_d_the_domid() -> None:
    """xl's save_domain_core_begin for migrate: the stored config with c_info.domid 0
    (-D: the domid), NUL-terminated; -C's parsed config NUL-terminated too."""
    from pathlib import Path

    from xl_py.cli.commands.migrate import _config_bytes

    class Stored(BackendBase):
        name = "stored"

        def domain_config_json(self, domid: int) -> dict[str, object] | None:
            return {"c_info": {"name": "g1", "domid": 32752}}

    ctx = Context(stderr=io.StringIO(), environ={"XL_PY_CONF": "/dev/null"})
    object.__setattr__(ctx, "_backend", Stored())
    plain, kept = _config_bytes(ctx, 7, None), _config_bytes(ctx, 7, None, True)
    assert plain.endswith(b"}\0") and kept.endswith(b"}\0")
    assert json.loads(plain[:-1])["c_info"]["domid"] == 0
    assert json.loads(kept[:-1])["c_info"]["domid"] == 7
    cfg = Path(__file__).resolve().parent.parent / "configs/xl/pv.cfg"
    given = _config_bytes(ctx, 7, str(cfg))
    assert given.endswith(b"\0") and json.loads(given[:-1])["c_info"]["type"] == "pv"


def _receive(policy: str) -> FakeReceiver:
    r_in, w_in = os.pipe()
    r_out, w_out = os.pipe()
    config = migration.saved_config({"c_info": {"name": "g1"}}, 3, preserve_domid=False)
    be = FakeReceiver()
    ctx = Context(stderr=io.StringIO())
    result: dict[str, int] = {}

    def receiver() -> None:
        with open(r_in, "rb", buffering=0) as inp, open(w_out, "wb") as out:
            result["domid"] = _receive_on(be, inp, out, ctx, paused=False, domid_policy=policy)

    thread = threading.Thread(target=receiver)
    thread.start()
    with open(w_in, "wb", buffering=0) as send, open(r_out, "rb", buffering=0) as recv:
        migration.expect(recv, migration.BANNER, "banner", "test")
        # header and the start of libxl's stream in one write: a buffered reader on
        # the receiving side would take the stream bytes away from libxl's fd
        send.write(migration.SaveHeader(config=config).pack() + b"STREAM")
        migration.expect(recv, migration.READY, "ready", "test")
        send.write(migration.GO)
        migration.expect(recv, migration.REPORT, "report", "test")
        assert recv.read(1) == b"\0"
    thread.join(10)
    assert result == {"domid": 9}
    return be
