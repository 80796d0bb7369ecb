"""``vcpu-list``, ``vcpu-set``, ``vcpu-pin`` (xl_vcpu.c)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xl_py.backends.base import NotSupported
from xl_py.cli.commands._runtime import (
    JSON_OPT,
    backend,
    find_domain,
    format_cpulist,
    options,
    parse_cpulist,
    print_json,
)
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.backends.base import Backend, VcpuInfo
    from xl_py.cli.context import Context
    from xl_py.cli.opts import Parsed

HEADER = (f"{'Name':<32} {'ID':>5} {'VCPU':>5} {'CPU':>5} {'State':>5} {'Time(s)':>9} "
          "Affinity (Hard / Soft)")


def _host_cpus(be: Backend) -> int | None:
    try:
        return be.physinfo().max_cpu_id + 1
    except NotSupported:
        return None


def vcpu_row(name: str, domid: int, v: VcpuInfo, nr_cpus: int | None) -> str:
    """xl's print_vcpuinfo: ``%-32s %5u %5u`` then cpu, state, time, affinities."""
    text = f"{name:<32} {domid:5d} {v.vcpuid:5d}"
    if not v.online:
        text += f"{'-':>5} {'-':>3}-p "
    else:
        cpu = f"{v.cpu:5d}" if v.cpu is not None else f"{'-':>5}"
        text += f"{cpu} {'r' if v.running else '-':>3}{'b' if v.blocked else '-'}- "
    text += f"{v.cpu_time_ns / 1e9:9.1f}  "
    return (text + format_cpulist(v.affinity, nr_cpus) + " / "
            + format_cpulist(v.soft_affinity, nr_cpus))


def _list(ctx: Context, opts: Parsed) -> int:
    be = backend(ctx)
    if opts.args:
        domids = [find_domain(ctx, a) for a in opts.args]
        infos = [be.domain_info(d) for d in domids]
    else:
        infos = list(be.list_domains())
    if opts.flag("json"):
        print_json(ctx, [{"domid": d.domid, "name": d.name,
                          "vcpus": [v.to_json() for v in be.list_vcpus(d.domid)]}
                         for d in infos])
        return 0
    nr_cpus = _host_cpus(be)
    lines = [HEADER]
    for d in infos:
        lines.extend(vcpu_row(d.name, d.domid, v, nr_cpus) for v in be.list_vcpus(d.domid))
    ctx.out("\n".join(lines))
    return 0


def _set(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    text = opts.args[1]
    if not (text.isascii() and text.isdigit()) or int(text) > 0x7FFFFFFF:
        raise UsageError(f"Error: Invalid argument {text} as the number of vCPUs.")
    count = int(text)
    be = backend(ctx)
    host = _host_cpus(be) if not opts.flag("ignore_host") else None
    if host is not None:
        online = be.domain_info(domid).vcpu_online
        if count > online and count > host:
            raise OperationError(
                f"You are overcommmitting! You have {host} physical CPUs and want {count} "
                "vCPUs! Aborting, use --ignore-host to continue")
    be.set_vcpus(domid, count)
    return 0


def _affinity(text: str, nr_cpus: int | None) -> tuple[int, ...] | None:
    """A cpu list for the backend; None for "-" (leave that affinity as it is)."""
    if text == "-":
        return None
    cpus = parse_cpulist(text, nr_cpus)
    if cpus is None:
        if nr_cpus is None:
            raise OperationError("cannot pin to 'all': the backend does not know the host's cpus")
        return tuple(range(nr_cpus))
    if not cpus:
        raise OperationError("vcpu hard affinity map is empty")
    return cpus


def _pin(ctx: Context, opts: Parsed) -> int:
    if len(opts.args) not in (3, 4):
        raise UsageError("'xl vcpu-pin' requires 3 or 4 arguments: "
                         "<Domain> <VCPU|all> <Hard affinity|-|all> [Soft affinity|-|all]")
    domid = find_domain(ctx, opts.args[0])
    which = opts.args[1]
    if which == "all":
        if opts.flag("force"):
            raise UsageError("Error: --force and 'all' as VCPU not allowed.")
        vcpu: int | None = None
    elif which.isascii() and which.isdigit():
        vcpu = int(which)
    else:
        raise UsageError(f"Error: Invalid argument {which} as VCPU.")
    be = backend(ctx)
    nr_cpus = _host_cpus(be)
    hard = _affinity(opts.args[2], nr_cpus)
    soft = _affinity(opts.args[3], nr_cpus) if len(opts.args) == 4 else None
    if vcpu is not None:
        known = {v.vcpuid for v in be.list_vcpus(domid)}
        if known and vcpu not in known:
            raise OperationError(f"domain {domid} has no vcpu {vcpu} (it has {len(known)})")
    be.pin_vcpu(domid, vcpu, hard, soft)
    return 0


HANDLERS: dict[str, tuple[tuple[Opt, ...], Callable[[Context, Parsed], int], int | None]] = {
    "vcpu-list": ((JSON_OPT,), _list, None),
    "vcpu-set": ((Opt("ignore_host", "i", "ignore-host"),), _set, 2),
    "vcpu-pin": ((Opt("force", "f", "force"),
                  Opt("ignore_masks", "", "ignore-global-affinity-masks")), _pin, None),
}


def run(ctx: Context, argv: list[str]) -> int:
    table, handler, nargs = HANDLERS[ctx.command.name if ctx.command else "vcpu-list"]
    return handler(ctx, options(ctx, argv, table, nargs=nargs))
