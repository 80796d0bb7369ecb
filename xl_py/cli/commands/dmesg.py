"""``xl-py dmesg [-c]``: the hypervisor's console ring (xl_info.c main_dmesg)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import backend, options
from xl_py.cli.opts import Opt

if TYPE_CHECKING:
    from xl_py.cli.context import Context


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (Opt("clear", "c", "clear"),), nargs=0)
    ctx.stdout.write(backend(ctx).dmesg(opts.flag("clear")))
    return 0
