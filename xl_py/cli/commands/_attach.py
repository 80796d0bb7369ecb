"""What ``create`` / ``restore`` do after the domain is up with ``-V`` / ``-A`` / ``-c``
(xl_vmcontrol.c autoconnect_vncviewer, autoconnect_console).

``-V``: a child process waits a second and runs ``vncviewer`` on the domain's
display (``-A``: the password on its stdin); ``-c``: this process becomes the
console (``pv`` for PV/PVH guests, ``serial`` for HVM, as libxl_console_exec
picks for an unspecified type).  Both come after the monitor is started, so
leaving the console never leaves the domain unwatched.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xl_py.backends.base import Backend
    from xl_py.cli.context import Context

VNC_DELAY = 1  # seconds xl's vncviewer child sleeps before it connects


def console_kind(be: Backend, domid: int) -> str:
    return "serial" if be.domain_info(domid).domain_type == "hvm" else "pv"


def spawn_vncviewer(ctx: Context, be: Backend, domid: int, autopass: bool) -> int:
    """The vncviewer child: its own session, so it outlives this command; its pid."""
    host, port, password = be.vnc_address(domid)
    argv = ["vncviewer", f"{host}:{port - 5900}"]
    data = b""
    if autopass and password:
        argv.append("-autopass")
        data = password.encode() + b"\n"
    script = f"sleep {VNC_DELAY}; exec \"$@\""
    proc = subprocess.Popen(["/bin/sh", "-c", script, "vncviewer", *argv],
                            stdin=subprocess.PIPE, env=ctx.environ, start_new_session=True)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.close()
    proc.returncode = 0  # detached on purpose
    return proc.pid


def attach(ctx: Context, be: Backend, domid: int, *, console: bool, vnc: bool,
           autopass: bool) -> int:
    """Run the -V child, then become the -c console; the exit status otherwise."""
    if vnc:
        spawn_vncviewer(ctx, be, domid, autopass)
    if console:
        from xl_py.cli.commands.console import console_argv

        argv = console_argv(ctx, domid, console_kind(be, domid), 0)
        ctx.stdout.flush()
        ctx.stderr.flush()
        try:
            os.execvpe(argv[0], argv, ctx.environ)
        except OSError as exc:
            from xl_py.errors import OperationError

            raise OperationError(f"Unable to execute {argv[0]}: {exc.strerror}") from exc
    return 0


def after_start(ctx: Context, be: Backend, domid: int, *, monitor: bool, foreground: bool,
                console: bool, vnc: bool, autopass: bool) -> int:
    """What create and restore do once the domain is up: the monitor (none with -e;
    with -F and no -c it runs here until the domain is gone, after -V's child), then
    -V's vncviewer child and -c's console."""
    from xl_py.cli.commands._runtime import start_monitor

    if monitor and foreground and not console:
        attach(ctx, be, domid, console=False, vnc=vnc, autopass=autopass)
        start_monitor(be, domid, foreground=True)
        return 0
    if monitor:
        start_monitor(be, domid)
    return attach(ctx, be, domid, console=console, vnc=vnc, autopass=autopass)
