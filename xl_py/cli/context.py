"""Per-invocation state handed to every command: global flags and the streams."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from xl_py.cli.table import Command


@dataclass
class Context:
    verbose: int = 0
    dryrun: bool = False
    force: bool = False
    connect: str | None = None
    command: Command | None = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")

    @property
    def xl_conf_path(self) -> str:
        """xl's global config: ``XL_PY_CONF`` overrides /etc/xen/xl.conf."""
        return self.environ.get("XL_PY_CONF", "/etc/xen/xl.conf")
