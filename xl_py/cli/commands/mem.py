"""``mem-set`` / ``mem-max <Domain> <size>`` (xl_mem.c): sizes as parse_mem_size_kb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import backend, find_domain, options, parse_mem_size_kb

if TYPE_CHECKING:
    from xl_py.cli.context import Context


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (), nargs=2)
    domid = find_domain(ctx, opts.args[0])
    memkb = parse_mem_size_kb(opts.args[1])
    be = backend(ctx)
    if ctx.command and ctx.command.name == "mem-max":
        be.set_memory_max(domid, memkb)
    else:
        be.set_memory_target(domid, memkb)
    return 0
