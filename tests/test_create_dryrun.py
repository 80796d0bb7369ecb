"""Differential runner: every tests/data/xl/**/*.cfg through xl-py create -N,
against its golden file, and the golden file against the real xl -N create.

NAME.json: xl-py's stdout must equal it byte for byte (uuid normalised), and
the reference xl must print the same (so golden files cannot rot).
NAME.err: xl-py must fail with exactly that stderr; the reference must fail.
Regenerate .json files with ``tools/regen-golden.py``.
"""

from __future__ import annotations

import pytest
from dryrun_support import Case, cases, run_reference, run_xl_py

CASES = cases()
GOLDEN = [c for c in CASES if c.sibling(".json").exists() or c.sibling(".err").exists()]


def test_every_case_has_an_expectation() -> None:
    missing = [c.id for c in CASES if c not in GOLDEN]
    assert not missing, f"cases without NAME.json or NAME.err: {missing}"


def test_enough_domain_cases() -> None:
    domain = [c for c in GOLDEN if c.id.startswith("domain/")]
    assert len(domain) >= 120


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c.id)
def test_xl_py_matches_golden(case: Case) -> None:
    got = run_xl_py(case)
    json_path, err_path = case.sibling(".json"), case.sibling(".err")
    if json_path.exists():
        assert got.stderr == "" or got.rc == 0, got.stderr
        assert got.rc == 0, got.stderr
        assert got.stdout == json_path.read_text()
    else:
        assert got.rc != 0, f"xl-py accepted it:\n{got.stdout}"
        assert got.stdout == ""
        assert got.stderr == err_path.read_text()


@pytest.mark.reference
@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c.id)
def test_reference_agrees(case: Case, reference: object) -> None:
    ref = run_reference(case)
    json_path = case.sibling(".json")
    if json_path.exists():
        assert ref.rc == 0, ref.stderr
        assert ref.stdout == json_path.read_text()
    else:
        assert ref.rc != 0, f"the real xl accepts {case.id}; xl-py must not reject it"
