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
        return 9

    def rename(self, domid: int, new_name: str) -> None:
        self.events.append(f"rename {domid} {new_name}")

    def unpause(self, domid: int) -> None:
        self.events.append(f"unpause {domid}")


def test_received_as_incoming_then_renamed() -> None:
    r_in, w_in = os.pipe()
    r_out, w_out = os.pipe()
    config = migration.saved_config({"c_info": {"name": "g1"}}, 3, preserve_domid=False)
    be = FakeReceiver()
    ctx = Context(stderr=io.StringIO())
    result: dict[str, int] = {}

    def receiver() -> None:
        with open(r_in, "rb", buffering=0) as inp, open(w_out, "wb") as out:
            result["domid"] = _receive_on(be, inp, out, ctx, paused=False)

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
    assert be.events == ["restore g1--incoming paused=True v2 b'STREAM'", "rename 9 g1",
                         "unpause 9"]
