"""Shared helpers of the create -N differential tests and tools/regen-golden.py.

A case is ``tests/data/xl/**/NAME.cfg`` with, next to it:

* ``NAME.json``: the expected stdout of ``create -N`` (uuid normalised), or
* ``NAME.err``: the expected stderr of xl-py (the real xl must fail too);
* optionally ``NAME.args`` (extra ``create`` arguments, one a line, e.g.
  ``memory=512``) and ``NAME.xlconf`` (the xl.conf to use).

Both tools run in the case's folder with the bare file name, so messages
say ``NAME.cfg:LINE:COL``.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "xl"
sys.path.insert(0, str(REPO / "tests"))

from reference import xlref  # noqa: E402


@dataclass(frozen=True)
class Case:
    cfg: Path

    @property
    def rel(self) -> str:
        return str(self.cfg.relative_to(REPO))

    @property
    def id(self) -> str:
        return str(self.cfg.relative_to(DATA).with_suffix(""))

    def sibling(self, suffix: str) -> Path:
        return self.cfg.with_suffix(suffix)

    @property
    def args(self) -> list[str]:
        path = self.sibling(".args")
        if not path.exists():
            return []
        return [line for line in path.read_text().splitlines() if line.strip()]

    @property
    def xlconf(self) -> Path | None:
        path = self.sibling(".xlconf")
        return path if path.exists() else None


def cases() -> list[Case]:
    return [Case(p) for p in sorted(DATA.rglob("*.cfg"))]


@dataclass(frozen=True)
class Outcome:
    rc: int
    stdout: str
    stderr: str


def run_xl_py(case: Case) -> Outcome:
    """``xl-py -N create -q CFG ARGS`` in process, in the case's folder."""
    from xl_py.cli.context import Context
    from xl_py.cli.main import run
    from xl_py.errors import XlPyError

    out, err = io.StringIO(), io.StringIO()
    env = {k: v for k, v in os.environ.items() if k != "XL_PY_CONF"}
    conf = case.xlconf
    env["XL_PY_CONF"] = str(conf) if conf else os.devnull
    ctx = Context(environ=env, stdout=out, stderr=err)
    cwd = os.getcwd()
    os.chdir(case.cfg.parent)
    try:
        rc = run(["-N", "create", "-q", case.cfg.name, *case.args], ctx)
    except XlPyError as exc:
        for diag in exc.diagnostics():
            ctx.err(diag.format())
        rc = exc.exit_code
    finally:
        os.chdir(cwd)
    return Outcome(rc, xlref.normalise_uuid(out.getvalue()), err.getvalue())


def run_reference(case: Case) -> Outcome:
    result = xlref.xl_dryrun(case.cfg.name, *case.args, xl_conf=case.xlconf,
                             cwd=case.cfg.parent)
    return Outcome(result.rc, xlref.normalise_uuid(result.stdout), result.stderr)
