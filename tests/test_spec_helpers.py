"""The spec plumbing (settings/_spec.py) and the warnings spec parsers give
where xl only prints a message and carries on."""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigValueError, Source
from xl_py.settings._spec import SpecSite, Token, atoi, strtok, strtoul
from xl_py.settings.channel import parse_channel
from xl_py.settings.pci import parse_rdm
from xl_py.settings.vfb import parse_vfb
from xl_py.settings.vif import parse_vif


@pytest.mark.parametrize(("text", "base", "expected"), [
    ("10", 0, (10, 2)), ("0x1f", 0, (31, 4)), ("010", 0, (8, 3)), ("08", 0, (0, 1)),
    ("  7z", 10, (7, 3)), ("-1", 10, (2**64 - 1, 2)), ("x", 0, (0, 0)), ("", 0, (0, 0)),
    ("ff", 16, (255, 2)), ("0x", 0, (0, 1)), ("99999999999999999999999", 10, (2**64 - 1, 23)),
])
def test_strtoul(text: str, base: int, expected: tuple[int, int]) -> None:
    assert strtoul(text, base) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), ("-3", -3), ("abc", 0), ("4294967297", 1), (" 5x", 5), ("2147483648", -2**31),
])
def test_atoi(text: str, expected: int) -> None:
    assert atoi(text) == expected


def test_strtok_skips_empty_items_and_leading_blanks() -> None:
    assert strtok(",a,, b ,") == [Token("a", 1), Token("b ", 5)]
    assert strtok(" a", skip_blanks=False) == [Token(" a", 0)]


def test_error_points_into_the_config_file() -> None:
    text = 'name = "g"\nvif = [ "bridge=br0,rate=10Mbps" ]\n'
    source = Source("guest.cfg", text)
    start = text.index("bridge")
    with pytest.raises(ConfigValueError) as info:
        parse_vif("bridge=br0,rate=10Mbps", SpecSite(source, start))
    assert str(info.value).splitlines()[:3] == [
        "guest.cfg:2:26: error: vif rate: invalid rate '10Mbps'",
        '    2 | vif = [ "bridge=br0,rate=10Mbps" ]',
        "      |                          ^^^^^^",
    ]


def _warnings(parse: object, spec: str) -> list[str]:
    site = SpecSite.standalone(spec, "x")
    parse(spec, site)  # type: ignore[operator]
    return [d.message for d in site.warnings]


def test_vif_warnings_for_what_xl_ignores() -> None:
    assert _warnings(parse_vif, "bridge=br0,foo,type=tap,accel=1,netdev=eth0,mac=00:zz") == [
        "vif: unrecognized argument 'foo' (xl ignores it)",
        "vif: invalid type 'tap' (xl ignores it)",
        "vif: the accel parameter for vifs is not supported (ignored)",
        "vif: netdev= is deprecated, use gatewaydev=",
        "vif: invalid mac '00:zz' (xl keeps only the octets before the error)",
    ]


def test_vif_partial_mac_is_kept_like_xl() -> None:
    assert parse_vif("mac=00:16:zz").mac == "00:16:00:00:00:00"


def test_vfb_warnings() -> None:
    assert _warnings(parse_vfb, "vnc=yes,foo=1,bare,keymap=de") == [
        "vfb: 'yes' is not a number; xl reads it as 0",
        "vfb: unknown option 'foo' (xl ignores it)",
        "vfb: 'bare' is not key=value; xl ignores it and the rest of this vfb",
    ]
    assert parse_vfb("vnc=1,bare,keymap=de").keymap is None


def test_channel_unknown_key_warns() -> None:
    assert _warnings(parse_channel, "name=a,connection=pty,colour=red") == [
        "channel: unknown channel parameter 'colour' (xl ignores it)"]


@pytest.mark.parametrize(("spec", "applied", "message"), [
    ("strategy=host", True, "rdm: xl 4.17 leaves the rdm policy uninitialised here (its "
     "dry run prints null, xl_py keeps 'invalid') and copies it into every pci device"),
    ("strategy=host,policy=relaxed", False, "rdm: xl 4.17 drops the whole rdm setting when "
     "it names a valid policy (libxlutil bug); set rdm_policy= on each pci device"),
    ("strategy=none", False, "rdm: unknown strategy 'none'; xl ignores the whole rdm setting"),
    ("host", False, "rdm: 'host' is not key=value; xl ignores the whole rdm setting"),
])
def test_rdm(spec: str, applied: bool, message: str | None) -> None:
    site = SpecSite.standalone(spec, "rdm")
    result = parse_rdm(spec, site)
    assert (result is not None) == applied
    assert [d.message for d in site.warnings] == ([message] if message else [])
