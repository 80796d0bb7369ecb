"""``console [-t pv|serial|vuart] [-n N] <Domain>`` and ``vncviewer [--autopass] <Domain>``.

Like xl, both replace this process: ``console`` with xenconsole (libxl_console_exec;
``XL_PY_XENCONSOLE`` overrides its path) or, on a libvirt backend, ``virsh console``;
``vncviewer`` with ``vncviewer host:display`` (libxl_vncviewer_exec).
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import backend, find_domain, options
from xl_py.cli.opts import Opt
from xl_py.errors import OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context

CONSOLE_TYPES = ("pv", "serial", "vuart")
XENCONSOLE_DIRS = ("/usr/lib/xen-4.17/bin", "/usr/lib/xen/bin", "/usr/libexec/xen/bin")


def xenconsole_path(environ: dict[str, str]) -> str:
    if environ.get("XL_PY_XENCONSOLE"):
        return environ["XL_PY_XENCONSOLE"]
    for d in XENCONSOLE_DIRS:
        path = os.path.join(d, "xenconsole")
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("xenconsole")
    if found:
        return found
    raise OperationError("xenconsole not found (install xen-utils-4.17 or set XL_PY_XENCONSOLE)")


def console_argv(ctx: Context, domid: int, kind: str, num: int) -> list[str]:
    be = backend(ctx)
    if be.name == "libvirt":
        name = be.domain_info(domid).name
        dev = ["--devname", f"serial{num}"] if kind == "serial" else []
        return ["virsh", "-c", str(ctx.connect), "console", name, *dev]
    if be.name == "xenstore":
        be.console_tty(domid, kind, num)  # fail early, clearly, if there is none
    return [xenconsole_path(ctx.environ), str(domid), "--num", str(num), "--type", kind]


def _exec(ctx: Context, argv: list[str]) -> int:
    ctx.stdout.flush()
    try:
        os.execvpe(argv[0], argv, ctx.environ)
    except OSError as exc:
        raise OperationError(f"Unable to execute {argv[0]}: {exc.strerror}") from exc
    return 1  # not reached


def _console(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (Opt("type", "t", arg=True), Opt("num", "n", arg=True)),
                   nargs=1)
    kind = opts.value("type") or "pv"
    if kind not in CONSOLE_TYPES:
        raise UsageError(f"console type supported are: {', '.join(CONSOLE_TYPES)}")
    num_text = opts.value("num") or "0"
    if not num_text.isdigit():
        raise UsageError(f"invalid console number '{num_text}'")
    domid = find_domain(ctx, opts.args[0])
    return _exec(ctx, console_argv(ctx, domid, kind, int(num_text)))


def _vncviewer(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (Opt("autopass", "a", "autopass"),
                                  Opt("autopass", "", "vncviewer-autopass")), nargs=1)
    domid = find_domain(ctx, opts.args[0])
    host, port, password = backend(ctx).vnc_address(domid)
    viewer = ["vncviewer", f"{host}:{port - 5900}"]
    if opts.flag("autopass") and password:
        viewer.append("-autopass")
        read, write = os.pipe()
        os.write(write, password.encode() + b"\n")
        os.close(write)
        os.dup2(read, 0)
    return _exec(ctx, viewer)


def run(ctx: Context, argv: list[str]) -> int:
    if ctx.command and ctx.command.name == "vncviewer":
        return _vncviewer(ctx, argv)
    return _console(ctx, argv)
