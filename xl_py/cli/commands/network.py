"""``network-attach``, ``network-detach``, ``network-list`` (xl_nic.c).

network-attach takes xl's ``key=value`` vif words; a MAC not given is drawn
from 00:16:3e the way libxl draws it and checked against every MAC on the host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xl_py.backends.base import NicSpec
from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError

if TYPE_CHECKING:
    from xl_py.backends.base import DeviceInfo
    from xl_py.cli.context import Context
    from xl_py.cli.opts import Parsed

HEADER = (f"{'Idx':<3} {'BE':<2} {'Mac Addr.':<17} {'handle':<6} {'state':<5} {'evt-ch':<6} "
          f"{'tx-':>5}/{'rx-ring-ref':<5} {'BE-path':<30}")

# vif word -> NicSpec field (xl's parse_nic_config keys that attach honours)
VIF_KEYS = {
    "mac": "mac", "bridge": "bridge", "ip": "ip", "script": "script", "backend": "backend",
    "vifname": "vifname", "model": "model", "rate": "rate", "devid": "devid", "type": "type",
}


def nic_spec(words: list[str]) -> NicSpec:
    fields: dict[str, object] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key not in VIF_KEYS:
            raise OperationError(f"unrecognized argument '{word}' (expected one of "
                                 f"{', '.join(k + '=' for k in VIF_KEYS)})")
        fields[key] = value
    if "mac" in fields:
        from xl_py.backends.macs import validate_mac

        fields["mac"] = validate_mac(str(fields["mac"]))
    if "rate" in fields:
        from xl_py.settings.rate import parse_rate

        # xl's rules (positioned errors); libxl holds (bytes per interval, interval)
        fields["rate_bytes_per_interval"], fields["rate_interval_usecs"] = parse_rate(
            str(fields.pop("rate")))
    backend_dom = str(fields.pop("backend", "0"))
    if not backend_dom.isdigit():
        raise OperationError(f"backend domain must be a domid, not '{backend_dom}'")
    fields.pop("type", None)
    devid = fields.pop("devid", None)
    if devid is not None and not str(devid).isdigit():
        raise OperationError(f"invalid devid '{devid}'")
    return NicSpec(backend_domid=int(backend_dom),
                   devid=int(str(devid)) if devid is not None else None,
                   **{k: v if isinstance(v, int) else str(v)  # type: ignore[arg-type]
                      for k, v in fields.items()})


def nic_row(dev: DeviceInfo) -> str:
    """``%-3d %-2d MAC %6d %5d %6d %5d/%-11d %-30s`` as xl prints it."""
    return (f"{dev.devid:<3d} {dev.backend_id:<2d} {dev.mac:<17}"
            f"{dev.devid:6d} {dev.state:5d} {dev.evtch:6d} {dev.rref_tx:5d}/{dev.rref_rx:<11d} "
            f"{dev.backend_path:<30}")


def dryrun_nic(ctx: Context, words: list[str]) -> str:
    """xl -N network-attach: the libxl_device_nic of xl.conf's vif.default.* values
    and the words (parse_nic_config), as libxl's JSON."""
    from xl_py.cli.commands.create import load_xlconf
    from xl_py.render.libxl_json import to_json
    from xl_py.settings.vif import parse_vif

    conf, warnings = load_xlconf(ctx, None)
    for diag in warnings:
        ctx.err(diag.format())
    base = {"script": conf.default_vifscript, "bridge": conf.default_bridge,
            "gatewaydev": conf.default_gatewaydev, "backend_domname": conf.default_vifbackend}
    return to_json(parse_vif(",".join(words), None, {k: v for k, v in base.items() if v}))


def _attach(ctx: Context, opts: Parsed) -> int:
    if ctx.dryrun:
        from xl_py.cli.commands.block import dryrun_domain

        dryrun_domain(ctx, opts.args[0])
        ctx.stdout.write("vif: " + dryrun_nic(ctx, opts.args[1:]) + "\n")
        return 0
    domid = find_domain(ctx, opts.args[0])
    spec = nic_spec(opts.args[1:])
    mac = backend(ctx).attach_nic(domid, spec)
    if ctx.verbose:
        ctx.err(f"attached vif with MAC {mac} to domain {domid}")
    return 0


def _detach(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    backend(ctx).detach_nic(domid, opts.args[1])
    return 0


def _list(ctx: Context, opts: Parsed) -> int:
    be = backend(ctx)
    rows = [HEADER]
    found: list[dict[str, object]] = []
    for ident in opts.args:
        domid = find_domain(ctx, ident)
        for dev in be.list_devices(domid, "vif"):
            rows.append(nic_row(dev))
            found.append({"domid": domid, **dev.to_json()})
    if opts.flag("json"):
        print_json(ctx, found)
    else:
        ctx.out("\n".join(rows))
    return 0


HANDLERS: dict[str, tuple[tuple[Opt, ...], Callable[[Context, Parsed], int], int | None, int]] = {
    "network-attach": ((), _attach, None, 1),
    "network-detach": ((), _detach, 2, 0),
    "network-list": ((JSON_OPT,), _list, None, 1),
}


def run(ctx: Context, argv: list[str]) -> int:
    table, handler, nargs, at_least = HANDLERS[ctx.command.name if ctx.command else ""]
    return handler(ctx, options(ctx, argv, table, nargs=nargs, at_least=at_least))
