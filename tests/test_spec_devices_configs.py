"""The device differential configs (tests/data/xl/devices): xl_py's output
against the stored expectation, and the stored expectation against the
reference ``xl -N create`` when it can run.

NAME.json: what ``xl -N create`` prints (uuid normalised); NAME.err: the full
error text xl_py gives (xl rejects these too).  Regenerate with
tests/data/xl/devices/regenerate.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xl_py.errors import ConfigError
from xl_py.pipeline import build, to_json

HERE = Path(__file__).resolve().parent / "data" / "xl" / "devices"
CONFIGS = sorted(HERE.glob("*.cfg"))


def _ours(path: Path) -> str:
    return to_json(build(path.read_text(), path.name).config)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_device_config(path: Path) -> None:
    from reference.xlref import normalise_uuid

    expected_json = path.with_suffix(".json")
    expected_err = path.with_suffix(".err")
    if expected_json.exists():
        assert normalise_uuid(_ours(path)).rstrip("\n") == \
            expected_json.read_text().rstrip("\n")
    else:
        assert expected_err.exists(), f"{path.name}: no .json or .err expectation"
        with pytest.raises(ConfigError) as info:
            _ours(path)
        assert str(info.value) + "\n" == expected_err.read_text()


@pytest.mark.reference
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_device_config_reference(reference, path: Path) -> None:
    result = reference.xl_dryrun(path)
    expected_json = path.with_suffix(".json")
    if expected_json.exists():
        assert result.rc == 0, result.stderr
        assert reference.normalise_uuid(result.stdout).rstrip("\n") == \
            expected_json.read_text().rstrip("\n")
    else:
        assert result.rc != 0, "xl accepts a config xl_py rejects"


def test_enough_cases() -> None:
    assert len(CONFIGS) >= 150
