"""The monitor xl-py leaves behind a created domain: the decision table (xl's
handle_domain_death, xl_vmcontrol.c 4.17) and its loop over a fake supervisor.
The real thing runs on the xenvm lane (tests/e2e: test_reboot, test_shutdown_wait,
test_hvm_shutdown_wait)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from xl_py.backends import monitor
from xl_py.backends.monitor import ACTION_TABLE, Decision, decide, watch
from xl_py.errors import DomainNotFound, OperationError

CONFIG: dict[str, object] = {
    "c_info": {"name": "g1", "domid": 4294967295}, "on_poweroff": "destroy",
    "on_reboot": "restart", "on_crash": "coredump_restart", "on_watchdog": "preserve",
    "on_soft_reset": "soft_reset"}


@pytest.mark.parametrize(("reason", "config", "want"), [
    ("poweroff", CONFIG, Decision("destroy", destroy=True)),
    ("reboot", CONFIG, Decision("restart", destroy=True, restart="normal")),
    ("crash", CONFIG, Decision("coredump_restart", dump=True, destroy=True, restart="normal")),
    ("watchdog", CONFIG, Decision("preserve")),
    ("soft_reset", CONFIG, Decision("soft_reset", restart="soft_reset")),
    ("suspend", CONFIG, Decision("")),
    (None, CONFIG, Decision("destroy", destroy=True)),  # unknown reason: destroy (xl)
    ("poweroff", {"on_poweroff": "restart_rename"}, Decision("restart_rename",
                                                             restart="rename")),
    ("crash", {"on_crash": "coredump_destroy"}, Decision("coredump_destroy", dump=True,
                                                         destroy=True)),
    # xl's defaults for a config without on_* keys (xl_parse.c)
    ("poweroff", {}, Decision("destroy", destroy=True)),
    ("reboot", {}, Decision("restart", destroy=True, restart="normal")),
    ("crash", {}, Decision("destroy", destroy=True)),
    ("watchdog", {}, Decision("destroy", destroy=True)),
    ("soft_reset", {}, Decision("soft_reset", restart="soft_reset")),
    ("reboot", {"on_reboot": "bogus"}, Decision("destroy", destroy=True)),
])
def test_decision_table(reason: str | None, config: dict[str, object], want: Decision) -> None:
    assert decide(reason, config) == want


def test_every_libxl_action_has_a_row() -> None:
    # libxl_types.idl action_on_shutdown, values 1..7
    assert set(ACTION_TABLE) == set(monitor.XL_ACTION_NAME) == {
        "destroy", "restart", "restart_rename", "preserve", "coredump_destroy",
        "coredump_restart", "soft_reset"}
    assert monitor.REASON_CODE == {"poweroff": 0, "reboot": 1, "suspend": 2, "crash": 3,
                                   "watchdog": 4, "soft_reset": 5}


@dataclass
class FakeXen:
    """Domains as (uuid, states...): each shutdown_state call takes the next state."""

    states: dict[int, list[str | None]]
    uuids: dict[int, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    next_domid: int = 10
    fail_create: bool = False

    def shutdown_state(self, domid: int) -> tuple[str, str | None]:
        queue = self.states.get(domid)
        if not queue or queue[0] == "gone":
            raise DomainNotFound(str(domid))
        state = queue.pop(0)
        return self.uuids.get(domid, f"uuid-{domid}"), state

    def destroy(self, domid: int) -> None:
        self.calls.append(f"destroy {domid}")
        self.states.pop(domid, None)

    def core_dump(self, domid: int, path: str) -> None:
        self.calls.append(f"dump {domid} {path}")

    def domain_config_json(self, domid: int) -> dict[str, object] | None:
        self.calls.append(f"retrieve {domid}")
        # libxl's stored config; its c_info.domid is not what the restart asks for
        return {**CONFIG, "c_info": {"name": "g1", "domid": domid}, "retrieved_from": domid}

    def create_from_json(self, config: dict[str, object], *,
                         soft_reset_of: int | None = None) -> int:
        self.calls.append(f"create from {config.get('retrieved_from')} soft={soft_reset_of}")
        assert config["c_info"] == {"name": "g1", "domid": 4294967295}  # create's own
        if self.fail_create:
            raise OperationError("cannot create domain g1 (libxl rc=-3)")
        domid = soft_reset_of if soft_reset_of is not None else self.next_domid
        self.states[domid] = [None, "gone"]  # runs, then vanishes
        self.next_domid += 1
        return domid

    def preserve(self, domid: int, config: dict[str, object]) -> None:
        self.calls.append(f"preserve {domid}")
        self.states.pop(domid, None)


def run_watch(xen: FakeXen, domid: int, config: dict[str, object]) -> list[str]:
    lines: list[str] = []
    monitor.RESTART_PAUSE = 0.0
    assert watch(xen, domid, config, lines.append, sleep=lambda s: None) == 0
    return lines


def test_poweroff_destroys_and_exits() -> None:
    xen = FakeXen({5: [None, None, "poweroff"]})
    lines = run_watch(xen, 5, CONFIG)
    assert xen.calls == ["destroy 5"]
    assert lines[1:] == ["Domain 5 has shut down, reason code 0 0x0",
                         "Action for shutdown reason code 0 is destroy",
                         "Domain 5 needs to be cleaned up: destroying the domain",
                         "Done. Exiting now"]
    assert lines[0].startswith("Waiting for domain g1 (domid 5) to die [pid ")


def test_reboot_restarts_from_the_stored_config_under_a_new_domid() -> None:
    xen = FakeXen({5: [None, "reboot"]})
    lines = run_watch(xen, 5, CONFIG)
    assert xen.calls == ["retrieve 5", "destroy 5", "create from 5 soft=None"]
    assert "Done. Rebooting now" in lines
    assert lines[-2].startswith("Waiting for domain g1 (domid 10) to die")
    assert lines[-1] == "Domain 10 has been destroyed."


def test_crash_dumps_core_then_restarts() -> None:
    xen = FakeXen({7: ["crash"]})
    run_watch(xen, 7, CONFIG)
    assert xen.calls == ["dump 7 /var/lib/xen/dump/g1", "retrieve 7", "destroy 7",
                         "create from 7 soft=None"]


def test_preserve_leaves_the_domain() -> None:
    xen = FakeXen({3: ["watchdog"]})
    lines = run_watch(xen, 3, CONFIG)
    assert xen.calls == [] and lines[-1] == "Done. Exiting now"


def test_rename_restart_preserves_the_old_and_starts_a_new_one() -> None:
    xen = FakeXen({3: ["reboot"]})
    run_watch(xen, 3, {**CONFIG, "on_reboot": "restart_rename"})
    assert xen.calls == ["retrieve 3", "preserve 3", "create from 3 soft=None"]


def test_soft_reset_keeps_the_domid() -> None:
    xen = FakeXen({4: ["soft_reset"]})
    run_watch(xen, 4, CONFIG)
    assert xen.calls == ["retrieve 4", "create from 4 soft=4"]


def test_suspend_ends_the_monitor_without_touching_the_domain() -> None:
    xen = FakeXen({4: ["suspend"]})
    lines = run_watch(xen, 4, CONFIG)
    assert xen.calls == [] and lines[-2:] == ["Domain has suspended.", "Done. Exiting now"]


def test_a_replaced_domain_counts_as_destroyed() -> None:
    xen = FakeXen({4: [None, None]})
    seen = iter(["uuid-a", "uuid-b"])

    def state(domid: int) -> tuple[str, str | None]:
        return next(seen), None

    xen.shutdown_state = state  # type: ignore[method-assign]
    assert run_watch(xen, 4, CONFIG)[-1] == "Domain 4 has been destroyed."


def test_failed_restart_is_logged_and_ends() -> None:
    xen = FakeXen({5: ["reboot"]}, fail_create=True)
    lines = run_watch(xen, 5, CONFIG)
    assert lines[-2:] == ["cannot restart the domain: cannot create domain g1 (libxl rc=-3)",
                          "Done. Exiting now"]


def test_log_path_and_spawned_process(tmp_path: object) -> None:
    """spawn() detaches a real process that reads the config from stdin; here it has no
    libxl (XL_PY_LIBXL names a missing library), so it fails in its log, not in ours."""
    import os
    from pathlib import Path

    env = {**os.environ, "XL_PY_LOG_DIR": str(tmp_path), "XL_PY_LIBXL": "libnope.so.0"}
    assert monitor.log_path("g1", env) == f"{tmp_path}/xl-py-g1.log"
    pid = monitor.spawn(5, CONFIG, env)
    assert os.getsid(pid) == pid  # it leads its own session (may still be starting)
    _, status = os.waitpid(pid, 0)  # our child until it exits; reaped here
    assert os.waitstatus_to_exitcode(status) == 1
    text = Path(f"{tmp_path}/xl-py-g1.log").read_text()
    assert "xl-py monitor of domain 5: cannot load libnope.so.0" in text


def test_monitor_main_reads_the_config_from_stdin() -> None:
    proc = subprocess.run([sys.executable, "-m", "xl_py.backends.monitor", "5"],
                          input=json.dumps(CONFIG).encode(), capture_output=True,
                          env={"XL_PY_LIBXL": "libnope.so.0", "PATH": "/usr/bin:/bin"},
                          timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("xl-py monitor of domain 5: cannot load libnope.so.0")
    assert proc.stderr.decode().count("\n") == 1
