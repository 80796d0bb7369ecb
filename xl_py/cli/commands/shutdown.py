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
    if opts.flag("wait"):
        _wait(ctx, be, uuids, reboot)
    return 0


def _gone_or_restarted(be: Backend, domid: int, uuid: str) -> bool:
    try:
        info = be.domain_info(domid)
    except DomainNotFound:
        return True
    return info.uuid != uuid or info.dying or (info.shutdown and not info.running)


def _wait(ctx: Context, be: Backend, uuids: dict[int, str], reboot: bool) -> None:
    """Poll until every domain is gone (xl waits for the death event the same way)."""
    pending = set(uuids)
    deadline = time.monotonic() + WAIT_TIMEOUT
    ctx.err(f"Waiting for {len(pending)} domains")
    while pending:
        for domid in sorted(pending):
            if _gone_or_restarted(be, domid, uuids[domid]):
                pending.discard(domid)
                ctx.err(f"Domain {domid} has been {'rebooted' if reboot else 'shut down'}, "
                        f"still waiting for {len(pending)} domains")
        if pending and time.monotonic() > deadline:
            raise OperationError(f"domains {sorted(pending)} still running after "
                                 f"{WAIT_TIMEOUT:.0f}s")
        if pending:
            time.sleep(0.2)
    ctx.err("All domains have been " + ("rebooted" if reboot else "shut down"))
