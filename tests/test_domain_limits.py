"""Bounds xl-py puts where xl's own behaviour is unbounded (docs/differences.md)."""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigValueError
from xl_py.pipeline import build, to_json


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nkernel = "/k"\nvcpus = 100000000\n',
         "big.cfg:3:9: error: vcpus: 100000000 vCPUs is more than xl-py accepts\n"
         "    3 | vcpus = 100000000\n"
         "      |         ^^^^^^^^^\n"
         "  expected: at most 65536 vCPUs\n"
         "  hint: Xen 4.17 runs HVM guests with up to 128 vCPUs"),
        ('name = "x"\nkernel = "/k"\nvcpus = 2\nmaxvcpus = 4294967296\ncpus = "0-1"\n',
         "big.cfg:4:12: error: maxvcpus: 4294967296 vCPUs is more than xl-py accepts\n"
         "    4 | maxvcpus = 4294967296\n"
         "      |            ^^^^^^^^^^\n"
         "  expected: at most 65536 vCPUs\n"
         "  hint: Xen 4.17 runs HVM guests with up to 128 vCPUs"),
    ],
)
def test_vcpu_counts_are_bounded(text: str, message: str) -> None:
    with pytest.raises(ConfigValueError) as info:
        build(text, "big.cfg")
    assert str(info.value) == message


def test_the_bound_itself_is_accepted() -> None:
    text = 'name = "x"\nkernel = "/k"\nmaxvcpus = 65536\nvcpus = 1\n'
    out = to_json(build(text, "ok.cfg").config)
    assert '"max_vcpus": 65536' in out


def test_a_c_int_key_beyond_32_bits_is_refused() -> None:
    """xl keeps the low 32 bits of cap (4294967301 -> 5); xl-py says so."""
    with pytest.raises(ConfigValueError) as info:
        build('name = "x"\nkernel = "/k"\ncap = 4294967301\n', "cap.cfg")
    assert str(info.value) == (
        "cap.cfg:3:7: error: cap: 4294967301 does not fit in a C int\n"
        "    3 | cap = 4294967301\n"
        "      |       ^^^^^^^^^^\n"
        "  expected: an integer from -2147483648 to 2147483647\n"
        "  hint: xl would silently keep only the low 32 bits")
