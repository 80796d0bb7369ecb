"""The process xl-py leaves behind a created domain (xl's daemonized create).

xl's create forks a child (``xl-<name>``) that waits for the domain's death
event and carries out the config's ``on_poweroff`` / ``on_reboot`` /
``on_crash`` / ``on_watchdog`` / ``on_soft_reset`` action
(xl_vmcontrol.c, handle_domain_death): ``destroy``; ``restart`` (destroy, then
create again from the domain's stored configuration: a new domid);
``preserve`` (leave it); ``coredump-destroy`` / ``coredump-restart`` (dump
the core to /var/lib/xen/dump/<name> first); ``soft-reset``.  A suspend
(save, migrate) ends the monitor; so does the domain's disappearance.

xl-py does the same in a fresh interpreter (``python -m
xl_py.backends.monitor DOMID``, its own session, stdio on a log file), which
reads the domain's libxl JSON config from stdin and then reads the domain's
shutdown state through libxl_domain_info each time xenstored fires
``@releaseDomain`` (the watch behind libxl's domain death events; a look every
RECHECK_SECONDS as a safety net).  :func:`decide` is the decision
table, a pure function; :func:`watch` the loop, over a small
:class:`Supervisor` protocol so that it is tested without a hypervisor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from xl_py._record import Record
from xl_py.errors import DomainNotFound, XlPyError

if TYPE_CHECKING:
    from xl_py.backends.base import DomainWatch
    from xl_py.backends.libxl import LibxlBackend

#: libxl_shutdown_reason -> the config key naming its action (idl order = reason code)
REASONS: tuple[tuple[str, str | None], ...] = (
    ("poweroff", "on_poweroff"), ("reboot", "on_reboot"), ("suspend", None),
    ("crash", "on_crash"), ("watchdog", "on_watchdog"), ("soft_reset", "on_soft_reset"))
REASON_CODE = {name: code for code, (name, _) in enumerate(REASONS)}
#: xl's defaults when the config leaves an action out (xl_parse.c)
DEFAULT_ACTIONS = {"on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "destroy",
                   "on_watchdog": "destroy", "on_soft_reset": "soft_reset"}
DUMP_DIR = "/var/lib/xen/dump"
LOG_DIR = "/var/log/xen"
POLL_SECONDS = 0.5  # between looks without events
RECHECK_SECONDS = 30.0  # between looks with the @releaseDomain watch (a safety net)
RESTART_PAUSE = 2.0  # xl sleeps 2 s before re-creating ("re-creation fails sometimes")


class Decision(Record):
    """What the monitor does for one shutdown."""

    action: str  # the libxl action name, "" for a suspend
    dump: bool = False  # core dump first
    destroy: bool = False  # destroy the shut-down domain
    restart: str | None = None  # None, "normal", "rename" or "soft_reset"

    @property
    def exits(self) -> bool:
        return self.restart is None


#: action (libxl JSON spelling) -> what is done; one row per libxl_action_on_shutdown
ACTION_TABLE: dict[str, Decision] = {
    "destroy": Decision("destroy", destroy=True),
    "restart": Decision("restart", destroy=True, restart="normal"),
    "restart_rename": Decision("restart_rename", restart="rename"),
    "preserve": Decision("preserve"),
    "coredump_destroy": Decision("coredump_destroy", dump=True, destroy=True),
    "coredump_restart": Decision("coredump_restart", dump=True, destroy=True,
                                 restart="normal"),
    "soft_reset": Decision("soft_reset", restart="soft_reset"),
}


#: libxl JSON spelling -> the name xl logs (xl_parse.c action_on_shutdown_names)
XL_ACTION_NAME = {"destroy": "destroy", "restart": "restart", "restart_rename": "rename-restart",
                  "preserve": "preserve", "coredump_destroy": "coredump-destroy",
                  "coredump_restart": "coredump-restart", "soft_reset": "soft-reset"}


def decide(reason: str | None, config: Mapping[str, object]) -> Decision:
    """handle_domain_death's table: the shutdown reason and the config's on_* keys.
    An unknown reason destroys the domain, as xl does."""
    key = dict(REASONS).get(reason or "", "unknown")
    if key is None:  # suspend: "Domain has suspended."
        return Decision("")
    if key == "unknown":
        return ACTION_TABLE["destroy"]
    action = str(config.get(key) or DEFAULT_ACTIONS[key])  # libxl JSON spelling
    return ACTION_TABLE.get(action, ACTION_TABLE["destroy"])


class Supervisor(Protocol):
    """What the monitor needs from a backend (the libxl backend offers it)."""

    def shutdown_state(self, domid: int) -> tuple[str, str | None]:
        """(uuid, shutdown reason or None while it runs); DomainNotFound when gone."""
    def destroy(self, domid: int) -> None: ...
    def core_dump(self, domid: int, path: str) -> None: ...
    def domain_config_json(self, domid: int) -> dict[str, object] | None: ...
    def create_from_json(self, config: dict[str, object], *, soft_reset_of: int | None = None
                         ) -> int: ...
    def preserve(self, domid: int, config: dict[str, object]) -> None: ...


Log = Callable[[str], None]


def watch(sup: Supervisor, domid: int, config: dict[str, object], log: Log, *,
          sleep: Callable[[float], None] = time.sleep, poll: float = POLL_SECONDS,
          waiter: DomainWatch | None = None) -> int:
    """The monitor's loop (xl's create after daemonizing); returns the exit status.
    With a ``waiter`` (the backend's @releaseDomain watch) it sleeps until an
    event or ``poll`` seconds; without one it looks every ``poll`` seconds."""
    name = _name(config)
    pause: Callable[[float], object] = waiter.wait if waiter is not None else sleep
    while True:
        log(f"Waiting for domain {name} (domid {domid}) to die [pid {os.getpid()}]")
        try:
            uuid, reason = sup.shutdown_state(domid)
            while reason is None:
                pause(poll)
                now, reason = sup.shutdown_state(domid)
                if now != uuid:
                    raise DomainNotFound(str(domid))
        except DomainNotFound:
            log(f"Domain {domid} has been destroyed.")
            return 0
        code = REASON_CODE.get(reason, -1)
        log(f"Domain {domid} has shut down, reason code {code} 0x{code & 0xffffffff:x}")
        decision = decide(reason, config)
        next_domid = _carry_out(sup, domid, config, decision, log, code)
        if next_domid is None:
            log("Done. Exiting now")
            return 0
        domid = next_domid


def _carry_out(sup: Supervisor, domid: int, config: dict[str, object], decision: Decision,
               log: Log, code: int = -1) -> int | None:
    if not decision.action:
        log("Domain has suspended.")
        return None
    log(f"Action for shutdown reason code {code} is {XL_ACTION_NAME[decision.action]}")
    if decision.dump:
        path = f"{DUMP_DIR}/{_name(config)}"
        log(f"dumping core to {path}")
        try:
            sup.core_dump(domid, path)
        except XlPyError as exc:
            log(f"core dump failed ({exc}).")
    if decision.restart is not None:
        config = _reload(sup, domid, config, log)
    if decision.restart == "rename":
        sup.preserve(domid, config)
    if decision.destroy:
        log(f"Domain {domid} needs to be cleaned up: destroying the domain")
        sup.destroy(domid)
    if decision.restart is None:
        return None
    log("Done. Rebooting now")
    if decision.restart != "soft_reset":
        time.sleep(RESTART_PAUSE)
    soft = domid if decision.restart == "soft_reset" else None
    try:
        return sup.create_from_json(config, soft_reset_of=soft)
    except XlPyError as exc:
        log(f"cannot restart the domain: {exc}")
        return None


def _reload(sup: Supervisor, domid: int, config: dict[str, object],
            log: Log) -> dict[str, object]:
    """reload_domain_config: the domain's stored configuration, else the old one."""
    fresh = sup.domain_config_json(domid)
    if not fresh:
        log("failed to retrieve guest configuration. reusing old configuration")
        return config
    # the domid create asked for (xl.conf's domid_policy, or the config's own)
    old, new = config.get("c_info"), fresh.get("c_info")
    if isinstance(old, dict) and isinstance(new, dict) and "domid" in old:
        fresh = {**fresh, "c_info": {**new, "domid": old["domid"]}}
    return fresh


def _name(config: Mapping[str, object]) -> str:
    c_info = config.get("c_info")
    return str(c_info.get("name", "")) if isinstance(c_info, dict) else ""


# -- the process -------------------------------------------------------------------------
def log_path(name: str, environ: Mapping[str, str]) -> str:
    """xl writes /var/log/xen/xl-<name>.log; xl-py's monitor /var/log/xen/xl-py-<name>.log."""
    directory = environ.get("XL_PY_LOG_DIR", LOG_DIR)
    return os.path.join(directory, f"xl-py-{name}.log")


def spawn(domid: int, config: Mapping[str, object], environ: Mapping[str, str]) -> int:
    """Start the monitor of ``domid`` in its own session; returns its pid."""
    path = log_path(_name(config), environ)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "ab") as logfile:
        proc = subprocess.Popen(
            [sys.executable, "-m", "xl_py.backends.monitor", str(domid)],
            stdin=subprocess.PIPE, stdout=logfile, stderr=logfile, env=dict(environ),
            start_new_session=True, close_fds=True, cwd="/")
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(config).encode())
    proc.stdin.close()
    proc.returncode = 0  # detached on purpose: no ResourceWarning for a live child
    return proc.pid


def _stamp(message: str) -> None:
    print(time.strftime("%Y-%m-%d %H:%M:%S ") + message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    domid = int(args[0])
    config = json.loads(sys.stdin.buffer.read() or b"{}")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    from xl_py.backends.libxl import LibxlBackend

    try:
        backend = LibxlBackend()
    except XlPyError as exc:
        print(f"xl-py monitor of domain {domid}: {exc}", file=sys.stderr, flush=True)
        return 1
    waiter = _waiter(backend)
    try:
        if waiter is None:
            return watch(backend, domid, config, _stamp)
        return watch(backend, domid, config, _stamp, waiter=waiter, poll=RECHECK_SECONDS)
    finally:
        if waiter is not None:
            waiter.close()
        backend.close()


def _waiter(backend: LibxlBackend) -> DomainWatch | None:
    """The @releaseDomain watch; polling when it cannot be set (logged)."""
    try:
        return backend.watch_domains()
    except XlPyError as exc:
        _stamp(f"no domain watch ({exc}): looking every {POLL_SECONDS}s")
        return None


if __name__ == "__main__":
    sys.exit(main())
