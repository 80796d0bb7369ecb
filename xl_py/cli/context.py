"""Per-invocation state handed to every command: global flags and the streams."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from xl_py.cli.table import Command


class Context:
    """Global options (``-v``, ``-N``, ``-f``, ``-c URI``), the command being
    run, the environment and the output streams; every argument is optional
    (tests pass their own streams and environment)."""

    __slots__ = ("_backend", "command", "connect", "dryrun", "environ", "force", "stderr",
                 "stdout", "verbose")

    def __init__(self, verbose: int = 0, dryrun: bool = False, force: bool = False,
                 connect: str | None = None, command: Command | None = None,
                 environ: dict[str, str] | None = None, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.verbose = verbose
        self.dryrun = dryrun
        self.force = force
        self.connect = connect
        self.command = command
        self.environ: dict[str, str] = dict(os.environ) if environ is None else environ
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        # the backend opened by commands._runtime.backend(), kept for the run
        self._backend: Any = None

    def __repr__(self) -> str:
        return (f"Context(verbose={self.verbose}, dryrun={self.dryrun}, force={self.force}, "
                f"connect={self.connect!r}, command={self.command!r})")

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")

    @property
    def xl_conf_path(self) -> str:
        """xl's global config: ``XL_PY_CONF`` overrides /etc/xen/xl.conf."""
        return self.environ.get("XL_PY_CONF", "/etc/xen/xl.conf")
