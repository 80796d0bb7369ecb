"""``xl-py list [-l] [-v] [-Z] [-n] [--json] [Domain]`` (xl_info.c main_list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt

if TYPE_CHECKING:
    from xl_py.backends.base import Backend, DomainInfo
    from xl_py.cli.context import Context

OPTS = (
    Opt("long", "l", "long"),
    Opt("verbose", "v", "verbose"),
    Opt("context", "Z", "context"),
    Opt("cpupool", "c", "cpupool"),
    Opt("numa", "n", "numa"),
    JSON_OPT,
)

HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"


def header(verbose: bool, context: bool, cpupool: bool, numa: bool) -> str:
    text = HEADER
    if verbose:
        text += "   UUID                            Reason-Code\tSecurity Label"
    if context and not verbose:
        text += "   Security Label"
    if cpupool:
        text += "         Cpupool"
    if numa:
        text += " NODE Affinity"
    return text


def row(d: DomainInfo, verbose: bool, context: bool, cpupool: bool, numa: bool,
        pools: dict[int, str] | None = None) -> str:
    """One line, in xl's printf format ``%-40s %5d %5lu %5d     %c...  %8.1f``."""
    mem = (d.current_memkb + d.outstanding_memkb) // 1024
    text = (f"{d.name:<40} {d.domid:5d} {mem:5d} {d.vcpu_online:5d}     {d.state}  "
            f"{d.cpu_time_ns / 1e9:8.1f}")
    if verbose:
        text += f" {d.uuid}"
        text += f" {d.shutdown_reason or 0:8x}" if d.shutdown else f" {'-':>8}"
    if verbose or context:
        text += f" {d.ssid_label or '-':>16}"
    if cpupool:
        text += f"{(pools or {}).get(d.cpupool, 'Pool-0'):>16}"  # libxl_cpupoolid_to_name
    if numa:
        from xl_py.cli.commands._runtime import format_cpulist

        text += " " + format_cpulist(d.node_affinity)
    return text


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, OPTS)
    if len(opts.args) > 1:
        from xl_py.errors import UsageError

        raise UsageError("'xl list' takes at most one domain")
    be = backend(ctx)
    if opts.args:
        domains: tuple[DomainInfo, ...] = (be.domain_info(find_domain(ctx, opts.args[0])),)
    else:
        domains = be.list_domains()
    if opts.flag("long"):
        # xl skips a domain whose configuration libxl cannot retrieve
        configs = [(d.domid, be.domain_config_json(d.domid)) for d in domains]
        print_json(ctx, [{"domid": domid, "config": config} for domid, config in configs
                         if config is not None])
        return 0
    if opts.flag("json"):
        print_json(ctx, [d.to_json() for d in domains])
        return 0
    flags = (opts.flag("verbose"), opts.flag("context"), opts.flag("cpupool"),
             opts.flag("numa"))
    pools = _pool_names(be) if opts.flag("cpupool") else None
    lines = [header(*flags), *(row(d, *flags, pools) for d in domains)]
    ctx.out("\n".join(lines))
    return 0


def _pool_names(be: Backend) -> dict[int, str]:
    """cpupool id -> name for ``-c`` (a backend without cpupools: all in Pool-0)."""
    from xl_py.backends.base import NotSupported

    try:
        return {p.poolid: p.name for p in be.cpupools()}
    except NotSupported:
        return {}
