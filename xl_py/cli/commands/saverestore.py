"""``save [-c] [-p] [-D] <Domain> <File> [<ConfigFile>]`` and ``restore [-p] [Config] <File>``.

Progress goes to stderr: what is being done, then the size written or read
and the time it took (xl prints libxl's progress the same way).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import (
    backend,
    find_domain,
    options,
    progress_printer,
    start_monitor,
)
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context

SAVE_OPTS = (Opt("checkpoint", "c"), Opt("paused", "p"), Opt("preserve_domid", "D"))
RESTORE_OPTS = (Opt("paused", "p"), Opt("no_wait", "e"), Opt("debug", "d"),
                Opt("vncviewer", "V", "vncviewer"), Opt("autopass", "A", "vncviewer-autopass"))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _save(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, SAVE_OPTS)
    if len(opts.args) not in (2, 3):
        raise UsageError("'xl save' requires <Domain> <CheckpointFile> [<ConfigFile>]")
    if opts.flag("checkpoint") and opts.flag("paused"):
        raise UsageError("Cannot have both -c and -p options")
    if len(opts.args) == 3:
        raise OperationError("save: a replacement <ConfigFile> is not supported by xl-py yet; "
                             "the domain's own configuration is saved")
    domid = find_domain(ctx, opts.args[0])
    path = opts.args[1]
    be = backend(ctx)
    started = time.monotonic()
    be.save(domid, path, checkpoint=opts.flag("checkpoint"), progress=progress_printer(ctx))
    if opts.flag("paused"):
        be.pause(domid)
    ctx.err(f"Saved domain {domid} to {path}: {_size(path) >> 20} MiB in "
            f"{time.monotonic() - started:.1f}s")
    return 0


def _restore(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, RESTORE_OPTS)
    if len(opts.args) == 2:
        raise OperationError("restore: a replacement <ConfigFile> is not supported by xl-py "
                             "yet; the configuration stored in the save file is used")
    if len(opts.args) != 1:
        raise UsageError("'xl restore' requires [<ConfigFile>] <CheckpointFile>")
    path = opts.args[0]
    if not os.path.exists(path):
        raise OperationError(f"Can't open restore file: {path}: No such file or directory")
    started = time.monotonic()
    ctx.err(f"Loading new save file {path} ({_size(path) >> 20} MiB)")
    be = backend(ctx)
    domid = be.restore(path, paused=opts.flag("paused"), progress=progress_printer(ctx))
    ctx.err(f"Restored domain {domid} from {path} in {time.monotonic() - started:.1f}s")
    if not opts.flag("no_wait"):
        start_monitor(be, domid)
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    if ctx.command and ctx.command.name == "restore":
        return _restore(ctx, argv)
    return _save(ctx, argv)
