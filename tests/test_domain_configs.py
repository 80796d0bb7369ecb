"""configs/xl/*.cfg, our shipped examples: each builds without a warning and,
when the reference is available, gives exactly the real xl -N create's JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from dryrun_support import REPO
from reference import xlref

CONFIGS = sorted((REPO / "configs" / "xl").glob("*.cfg"))


def test_the_four_kinds_are_there() -> None:
    assert {p.stem for p in CONFIGS} >= {"pv", "pvh", "hvm", "devices"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_builds_cleanly(path: Path) -> None:
    from xl_py import pipeline

    built = pipeline.build(path.read_text(), path.name, uuid="00000000-0000-4000-8000-000000000000")
    assert built.warnings == ()
    assert pipeline.to_json(built.config).startswith("{\n")


@pytest.mark.reference
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_matches_xl(path: Path, reference: object) -> None:
    from xl_py import pipeline

    ref = xlref.xl_dryrun(path)
    assert ref.rc == 0, ref.stderr
    built = pipeline.build(path.read_text(), path.name)
    assert xlref.normalise_uuid(pipeline.to_json(built.config)) == \
        xlref.normalise_uuid(ref.stdout)
