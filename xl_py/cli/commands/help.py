"""``xl-py help [command]``: the command list, or one command's usage."""

from __future__ import annotations

from xl_py.cli.context import Context
from xl_py.cli.table import COMMANDS, lookup
from xl_py.errors import UsageError


def run(ctx: Context, argv: list[str]) -> int:
    if argv:
        command = lookup(argv[0])
        if command is None:
            raise UsageError(f"command '{argv[0]}' not implemented")
        ctx.out(f"Usage: xl-py [-v] {command.name} {command.usage}")
        ctx.out()
        ctx.out(command.summary + ".")
        if command.options:
            ctx.out()
            ctx.out("Options:")
            ctx.out()
            ctx.out(command.options)
        return 0
    ctx.out("Usage xl-py [-vfNtT] [-c URI] <subcommand> [args]")
    ctx.out()
    ctx.out("xl-py full list of subcommands:")
    ctx.out()
    for command in COMMANDS:
        ctx.out(f" {command.name:<20}{command.summary}")
    return 0
