"""Golden spec files (tests/data/specs/<lang>.json): every spelling of a
group parses to the group's expected libxl JSON, every invalid spec fails
with exactly its stored message.  Regenerate: tests/data/specs/regenerate.py
(which also checks disk/pci/rate goldens against libxlutil)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from spec_support import to_json

from xl_py.errors import ConfigValueError
from xl_py.settings import channel, disk, pci, rate, usb, vdispl, vfb, vif, vtpm

SPECS = Path(__file__).resolve().parent / "data" / "specs"
PARSERS: dict[str, Callable[[str], Any]] = {
    "disk": disk.parse_disk, "pci": pci.parse_pci, "rate": rate.parse_rate,
    "vif": vif.parse_vif, "vfb": vfb.parse_vfb, "vkb": vfb.parse_vkb,
    "channel": channel.parse_channel, "usbctrl": usb.parse_usbctrl,
    "usbdev": usb.parse_usbdev, "vtpm": vtpm.parse_vtpm, "p9": vtpm.parse_p9,
    "pvcalls": vtpm.parse_pvcalls, "vdispl": vdispl.parse_vdispl,
}


def _cases(kind: str) -> list[tuple[str, str, Any]]:
    out = []
    for lang in PARSERS:
        data = json.loads((SPECS / f"{lang}.json").read_text())
        if kind == "same":
            out += [(lang, s, g["expected"]) for g in data["same"] for s in g["spellings"]]
        else:
            out += [(lang, c["spec"], c["message"]) for c in data["invalid"]]
    return out


def _result(lang: str, spec: str) -> Any:
    value = PARSERS[lang](spec)
    return list(value) if lang == "rate" else to_json(value)


@pytest.mark.parametrize(("lang", "spec", "expected"), _cases("same"))
def test_spellings(lang: str, spec: str, expected: Any) -> None:
    assert _result(lang, spec) == expected


@pytest.mark.parametrize(("lang", "spec", "message"), _cases("invalid"))
def test_invalid(lang: str, spec: str, message: str) -> None:
    with pytest.raises(ConfigValueError) as info:
        PARSERS[lang](spec)
    assert str(info.value) == message
