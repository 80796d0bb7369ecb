"""Run xl-py commands in-process through one Context (one backend connection)."""

from __future__ import annotations

import io

from xl_py.cli.context import Context
from xl_py.cli.main import run
from xl_py.errors import XlPyError


class Session:
    """``session("list", "-l")`` -> (exit code, stdout, stderr), as the CLI prints
    them (typed errors formatted as main() does)."""

    def __init__(self, uri: str = "test:///default") -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.ctx = Context(connect=uri, stdout=self.out, stderr=self.err, environ={})

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        for stream in (self.out, self.err):
            stream.seek(0)
            stream.truncate()
        try:
            code = run(list(argv), self.ctx)
        except XlPyError as exc:
            self.err.write("\n".join(d.format() for d in exc.diagnostics()) + "\n")
            code = exc.exit_code
        return code, self.out.getvalue(), self.err.getvalue()
