"""``save [-c] [-p] [-D] <Domain> <File> [<ConfigFile>]`` and
``restore [-p] [-e] [-F] [-c] [-V] [-A] [<ConfigFile>] <File>`` (xl_saverestore.c).

save -D stores the domid in the image's config, so that restore recreates the
domain under it; otherwise restore takes xl.conf's domid_policy, as create does.
A <ConfigFile> replaces the configuration (save: the one stored in the image;
restore: the one read from it).

Progress goes to stderr: what is being done, then the size written or read
and the time it took (xl prints libxl's progress the same way).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from xl_py.cli.commands._attach import after_start
from xl_py.cli.commands._runtime import (
    backend,
    find_domain,
    options,
    progress_printer,
)
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context
    from xl_py.settings.xlconf import XlConf

SAVE_OPTS = (Opt("checkpoint", "c"), Opt("paused", "p"), Opt("preserve_domid", "D"))
RESTORE_OPTS = (Opt("paused", "p"), Opt("no_wait", "e"), Opt("debug", "d"),
                Opt("console", "c"), Opt("foreground", "F"),
                Opt("vncviewer", "V", "vncviewer"), Opt("autopass", "A", "vncviewer-autopass"))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _xlconf(ctx: Context) -> XlConf:
    """xl.conf (xl reads it for every command; restore honours its domid_policy)."""
    from xl_py.cli.commands.create import load_xlconf

    xlconf, conf_warnings = load_xlconf(ctx, None)
    for diag in conf_warnings:
        ctx.err(diag.format())
    return xlconf


def _config_json(ctx: Context, path: str, xlconf: XlConf) -> dict[str, object]:
    """A replacement config file (save / restore <ConfigFile>) as libxl JSON, read
    the way create reads one (xl's parse_config_data)."""
    import json

    from xl_py import pipeline
    from xl_py.cli.commands.create import read_config

    built = pipeline.build(read_config(path), path, xlconf=xlconf)
    for diag in built.warnings:
        ctx.err(diag.format())
    data: dict[str, object] = json.loads(pipeline.to_json(built.config))
    return data


def _save(ctx: Context, argv: list[str]) -> int:
    """xl's main_save: -c and -p both keep the domain (-p paused); -D stores its domid."""
    opts = options(ctx, argv, SAVE_OPTS)
    if len(opts.args) not in (2, 3):
        raise UsageError("'xl save' requires <Domain> <CheckpointFile> [<ConfigFile>]")
    domid = find_domain(ctx, opts.args[0])
    path = opts.args[1]
    config = _config_json(ctx, opts.args[2], _xlconf(ctx)) if len(opts.args) == 3 else None
    be = backend(ctx)
    started = time.monotonic()
    be.save(domid, path, checkpoint=opts.flag("checkpoint"), progress=progress_printer(ctx),
            preserve_domid=opts.flag("preserve_domid"), leave_paused=opts.flag("paused"),
            config=config)
    ctx.err(f"Saved domain {domid} to {path}: {_size(path) >> 20} MiB in "
            f"{time.monotonic() - started:.1f}s")
    return 0


def _restore(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, RESTORE_OPTS)
    if len(opts.args) not in (1, 2):
        raise UsageError("'xl restore' requires [<ConfigFile>] <CheckpointFile>")
    path = opts.args[-1]
    if not os.path.exists(path):
        raise OperationError(f"Can't open restore file: {path}: No such file or directory")
    xlconf = _xlconf(ctx)
    config = _config_json(ctx, opts.args[0], xlconf) if len(opts.args) == 2 else None
    started = time.monotonic()
    ctx.err(f"Loading new save file {path} ({_size(path) >> 20} MiB)")
    be = backend(ctx)
    domid = be.restore(path, paused=opts.flag("paused"), progress=progress_printer(ctx),
                       domid_policy=xlconf.domid_policy, config=config)
    ctx.err(f"Restored domain {domid} from {path} in {time.monotonic() - started:.1f}s")
    return after_start(ctx, be, domid, monitor=not opts.flag("no_wait"),
                       foreground=opts.flag("foreground"), console=opts.flag("console"),
                       vnc=opts.flag("vncviewer") or opts.flag("autopass"),
                       autopass=opts.flag("autopass"))


def run(ctx: Context, argv: list[str]) -> int:
    if ctx.command and ctx.command.name == "restore":
        return _restore(ctx, argv)
    return _save(ctx, argv)
