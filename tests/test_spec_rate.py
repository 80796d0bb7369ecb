"""vif rate specs: differential against libxlutil's xlu_vif_parse_rate."""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigValueError
from xl_py.settings.rate import parse_rate

RATE_CASES = [
    "10Mb/s@20ms", "10Mb/s", "10MB/s", "1Gb/s@1s", "1GB/s@100us", "100Kb/s@50ms",
    "100KB/s@50", "5b/s", "5B/s", "8b/s@1000000u", "010Mb/s", "08Mb/s", "0Mb/s",
    "4294967295B/s", "4294967296B/s", "4294967295GB/s@4294967295us",
    "4294967295GB/s@4294967295s", "10Mb/s@", "10Mb/s@0", "10Mb/s@5000s",
    "10Mb/s@4294s", "10Mb/s@4295s", "@20ms", "", "10Mb", "10 Mb/s", "10mb/s",
    "10Mbps", "10Mb/s@20 ms", "10Mb/s@20ms@1", "10Mb/s@20mss", "10Mb/s@20ns",
    "10Mb/s@20m", "10Mb/s@20u", "10Mb/s@020ms", "0x10Mb/s", "1Tb/s", "10Kb/s@1us",
]


@pytest.mark.reference
@pytest.mark.parametrize("spec", RATE_CASES)
def test_rate_matches_libxlutil(reference, spec: str) -> None:
    ref = reference.xlu_vif_rate(spec)
    if ref["rc"] != 0:
        with pytest.raises(ConfigValueError):
            parse_rate(spec)
        return
    nic = ref["libxl_nic"]
    ours = parse_rate(spec)
    assert ours == (nic.get("rate_bytes_per_interval", 0), nic.get("rate_interval_usecs", 0))
