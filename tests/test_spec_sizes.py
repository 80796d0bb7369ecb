"""Memory sizes (parse_mem_size_kb): spellings and every error message."""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigValueError
from xl_py.settings.sizes import parse_mem_size_kb

SAME = {
    524288: ["512", "512m", "512M", "524288k", "524288K", "536870912b"],
    1048576: ["1g", "1G", "1024", "1024m"],
    1073741824: ["1t", "1T", "1024g"],
    0: ["0", "0k", "1023b"],
}


@pytest.mark.parametrize(("expected", "text"),
                         [(kb, t) for kb, texts in SAME.items() for t in texts])
def test_sizes(expected: int, text: str) -> None:
    assert parse_mem_size_kb(text) == expected


BAD = {"12x": "is not a memory size", "1gb": "is not a memory size",
       "1.5g": "is not a memory size", "g1": "is not a memory size",
       "": "has no number", "m": "has no number", "k": "has no number"}


@pytest.mark.parametrize(("text", "problem"), BAD.items())
def test_bad_sizes(text: str, problem: str) -> None:
    with pytest.raises(ConfigValueError) as info:
        parse_mem_size_kb(text)
    caret = "^" * max(1, len(text))
    assert str(info.value) == (
        f"<size>:1:1: error: size: '{text}' {problem}\n"
        f"    1 | {text}\n"
        f"      | {caret}\n"
        "  expected: a whole number with an optional unit: b, k, m (default), g or t")
