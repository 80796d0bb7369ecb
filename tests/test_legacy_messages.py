"""Each xm row's report says what the migration wrote, for the guest type at
hand (a PV-only reason on an HVM guest, a comment that was never written, a
display 'folded into vfb' when no vfb was made: all were wrong)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xl_py.render.xlcfg import render_keys
from xl_py.settings.legacy import from_xm, migrate
from xl_py.settings.legacy_sxp import from_sxp
from xl_py.syntax.sxp import parse_sxp
from xl_py.syntax.xm import read_xm

UUID = "00000000-0000-4000-8000-00000000abcd"
HVM = "builder = 'hvm'\n"


def mig(text: str) -> Any:
    return migrate(from_xm(read_xm("name = 'g'\n" + text, "t.cfg")), lambda: UUID)


def row(m: Any, key: str) -> tuple[str, tuple[str, ...], str]:
    (item,) = [(r.status, r.xl, r.detail) for r in m.report if r.key == key]
    return item


@pytest.mark.parametrize(("src", "key", "want"), [
    ("superpages = 0\n", "superpages",
     ("dropped", (), "superpages=0 is xend's default: nothing to carry over")),
    (HVM + "superpages = 0\n", "superpages",
     ("dropped", (), "superpages=0 is xend's default: nothing to carry over")),
    (HVM + "superpages = 1\n", "superpages",
     ("dropped", (), "xend used superpages= for PV guests only; Xen backs HVM guests with "
      "superpages where it can, without an option")),
    ("superpages = 1\n", "superpages",
     ("dropped", (), "xl has no superpages option for PV guests (Xen no longer backs PV "
      "guests with superpages)")),
    ("description = ''\n", "description", ("dropped", (), "empty")),
    ("description = '  \\n'\n", "description", ("dropped", (), "empty")),
    ("stdvga = 1\n", "stdvga",
     ("dropped", (), "HVM-only option in a PV guest config: xl ignores it")),
    ("loader = '/usr/lib/xen/boot/hvmloader'\n", "loader",
     ("dropped", (), "HVM firmware in a PV guest config: xend ignored it")),
    ("vnc = 0\nvnclisten = '0.0.0.0'\n", "vnclisten",
     ("dropped", (), "PV display option without vnc=1 or sdl=1: xend made no vfb of it, and "
      "neither does the migration")),
    ("vnc = 1\nvnclisten = '0.0.0.0'\n", "vnclisten",
     ("changed", ("vfb",), "PV display option: folded into vfb=[...] as xend did")),
    ("rtc_timeoffset = 3600\n", "rtc_timeoffset", ("kept", ("rtc_timeoffset",), "")),
])
def test_report_matches_guest_and_output(src: str, key: str,
                                         want: tuple[str, tuple[str, ...], str]) -> None:
    m = mig(src)
    assert m.errors == ()
    assert row(m, key) == want


def test_empty_description_writes_no_comment() -> None:
    m = mig("description = ''\n")
    assert m.comments == ()
    assert not render_keys(m.entries, m.comments).startswith("#")


def test_pv_display_keys_without_vnc_make_no_vfb() -> None:
    m = mig("vnc = 0\nsdl = 0\nvncdisplay = 2\nkeymap = 'de'\n")
    assert m.get("vfb") is None
    assert {r.key: r.status for r in m.report if r.key in ("vnc", "sdl", "vncdisplay",
                                                           "keymap")} == dict.fromkeys(
        ("vnc", "sdl", "vncdisplay", "keymap"), "dropped")


def test_bad_pv_display_value_is_an_error_on_its_key() -> None:
    m = mig("vnc = 1\nvncdisplay = 'two'\n")
    assert [d.message for d in m.errors] == ["vncdisplay: 'two' is not an integer"]


def test_hvm_sxp_superpages_0() -> None:
    """xend wrote (superpages 0) into every domain's SXP, HVM ones included."""
    doc = parse_sxp("(vm (name h) (superpages 0) (image (hvm (kernel /usr/lib/xen/boot/"
                    "hvmloader))))", "h.sxp")
    m = migrate(from_sxp(doc), lambda: UUID)
    assert row(m, "superpages") == (
        "dropped", (), "superpages=0 is xend's default: nothing to carry over")


def test_pv_stdvga_writes_no_vga() -> None:
    assert mig("stdvga = 1\n").get("vga") is None
    assert mig(HVM + "stdvga = 1\n").get("vga") == "stdvga"


@pytest.mark.reference
def test_reference_xl_sets_a_pv_guests_rtc_timeoffset(reference: Any, tmp_path: Path) -> None:
    """xend's image.py set the time offset of every guest; xl's does too."""
    m = mig("kernel = '/boot/vmlinuz'\nrtc_timeoffset = 3600\n")
    out = tmp_path / "g.cfg"
    out.write_text(render_keys(m.entries, m.comments))
    res = reference.xl_dryrun(out)
    assert res.rc == 0, res.stderr
    assert json.loads(res.stdout)["b_info"]["rtc_timeoffset"] == 3600
