"""One-domain control commands: destroy, pause, unpause, domid, domname, rename.

A table maps each command to its positional count and its handler
(xl_vmcontrol.c / xl_info.c main_destroy, main_pause, main_domid...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, find_domain, options, print_json
from xl_py.cli.opts import Opt
from xl_py.errors import DomainNotFound, OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context
    from xl_py.cli.opts import Parsed


def _destroy(ctx: Context, opts: Parsed) -> int:
    domid = find_domain(ctx, opts.args[0])
    if domid == 0 and not (opts.flag("force") or ctx.force):
        raise OperationError("Not destroying domain 0; use -f to force.")
    backend(ctx).destroy(domid)
    return 0


def _pause(ctx: Context, opts: Parsed) -> int:
    backend(ctx).pause(find_domain(ctx, opts.args[0]))
    return 0


def _unpause(ctx: Context, opts: Parsed) -> int:
    backend(ctx).unpause(find_domain(ctx, opts.args[0]))
    return 0


def _domid(ctx: Context, opts: Parsed) -> int:
    name = opts.args[0]
    try:
        domid = find_domain(ctx, name)
    except DomainNotFound:
        raise OperationError(f"Can't get domid of domain name '{name}', "
                             "maybe this domain does not exist.") from None
    if opts.flag("json"):
        print_json(ctx, {"name": name, "domid": domid})
    else:
        ctx.out(str(domid))
    return 0


def _domname(ctx: Context, opts: Parsed) -> int:
    text = opts.args[0]
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"Invalid domain id '{text}': domname takes a numeric domain id")
    try:
        info = backend(ctx).domain_info(find_domain(ctx, text))
    except DomainNotFound:
        raise OperationError(f"Can't get domain name of domain id '{int(text)}', "
                             "maybe this domain does not exist.") from None
    if opts.flag("json"):
        print_json(ctx, {"domid": info.domid, "name": info.name})
    else:
        ctx.out(info.name)
    return 0


def _rename(ctx: Context, opts: Parsed) -> int:
    backend(ctx).rename(find_domain(ctx, opts.args[0]), opts.args[1])
    return 0


# command -> (positional count, options, handler)
HANDLERS: dict[str, tuple[int, tuple[Opt, ...], Callable[[Context, Parsed], int]]] = {
    "destroy": (1, (Opt("force", "f"),), _destroy),
    "pause": (1, (), _pause),
    "unpause": (1, (), _unpause),
    "domid": (1, (JSON_OPT,), _domid),
    "domname": (1, (JSON_OPT,), _domname),
    "rename": (2, (), _rename),
}


def run(ctx: Context, argv: list[str]) -> int:
    name = ctx.command.name if ctx.command else ""
    nargs, table, handler = HANDLERS[name]
    return handler(ctx, options(ctx, argv, table, nargs=nargs))
