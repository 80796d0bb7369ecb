"""Differential test over configs written by others: libvirt's xl and xm test
data and Xen's shipped xl and xm examples (../shared/corpus, read-only, never
copied).  Many xm files are valid xl.cfg too; the Python-looking ones are
rejected by both.

For every file the real ``xl -N create`` accepts, xl-py must print the same
JSON (uuid normalised).  Files xl rejects must be rejected by xl-py too.
The reference is computed live; the test skips when the corpus or the
reference tools are absent.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from dryrun_support import REPO
from reference import xlref

CORPUS = REPO.parent / "shared" / "corpus"


def corpus_files() -> list[Path]:
    files = sorted((CORPUS / "libvirt-xl").glob("*.cfg"))
    files += sorted((CORPUS / "libvirt-xm").glob("*.cfg"))
    examples = CORPUS / "xen-examples"
    files += sorted(p for p in examples.rglob("*") if p.is_file()
                    and ("xlexample" in p.name or "xmexample" in p.name))
    return files


FILES = corpus_files()


def xl_py(path: Path) -> tuple[int, str, str]:
    from xl_py.cli.context import Context
    from xl_py.cli.main import run
    from xl_py.errors import XlPyError

    out, err = io.StringIO(), io.StringIO()
    env = dict(os.environ, XL_PY_CONF=os.devnull)
    ctx = Context(environ=env, stdout=out, stderr=err)
    try:
        rc = run(["-N", "create", "-q", str(path)], ctx)
    except XlPyError as exc:
        err.write("\n".join(d.format() for d in exc.diagnostics()))
        rc = exc.exit_code
    return rc, xlref.normalise_uuid(out.getvalue()), err.getvalue()


@pytest.mark.reference
@pytest.mark.skipif(not FILES, reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_agrees_with_xl(path: Path, reference: object) -> None:
    ref = xlref.xl_dryrun(path)
    rc, out, err = xl_py(path)
    if ref.rc == 0:
        assert rc == 0, f"xl accepts it, xl-py says:\n{err}"
        assert out == xlref.normalise_uuid(ref.stdout)
    else:
        assert rc != 0, f"xl rejects it ({ref.stderr.strip()}), xl-py accepts it"
