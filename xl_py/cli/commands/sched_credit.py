"""``sched-credit [-d Domain [-w W] [-c C]] [--json]`` (xl_sched.c, credit scheduler)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context

OPTS = (Opt("domain", "d", "domain", arg=True), Opt("weight", "w", "weight", arg=True),
        Opt("cap", "c", "cap", arg=True), Opt("schedparam", "s", "schedparam"),
        Opt("tslice", "t", "tslice_ms", arg=True), Opt("ratelimit", "r", "ratelimit_us", arg=True),
        Opt("migration_delay", "m", "migration_delay_us", arg=True),
        Opt("cpupool", "p", "cpupool", arg=True), JSON_OPT)


def _number(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 10)
    except ValueError:
        raise UsageError(f"sched-credit: {what} must be an integer, not '{text}'") from None


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, OPTS, nargs=0)
    if opts.flag("schedparam") or opts.value("tslice") or opts.value("ratelimit"):
        raise OperationError("sched-credit: the scheduler-wide parameters (-s, -t, -r, -m) are "
                             "not supported by xl-py yet")
    weight, cap = _number(opts.value("weight"), "weight"), _number(opts.value("cap"), "cap")
    be = backend(ctx)
    ident = opts.value("domain")
    if ident is None and (weight is not None or cap is not None):
        raise UsageError("Must specify a domain.")
    if ident is not None and (weight is not None or cap is not None):
        be.set_sched_credit(find_domain(ctx, ident), weight, cap)
        return 0
    domains = ([be.domain_info(find_domain(ctx, ident))] if ident is not None
               else list(be.list_domains()))
    rows = [(d, *be.sched_credit(d.domid)) for d in domains]
    if opts.flag("json"):
        print_json(ctx, [{"name": d.name, "domid": d.domid, "weight": w, "cap": c}
                         for d, w, c in rows])
        return 0
    lines = [f"{'Name':<33} {'ID':>4} {'Weight':>6} {'Cap':>4}"]
    lines += [f"{d.name:<33} {d.domid:4d} {w:6d} {c:4d}" for d, w, c in rows]
    ctx.out("\n".join(lines))
    return 0
