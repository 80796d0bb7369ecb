"""``block-attach``, ``block-detach``, ``block-list``, ``cd-insert``, ``cd-eject``.

Disk specs are read by the settings layer exactly as xl reads them
(xl_py.settings.disk.parse_disk_multi, the libxlutil disk scanner); list
columns follow xl_block.c main_blocklist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xl_py.backends.base import DiskSpec
from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import DomainNotFound, OperationError

if TYPE_CHECKING:
    from xl_py.backends.base import DeviceInfo
    from xl_py.cli.context import Context
    from xl_py.cli.opts import Parsed

HEADER = (f"{'Vdev':<5} {'BE':<3} {'handle':<6} {'state':<5} {'evt-ch':<6} {'ring-ref':<8} "
          f"{'BE-path':<30}")


def disk_spec(specs: list[str]) -> DiskSpec:
    """xl's parse_disk_config_multistring, then the fields a backend needs."""
    from xl_py.settings.disk import parse_disk_multi

    disk = parse_disk_multi(tuple(specs))
    if not disk.vdev:
        raise OperationError("block-attach: the disk spec names no virtual device (vdev=)")
    backendtype = disk.backend.value if disk.backend.value != "unknown" else ""
    fmt = disk.format.value if disk.format.value != "unknown" else "raw"
    return DiskSpec(vdev=disk.vdev, target=disk.pdev_path or "", format=fmt,
                    backendtype=backendtype, readwrite=bool(disk.readwrite),
                    is_cdrom=bool(disk.is_cdrom), backend_domid=disk.backend_domid)


def block_row(dev: DeviceInfo) -> str:
    """``%-5d %-3d %-6d %-5d %-6d %-8d %-30s`` as xl prints it."""
    return (f"{dev.devid:<5d} {dev.backend_id:<3d} {dev.frontend_id:<6d} {dev.state:<5d} "
            f"{dev.evtch:<6d} {dev.rref:<8d} {dev.backend_path:<30}")


def dryrun_domain(ctx: Context, ident: str) -> None:
    """xl -N block-attach / network-attach still resolve the domain: a number is taken
    as it is (no backend needed), a name or UUID must exist."""
    if not (ident.isascii() and ident.isdigit()):
        find_domain(ctx, ident)


def _attach(ctx: Context, opts: Parsed) -> int:
    if ctx.dryrun:  # xl -N block-attach: the libxl_device_disk, nothing attached
        from xl_py.render.libxl_json import to_json
        from xl_py.settings.disk import parse_disk_multi

        dryrun_domain(ctx, opts.args[0])
        ctx.stdout.write("disk: " + to_json(parse_disk_multi(tuple(opts.args[1:]))) + "\n")
        return 0
    domid = find_domain(ctx, opts.args[0])
    spec = disk_spec(opts.args[1:])
    backend(ctx).attach_disk(domid, spec)
    return 0


def _detach(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    backend(ctx).detach_disk(domid, opts.args[1], force=opts.flag("force"))
    return 0


def _list(ctx: Context, opts: Parsed) -> int:
    be = backend(ctx)
    rows: list[str] = [HEADER]
    found: list[dict[str, object]] = []
    failed = False
    for ident in opts.args:
        try:
            domid = find_domain(ctx, ident)
        except DomainNotFound:
            ctx.err(f"{ident} is an invalid domain identifier")
            failed = True
            continue
        for dev in be.list_devices(domid, "vbd"):
            rows.append(block_row(dev))
            found.append({"domid": domid, **dev.to_json()})
    if opts.flag("json"):
        print_json(ctx, found)
    else:
        ctx.out("\n".join(rows))
    return 1 if failed else 0


def _cd_insert(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    backend(ctx).cd_insert(domid, opts.args[1], opts.args[2])
    return 0


def _cd_eject(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    backend(ctx).cd_eject(domid, opts.args[1])
    return 0


# command -> (options, handler, exact positional count or None, minimum)
HANDLERS: dict[str, tuple[tuple[Opt, ...], Callable[[Context, Parsed], int], int | None, int]] = {
    "block-attach": ((), _attach, None, 2),
    "block-detach": ((Opt("force", "f", "force"),), _detach, 2, 0),
    "block-list": ((JSON_OPT,), _list, None, 1),
    "cd-insert": ((), _cd_insert, 3, 0),
    "cd-eject": ((), _cd_eject, 2, 0),
}


def run(ctx: Context, argv: list[str]) -> int:
    table, handler, nargs, at_least = HANDLERS[ctx.command.name if ctx.command else ""]
    return handler(ctx, options(ctx, argv, table, nargs=nargs, at_least=at_least))
