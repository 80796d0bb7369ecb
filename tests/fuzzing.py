"""How hard the hypothesis tests search.

CI (``XL_PY_HYPOTHESIS=ci``, set by ``.ci/run``) runs a derandomized search: the
same examples on every run, so a red CI always means a change broke something.
Local runs search randomly and keep a database of failures; ``XL_PY_FUZZ_SCALE=N``
multiplies every test's example count for a long hunt.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("XL_PY_HYPOTHESIS", "dev"))

SCALE = max(1, int(os.environ.get("XL_PY_FUZZ_SCALE", "1") or "1"))


def examples(count: int) -> int:
    """``count`` examples, times XL_PY_FUZZ_SCALE."""
    return count * SCALE
