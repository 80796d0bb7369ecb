"""``shutdown -w`` / ``-ww`` / ``reboot -w`` as xl's wait_for_domain_deaths reports
them (xl_vmcontrol.c 4.17): -w returns once each domain has shut down (or is gone),
-ww once it is destroyed.  The backend is a fake (wiring only); the real hypervisor
is the xenvm lane's test_shutdown_wait / test_hvm_shutdown_wait."""

from __future__ import annotations

import io

import pytest

from xl_py._record import replace
from xl_py.backends.base import BackendBase, DomainInfo
from xl_py.cli.commands import shutdown
from xl_py.cli.context import Context
from xl_py.cli.table import lookup
from xl_py.errors import DomainNotFound


class FakeBackend(BackendBase):
    """Domain 5 goes through ``states`` (one per domain_info call after the request)."""

    name = "fake"

    def __init__(self, states: list[DomainInfo | None]) -> None:
        self.states = states
        self.requests: list[tuple[int, bool]] = []
        self.base = DomainInfo(domid=5, name="g1", uuid="u-1")

    def resolve(self, ident: str) -> int:
        return 5

    def domain_info(self, domid: int) -> DomainInfo:
        if not self.requests:
            return self.base
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if state is None:
            raise DomainNotFound(str(domid))
        return state

    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None:
        self.requests.append((domid, reboot))


def run(command: str, argv: list[str], be: FakeBackend) -> list[str]:
    err = io.StringIO()
    ctx = Context(command=lookup(command), stderr=err, stdout=io.StringIO())
    object.__setattr__(ctx, "_backend", be)
    shutdown.time.sleep = lambda s: None  # type: ignore[attr-defined]
    assert shutdown.run(ctx, argv) == 0
    return err.getvalue().splitlines()


@pytest.fixture(autouse=True)
def _restore_sleep() -> object:
    import time

    yield
    shutdown.time.sleep = time.sleep  # type: ignore[attr-defined]


def test_wait_returns_once_the_domain_has_shut_down() -> None:
    base = DomainInfo(domid=5, name="g1", uuid="u-1")
    down = replace(base, shutdown=True, shutdown_reason=0)
    be = FakeBackend([base, base, down])
    assert run("shutdown", ["-w", "g1"], be) == [
        "Shutting down domain 5", "Waiting for 1 domains",
        "Domain 5 has been shut down, reason code 0"]
    assert be.requests == [(5, False)]


def test_reboot_wait_reports_the_reboot_reason() -> None:
    base = DomainInfo(domid=5, name="g1", uuid="u-1")
    be = FakeBackend([replace(base, shutdown=True, shutdown_reason=1)])
    assert run("reboot", ["-w", "g1"], be)[-1] == "Domain 5 has been shut down, reason code 1"
    assert be.requests == [(5, True)]


def test_a_vanished_domain_has_been_destroyed() -> None:
    be = FakeBackend([None])
    assert run("shutdown", ["-w", "g1"], be)[-1] == "Domain 5 has been destroyed"


def test_double_w_waits_for_the_destruction() -> None:
    base = DomainInfo(domid=5, name="g1", uuid="u-1")
    down = replace(base, shutdown=True, shutdown_reason=0)
    be = FakeBackend([down, down, None])
    assert run("shutdown", ["-ww", "g1"], be)[1:] == [
        "Waiting for 1 domains", "Domain 5 has been shut down, reason code 0",
        "Domain 5 continue waiting for death", "Domain 5 has been destroyed"]


def test_a_new_domain_under_the_domid_is_not_the_one_waited_for() -> None:
    base = DomainInfo(domid=5, name="g1", uuid="u-1")
    be = FakeBackend([replace(base, uuid="u-2")])
    assert run("shutdown", ["-w", "g1"], be)[-1] == "Domain 5 has been destroyed"
