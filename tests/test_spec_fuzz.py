"""Any text given to a spec parser gives a model or a ConfigValueError:
never another exception (hypothesis over spec-like alphabets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fuzzing import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_py.errors import ConfigValueError, Source
from xl_py.settings import channel, cpuid, disk, pci, rate, sizes, usb, vdispl, vfb, vif, vsnd, vtpm
from xl_py.settings._spec import SpecSite
from xl_py.syntax.document import Atom

PARSERS: dict[str, Callable[[str], Any]] = {
    "disk": disk.parse_disk, "pci": pci.parse_pci, "rate": rate.parse_rate,
    "vif": vif.parse_vif, "vfb": vfb.parse_vfb, "vkb": vfb.parse_vkb,
    "channel": channel.parse_channel, "usbctrl": usb.parse_usbctrl,
    "usbdev": usb.parse_usbdev, "vtpm": vtpm.parse_vtpm, "p9": vtpm.parse_p9,
    "pvcalls": vtpm.parse_pvcalls, "vdispl": vdispl.parse_vdispl, "rdm": pci.parse_rdm,
    "size": sizes.parse_mem_size_kb,
    "vsnd": lambda s: vsnd.parse_vsnd([(s, None)]),
    "cpuid": lambda s: cpuid.parse_cpuid(Atom(s, (0, len(s)), False), Source("c", s), []),
}
ALPHABET = st.sampled_from([*"abcdefgxhkmprsuvw0123456789=,:;.@*/-_ \t\n'\"x",
                            "phy:", "vdev=", "target=", "backend=", "type=", "mac=", "rate=",
                            "connectors=", "card", "pcm", "stream", "sample-rates=", "host",
                            "bdf=", "0x", "Mb/s", "ms", "\x00", "é"])
SPECS = st.lists(ALPHABET, max_size=40).map("".join)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=examples(150), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=SPECS)
def test_only_typed_errors_escape(name: str, spec: str) -> None:
    try:
        PARSERS[name](spec)
    except ConfigValueError as exc:
        assert exc.diagnostics()


@settings(max_examples=examples(100), deadline=None, derandomize=True)
@given(spec=SPECS, offset=st.integers(min_value=0, max_value=5))
def test_positions_stay_inside_the_source(spec: str, offset: int) -> None:
    text = "x" * offset + spec + "\n"
    site = SpecSite(Source("f.cfg", text), offset)
    try:
        disk.parse_disk(spec, site)
    except ConfigValueError as exc:
        for diag in exc.diagnostics():
            assert 0 <= diag.start <= diag.end <= len(text)
            diag.format()
