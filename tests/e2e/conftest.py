"""End-to-end tests on a real Xen 4.17 hypervisor: they run inside the lane's dom0.

``xenvm/run-lane.sh`` boots Xen under QEMU and runs ``pytest tests/e2e`` in dom0;
anywhere else every test here is skipped with the reason (see docs/xenvm.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lanelib import dom0_skip_reason, journal, sh

HERE = Path(__file__).resolve().parent
SKIP_REASON = dom0_skip_reason()
BRIDGE = "xenbr0"
BRIDGE_IP = "10.99.0.1"


#: what the lane found wrong in xl-py and is not fixed yet: test id -> the finding.
#: Such a test runs as an expected failure (non-strict xfail), so that a known gap does
#: not turn CI red for everyone while it stays listed in every lane report; when it is
#: fixed the test shows as XPASS and its line here should go.
KNOWN_GAPS: dict[str, str] = {}

#: what the lane's emulated hardware does now and then, whatever the toolstack: test
#: name (all its parameters) -> the evidence.  Non-strict xfail as above: the lane
#: report still shows every such failure, and XPASS when the run was lucky.  Empty:
#: the HVM "freeze" that was listed here is TCG losing a wakeup, which the lane's
#: watchdog now undoes (xenvm/watchdog.py, docs/xenvm.md).
KNOWN_FLAKES: dict[str, str] = {}


def boots_hvm_guest(test_name: str) -> bool:
    """Tests that boot an HVM guest (marker ``hvm_guest``; CI deselects them, see
    .ci/run and docs/xenvm.md)."""
    return (test_name.startswith("test_hvm_")
            or test_name.startswith("test_same_list_long_configuration[hvm"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hvm_guest: boots an HVM guest (QEMU device model)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.xenvm)
        if boots_hvm_guest(item.name):
            item.add_marker(pytest.mark.hvm_guest)
        if SKIP_REASON:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
        elif item.name in KNOWN_GAPS:
            item.add_marker(pytest.mark.xfail(reason=KNOWN_GAPS[item.name], strict=False))
        elif item.name.partition("[")[0] in KNOWN_FLAKES:
            reason = KNOWN_FLAKES[item.name.partition("[")[0]]
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if SKIP_REASON is None:
        journal(f"\n======== {nodeid}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if SKIP_REASON is None and (report.when == "call" or report.outcome != "passed"):
        journal(f"======== {report.nodeid} {report.when}: {report.outcome} "
                f"({report.duration:.1f} s)")


@pytest.fixture(scope="session")
def bridge() -> Iterator[str]:
    """dom0's bridge xenbr0 (10.99.0.1/24) for the guests' vifs."""
    if not Path(f"/sys/class/net/{BRIDGE}").exists():
        assert sh(["brctl", "addbr", BRIDGE]).ok
        assert sh(["ip", "addr", "add", f"{BRIDGE_IP}/24", "dev", BRIDGE]).ok
        assert sh(["ip", "link", "set", BRIDGE, "up"]).ok
    yield BRIDGE
