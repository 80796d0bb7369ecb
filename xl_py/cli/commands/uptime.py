"""``xl-py uptime [-s] [Domain...]`` (xl_info.c main_uptime)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError

if TYPE_CHECKING:
    from xl_py.backends.base import DomainInfo
    from xl_py.cli.context import Context


def uptime_to_string(seconds: int, short: bool) -> str:
    """xl's uptime_to_string: ``N days, HH:MM[:SS]``."""
    day, rest = divmod(max(0, seconds), 86400)
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    days = f"{day} days, " if day > 1 else ("1 day, " if day == 1 else "")
    clock = f"{hour:2d}:{minute:02d}" + ("" if short else f":{sec:02d}")
    return days + clock


def dom0_uptime() -> int:
    try:
        with open("/proc/uptime", encoding="ascii") as fh:
            return int(float(fh.read().split()[0]))
    except (OSError, ValueError, IndexError) as exc:
        raise OperationError("Can not get Dom0 uptime.") from exc


def seconds_up(d: DomainInfo, now: float) -> int | None:
    if d.domid == 0:
        return dom0_uptime()
    if d.start_time is None:
        return None
    return int(now) - int(d.start_time)  # libxl_vm_get_start_time: whole seconds


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (Opt("short", "s"), JSON_OPT))
    be = backend(ctx)
    if opts.args:
        doms = [be.domain_info(find_domain(ctx, a)) for a in opts.args]
    else:
        doms = sorted(be.list_domains(), key=lambda d: d.domid)
    now = time.time()
    ups = [(d, seconds_up(d, now)) for d in doms]
    if opts.flag("json"):
        print_json(ctx, [{"name": d.name, "domid": d.domid, "uptime": s} for d, s in ups])
        return 0
    short = opts.flag("short")
    lines = [] if short else [f"{'Name':<33} {'ID':>4} Uptime"]
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    for d, s in ups:
        if s is None:
            continue  # libxl_vm_get_start_time failed: xl skips the domain
        text = uptime_to_string(s, short)
        lines.append(f" {clock} up {text}, {d.name} ({d.domid})" if short
                     else f"{d.name:<33} {d.domid:4d} {text}")
    ctx.out("\n".join(lines))
    return 0
