"""``sched-credit`` / ``sched-credit2``: get and set credit(2) scheduler parameters.

xl 4.17's main_sched_credit / main_sched_credit2 (tools/xl/xl_sched.c):

* no ``-d``: for each cpupool run by this scheduler (``-p``: only that one), the
  pool's parameters line, the column header, then its domains;
* ``-d DOM``: the header and the domain's row; with ``-w`` / ``-c``: set them
  (libxl_domain_sched_params_set with the scheduler named);
* ``-s``: the pool's scheduler-wide parameters (pool 0, or ``-p``); with
  ``-t`` / ``-r`` / ``-m`` (credit2: ``-r``): set them.

A domain run by another scheduler is xl's "libxl_domain_sched_params_get
returned credit2 not credit." (exit 1).  Backends without cpupools (libvirt)
list their domains under one header; the xenstore backend cannot do any of it.
Unlike xl (strtol), a number that is not one is refused rather than read as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xl_py._record import Record
from xl_py.backends.base import NotSupported, SchedParams
from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.backends.base import Backend, CpupoolInfo, DomainInfo
    from xl_py.cli.context import Context
    from xl_py.cli.opts import Parsed

HEADER = f"{'Name':<33} {'ID':>4} {'Weight':>6} {'Cap':>4}"


class PoolParam(Record):
    """One scheduler-wide parameter: option, libxl JSON field."""

    option: str
    field: str


class Scheduler(Record):
    """What differs between sched-credit and sched-credit2."""

    sched: str  # libxl_scheduler's JSON spelling
    opts: tuple[Opt, ...]
    params: tuple[PoolParam, ...]
    pool_line: Callable[[dict[str, int]], str]
    pool_clash: str  # the message for -p (credit: or -s) with domain options
    needs_s: bool  # -t/-r/-m without -s is an error (credit); ignored (credit2)


_COMMON = (Opt("domain", "d", "domain", arg=True), Opt("weight", "w", "weight", arg=True),
           Opt("cap", "c", "cap", arg=True), Opt("schedparam", "s", "schedparam"),
           Opt("cpupool", "p", "cpupool", arg=True), JSON_OPT)

SCHEDULERS: dict[str, Scheduler] = {
    "sched-credit": Scheduler(
        "credit",
        (*_COMMON, Opt("tslice", "t", "tslice_ms", arg=True),
         Opt("ratelimit", "r", "ratelimit_us", arg=True),
         Opt("migration_delay", "m", "migration_delay_us", arg=True)),
        (PoolParam("tslice", "tslice_ms"), PoolParam("ratelimit", "ratelimit_us"),
         PoolParam("migration_delay", "vcpu_migr_delay_us")),
        lambda p: (f"tslice={p.get('tslice_ms', 0)}ms ratelimit={p.get('ratelimit_us', 0)}us "
                   f"migration-delay={p.get('vcpu_migr_delay_us', 0)}us"),
        "Specifying a cpupool or schedparam is not allowed with domain options.",
        needs_s=True),
    "sched-credit2": Scheduler(
        "credit2",
        (*_COMMON, Opt("ratelimit", "r", "ratelimit_us", arg=True)),
        (PoolParam("ratelimit", "ratelimit_us"),),
        lambda p: f"ratelimit={p.get('ratelimit_us', 0)}us",
        "Specifying a cpupool is not allowed with other options.",
        needs_s=False),
}


def _number(opts: Parsed, name: str) -> int | None:
    text = opts.value(name)
    if text is None:
        return None
    try:
        return int(text, 10)
    except ValueError:
        raise UsageError(f"{name} must be an integer, not '{text}'") from None


def _check(s: Scheduler, opts: Parsed, domain_opts: bool, pool_values: dict[str, int]) -> None:
    """xl's option rules, in xl's order."""
    pool_or_s = opts.value("cpupool") is not None or (s.needs_s and opts.flag("schedparam"))
    if pool_or_s and (opts.value("domain") is not None or domain_opts):
        raise OperationError(s.pool_clash)
    if opts.value("domain") is None and domain_opts:
        raise OperationError("Must specify a domain.")
    if s.needs_s and not opts.flag("schedparam") and pool_values:
        raise OperationError("Must specify schedparam to set schedule parameter values.")


def _pool_id(pools: tuple[CpupoolInfo, ...], text: str | None) -> int:
    """libxl_cpupool_qualifier_to_cpupoolid + libxl_cpupoolid_is_valid."""
    if text is None:
        return 0
    for pool in pools:
        if (text.isascii() and text.isdigit() and pool.poolid == int(text)) or \
                pool.name == text:
            return pool.poolid
    raise OperationError(f"unknown cpupool '{text}'")


def _pool_line(be: Backend, s: Scheduler, pool: CpupoolInfo) -> str:
    try:
        values = be.pool_sched_params(pool.poolid, s.sched)
    except OperationError:
        return f"Cpupool {pool.name}: [sched params unavailable]"
    return f"Cpupool {pool.name}: {s.pool_line(values)}"


def _row(ctx: Context, be: Backend, s: Scheduler, info: DomainInfo) -> dict[str, object]:
    """One domain's parameters; another scheduler is xl's sched_domain_get error
    (a backend that cannot name the scheduler, libvirt, is taken at its word)."""
    params = be.domain_sched_params(info.domid)
    if params.sched and params.sched != s.sched:
        raise OperationError(f"libxl_domain_sched_params_get returned {params.sched} "
                             f"not {s.sched}.")
    return {"name": info.name, "domid": info.domid, "weight": params.weight,
            "cap": params.cap}


def _line(row: dict[str, object]) -> str:
    return f"{row['name']!s:<33} {row['domid']:4d} {row['weight']:6d} {row['cap']:4d}"


def _show_domain(ctx: Context, be: Backend, s: Scheduler, ident: str, as_json: bool) -> int:
    info = be.domain_info(find_domain(ctx, ident))
    try:
        row = _row(ctx, be, s, info)
    except OperationError:
        if not as_json:
            ctx.out(HEADER)  # xl prints the header before it asks
        raise
    if as_json:
        print_json(ctx, [row])
    else:
        ctx.out(HEADER + "\n" + _line(row))
    return 0


def _list(ctx: Context, be: Backend, s: Scheduler, pool_text: str | None, as_json: bool) -> int:
    """sched_domain_output: pool by pool; a row that fails stops the listing, and
    (as in xl) the exit status stays 0.  A backend that cannot read scheduler
    parameters at all fails before anything is printed."""
    try:
        pools: tuple[CpupoolInfo, ...] | None = be.cpupools()
    except NotSupported:
        pools = None
    domains = be.list_domains()
    if pools is None:  # one anonymous pool holding every domain
        groups: list[tuple[str | None, tuple[DomainInfo, ...]]] = [(None, domains)]
    else:
        wanted = _pool_id(pools, pool_text) if pool_text is not None else None
        groups = [(_pool_line(be, s, p), tuple(d for d in domains if d.cpupool == p.poolid))
                  for p in pools if p.sched == s.sched and wanted in (None, p.poolid)]
    lines: list[str] = []
    rows: list[dict[str, object]] = []
    failed: OperationError | None = None
    try:
        for line, members in groups:
            lines += ([line] if line is not None else []) + [HEADER]
            for d in members:
                rows.append(_row(ctx, be, s, d))
                lines.append(_line(rows[-1]))
    except OperationError as exc:
        failed = exc
    if as_json:
        print_json(ctx, rows)
    elif lines:
        ctx.out("\n".join(lines))
    for diag in failed.diagnostics() if failed else ():
        ctx.err(diag.format())
    return 0


def _schedparam(ctx: Context, be: Backend, s: Scheduler, opts: Parsed,
                values: dict[str, int]) -> int:
    pools = be.cpupools()
    poolid = _pool_id(pools, opts.value("cpupool"))
    if values:
        be.set_pool_sched_params(poolid, s.sched, values)
        return 0
    pool = next(p for p in pools if p.poolid == poolid)
    if opts.flag("json"):
        try:
            print_json(ctx, {"cpupool": pool.name,
                             **be.pool_sched_params(poolid, s.sched)})
        except OperationError:
            print_json(ctx, {"cpupool": pool.name})
        return 0
    ctx.out(_pool_line(be, s, pool))
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    s = SCHEDULERS[ctx.command.name if ctx.command else "sched-credit"]
    opts = options(ctx, argv, s.opts, nargs=0)
    weight, cap = _number(opts, "weight"), _number(opts, "cap")
    values = {p.field: v for p in s.params if (v := _number(opts, p.option)) is not None}
    _check(s, opts, weight is not None or cap is not None, values)
    be = backend(ctx)
    ident = opts.value("domain")
    if opts.flag("schedparam"):
        return _schedparam(ctx, be, s, opts, values)
    if ident is None:
        return _list(ctx, be, s, opts.value("cpupool"), opts.flag("json"))
    if weight is None and cap is None:
        return _show_domain(ctx, be, s, ident, opts.flag("json"))
    domid = find_domain(ctx, ident)
    params = SchedParams(s.sched, -1 if weight is None else weight, -1 if cap is None else cap)
    be.set_domain_sched_params(domid, params)
    return 0
