from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzzing  # noqa: F401  (hypothesis profile: ci or dev)
from reference import xlref


@pytest.fixture(scope="session")
def reference() -> object:
    """The reference Xen tools; skips the test with the reason when unavailable."""
    reason = xlref.unavailable()
    if reason:
        pytest.skip(reason)
    return xlref
