"""``migrate [-C cfg] [-s ssh] [-e] [-p] [-D] <Domain> <host>`` and ``migrate-receive``.

The wire protocol is xl's (xl_py.backends.migration): the remote end may be a
real ``xl migrate-receive`` (the default, as xl runs it) or ``xl-py
migrate-receive`` (set ``XL_PY_MIGRATE_REMOTE=xl-py``).  ``-s ""`` runs
<host> itself as the command, as xl does.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from typing import IO, TYPE_CHECKING

from xl_py.backends import migration
from xl_py.cli.commands._runtime import backend, find_domain, options, start_monitor
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError

if TYPE_CHECKING:
    from xl_py.backends.base import Backend
    from xl_py.cli.context import Context

SEND_OPTS = (Opt("config", "C", arg=True), Opt("ssh", "s", arg=True), Opt("no_wait", "e"),
             Opt("paused", "p"), Opt("preserve_domid", "D"), Opt("foreground", "F"),
             Opt("debug", "", "debug"), Opt("live", "", "live"))
RECV_OPTS = (Opt("no_wait", "e"), Opt("paused", "p"), Opt("debug", "d"), Opt("tty", "t"),
             Opt("timestamps", "T"), Opt("verbose", "v", repeat=False),
             Opt("colo", "", "colo"), Opt("remus", "r"))


def rune(ssh: str, host: str, remote: str, *, no_wait: bool, debug: bool, paused: bool) -> str:
    """The shell command xl runs to reach the receiver (main_migrate)."""
    if not ssh:
        return host
    return (f"exec {ssh} {shlex.quote(host)} {remote} migrate-receive"
            f"{' -e' if no_wait else ''}{' -d' if debug else ''}{' -p' if paused else ''}")


def _config_bytes(ctx: Context, domid: int, path: str | None,
                  preserve_domid: bool = False) -> bytes:
    """What xl's save_domain_core_begin sends: -C's config as parsed, else the
    domain's stored one with c_info.domid 0 (-D: its domid); NUL-terminated, as xl's
    receiver hands it to libxl_domain_config_from_json as a C string."""
    if path is not None:
        try:
            with open(path, "rb") as fh:
                text = fh.read()
        except OSError as exc:
            raise OperationError(f"Failed to read config file: {path}: {exc.strerror}") from exc
        return _config_from_xlcfg(text, path)
    config = backend(ctx).domain_config_json(domid)
    if not config:
        raise OperationError("No config file stored for running domain and none supplied - "
                             "cannot migrate.")
    return migration.saved_config(config, domid, preserve_domid=preserve_domid)


def _config_from_xlcfg(text: bytes, path: str) -> bytes:
    """An xl.cfg file -> libxl JSON through the config core (as xl's -C does)."""
    from xl_py import pipeline

    return pipeline.to_json(pipeline.build(text, path).config).encode() + b"\0"


def _send(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, SEND_OPTS, nargs=2)
    domid = find_domain(ctx, opts.args[0])
    be = backend(ctx)
    info = be.domain_info(domid)
    config = _config_bytes(ctx, domid, opts.value("config"), opts.flag("preserve_domid"))
    ssh = opts.value("ssh")
    command = rune("ssh" if ssh is None else ssh, opts.args[1],
                   ctx.environ.get("XL_PY_MIGRATE_REMOTE", "xl"),
                   no_wait=opts.flag("no_wait"), debug=opts.flag("debug"),
                   paused=opts.flag("paused"))
    proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=ctx.environ)
    assert proc.stdin is not None and proc.stdout is not None
    started = time.monotonic()
    try:
        migration.send(
            proc.stdout, proc.stdin, migration.SaveHeader(config=config),
            suspend=lambda: _suspend(ctx, domid, proc.stdin),  # type: ignore[arg-type]
            rename_away=lambda: be.rename(domid, f"{info.name}--migratedaway"),
            destroy=lambda: be.destroy(domid), resume=lambda: be.resume(domid),
            log=ctx.err, rune=command)
    finally:
        proc.stdin.close()
        proc.wait()
    ctx.err(f"migrate: {info.name} ({info.current_memkb >> 10} MiB) moved in "
            f"{time.monotonic() - started:.1f}s")
    return 0


def _suspend(ctx: Context, domid: int, stream: IO[bytes]) -> None:
    ctx.err(f"migration sender: streaming domain {domid}")
    backend(ctx).suspend_to_fd(domid, stream.fileno(), live=True)


def _receive(ctx: Context, argv: list[str]) -> int:
    """xl's migrate-receive: the domain arrives as '<name>--incoming', paused, and
    takes its name once the sender gives it up ("go")."""
    opts = options(ctx, argv, RECV_OPTS, nargs=0)
    be = backend(ctx)
    # unbuffered: libxl reads its stream from fd 0 right after the xl header, and
    # the GO message after libxl's stream; a buffered reader would swallow both
    policy = _domid_policy(ctx)
    with open(sys.stdin.fileno(), "rb", buffering=0, closefd=False) as inp:
        domid = _receive_on(be, inp, sys.stdout.buffer, ctx, paused=opts.flag("paused"),
                            domid_policy=policy)
    if not opts.flag("no_wait"):
        start_monitor(be, domid)
    return 0


def _domid_policy(ctx: Context) -> str:
    """xl.conf's domid_policy: migrate-receive creates the domain as create does."""
    from xl_py.cli.commands.create import load_xlconf

    xlconf, warnings = load_xlconf(ctx, None)
    for diag in warnings:
        ctx.err(diag.format())
    return xlconf.domid_policy


def _receive_on(be: Backend, inp: IO[bytes], out: IO[bytes], ctx: Context, *,
                paused: bool, domid_policy: str = "xen") -> int:
    names: dict[int, str] = {}

    def restore(header: migration.SaveHeader) -> int:
        config, name = migration.incoming_config(header.config)
        domid = be.restore_from_fd(inp.fileno(), config, paused=True,
                                   stream_version=header.stream_version,
                                   domid_policy=domid_policy)
        names[domid] = name
        return domid

    def start(domid: int) -> None:
        if names[domid]:
            be.rename(domid, names[domid])
        if not paused:
            be.unpause(domid)

    return migration.receive(inp, out, restore=restore, start=start, destroy=be.destroy,
                             log=ctx.err)


def run(ctx: Context, argv: list[str]) -> int:
    if ctx.command and ctx.command.name == "migrate-receive":
        return _receive(ctx, argv)
    return _send(ctx, argv)
