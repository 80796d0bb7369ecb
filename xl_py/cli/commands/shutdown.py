"""``shutdown`` / ``reboot [-a] [-w] [-F] <Domain>`` (xl_vmcontrol.c main_shutdown_or_reboot)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import backend, find_domain, options
from xl_py.cli.opts import Opt
from xl_py.errors import DomainNotFound, OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.backends.base import Backend
    from xl_py.cli.context import Context

OPTS = (Opt("all", "a", "all"), Opt("wait", "w", "wait"), Opt("fallback", "F"))
WAIT_TIMEOUT = 600.0  # seconds; xl waits forever, xl-py gives up after ten minutes
RECHECK = 5.0  # seconds between looks when no event comes (a safety net for the watch)


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, OPTS)
    reboot = ctx.command is not None and ctx.command.name == "reboot"
    be = backend(ctx)
    if opts.flag("all"):
        if opts.args:
            raise UsageError("-a takes no domain")
        domids = [d.domid for d in be.list_domains() if d.domid != 0]
    elif len(opts.args) == 1:
        domids = [find_domain(ctx, opts.args[0])]
    else:
        raise UsageError("You must specify -a or a domain id.")
    uuids = {d: be.domain_info(d).uuid for d in domids}
    word = "Rebooting" if reboot else "Shutting down"
    for domid in domids:
        ctx.err(f"{word} domain {domid}")
        be.shutdown(domid, reboot=reboot, fallback=opts.flag("fallback"))
    if opts.count("wait"):
        _wait(ctx, be, uuids, shutdown_counts=opts.count("wait") == 1)
    return 0


def _event(be: Backend, domid: int, uuid: str) -> tuple[str, int] | None:
    """What libxl's domain death watch would report now: ("destroyed", 0),
    ("shutdown", reason code) or None while the domain runs."""
    try:
        info = be.domain_info(domid)
    except DomainNotFound:
        return ("destroyed", 0)
    if info.uuid != uuid:
        return ("destroyed", 0)
    if info.shutdown and info.shutdown_reason is not None:
        return ("shutdown", info.shutdown_reason)
    return None


def _wait(ctx: Context, be: Backend, uuids: dict[int, str], shutdown_counts: bool) -> None:
    """xl's wait_for_domain_deaths: -w returns once each domain has shut down (or is
    gone), -ww only once each is destroyed.  Between looks it sleeps on the backend's
    domain watch (libxl / xenstore: xenstored's @releaseDomain, as libxl's death
    events do), looking again at least every RECHECK seconds."""
    pending = set(uuids)
    reported: set[int] = set()
    deadline = time.monotonic() + WAIT_TIMEOUT
    ctx.err(f"Waiting for {len(pending)} domains")
    watch = be.watch_domains()  # set before the first look: no change is missed
    try:
        while True:
            _look(ctx, be, uuids, pending, reported, shutdown_counts)
            left = deadline - time.monotonic()
            if not pending:
                return
            if left <= 0:
                raise OperationError(f"domains {sorted(pending)} still running after "
                                     f"{WAIT_TIMEOUT:.0f}s")
            watch.wait(min(left, RECHECK))
    finally:
        watch.close()


def _look(ctx: Context, be: Backend, uuids: dict[int, str], pending: set[int],
          reported: set[int], shutdown_counts: bool) -> None:
    for domid in sorted(pending):
        event = _event(be, domid, uuids[domid])
        if event is None:
            continue
        kind, code = event
        if kind == "destroyed":
            ctx.err(f"Domain {domid} has been destroyed")
            pending.discard(domid)
        elif domid not in reported:
            reported.add(domid)
            ctx.err(f"Domain {domid} has been shut down, reason code {code}")
            if shutdown_counts:
                pending.discard(domid)
            else:
                ctx.err(f"Domain {domid} continue waiting for death")
