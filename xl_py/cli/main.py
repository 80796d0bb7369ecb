"""``xl-py [global options] <subcommand> [args]``: dispatch through the table.

Global options follow xl's (``-v`` verbose, ``-N`` dry run, ``-f`` force,
``-t`` timestamps, ``-T`` include timestamps) plus ``-c/--connect URI`` to pick
a backend (``libxl``, ``xen:///system``, ``xen+ssh://host/system``,
``test:///default``).  This module is the one place that turns
:class:`~xl_py.errors.XlPyError` into a message on stderr and an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module

from xl_py.cli.context import Context
from xl_py.cli.opts import Opt, parse
from xl_py.cli.table import candidates, lookup
from xl_py.errors import UsageError, XlPyError

INTERNAL_ERROR = 70  # EX_SOFTWARE

GLOBAL_OPTS = (
    Opt("verbose", "v", "verbose"),
    Opt("dryrun", "N", "dry-run"),
    Opt("force", "f", "force"),
    Opt("timestamps", "t"),
    Opt("timestamps_all", "T"),
    Opt("connect", "c", "connect", arg=True),
    Opt("help", "h", "help"),
    Opt("version", "V", "version"),
)


def _global_words(argv: Sequence[str]) -> int:
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
        if argv[i] in ("-c", "--connect"):
            i += 1
        i += 1
    return i


def run(argv: Sequence[str], ctx: Context | None = None) -> int:
    cut = _global_words(argv)
    glob = parse(argv[:cut], GLOBAL_OPTS)
    rest = list(argv[cut:])
    ctx = ctx or Context()
    ctx.verbose = glob.count("verbose")
    ctx.dryrun = glob.flag("dryrun")
    ctx.force = glob.flag("force")
    ctx.connect = glob.value("connect") or ctx.connect
    if glob.flag("version"):
        from xl_py import __version__

        ctx.out(f"xl-py {__version__}")
        return 0
    if not rest or glob.flag("help"):
        return _dispatch(ctx, "help", rest[:1] if glob.flag("help") else [])
    return _dispatch(ctx, rest[0], rest[1:])


def _dispatch(ctx: Context, name: str, args: list[str]) -> int:
    command = lookup(name)
    if command is None:
        options = candidates(name)
        if options:
            raise UsageError(f"command '{name}' is ambiguous: {', '.join(options)}")
        raise UsageError(f"command '{name}' not implemented")
    if ctx.dryrun and not command.dryrun:
        raise UsageError(f"command '{command.name}' does not implement -N (dryrun) option")
    ctx.command = command
    module = import_module(f"xl_py.cli.commands.{command.module}")
    code: int = module.run(ctx, args)
    return code


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    ctx = Context()
    try:
        code = run(args, ctx)
    except XlPyError as exc:
        for diag in exc.diagnostics():
            ctx.err(diag.format())
        code = exc.exit_code
    except KeyboardInterrupt:
        ctx.err("interrupted")
        code = 130
    except BrokenPipeError:
        code = 1
    except MemoryError:
        ctx.err("xl-py: out of memory")
        code = 1
    except Exception as exc:  # a bug in xl-py: one line, the traceback on request
        if ctx.environ.get("XL_PY_DEBUG"):
            raise
        ctx.err(f"xl-py: internal error: {type(exc).__name__}: {exc}")
        ctx.err("  (set XL_PY_DEBUG=1 for the traceback, and please report it)")
        code = INTERNAL_ERROR
    sys.exit(code)


if __name__ == "__main__":
    main()
