"""RawDomain: last-wins, +=, spans, used keys, and the strtol rules.

The getters' results are compared with libxlutil in
test_syntax_differential.py; these are the unit-level facts.
"""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigError, ConfigSyntaxError, ConfigValueError
from xl_py.settings.raw import LONG_MAX, LONG_MIN, RawDomain, strtol
from xl_py.syntax import Atom, ListValue, parse_xlcfg

CFG = """\
name = 'guest'
memory = 512
memory = 0x400
extra = 'console=hvc0'
extra += ' quiet'
disk = [ 'a' ]
disk += [ 'b', 'c' ]
cpus = "0-3"
cpus_soft = [ "1", "2" ]
unknown_key = 1
"""


def raw_of(text: str) -> RawDomain:
    return RawDomain.from_document(parse_xlcfg(text, "g.cfg"))


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("512", 512), ("0x10", 16), ("0X1f", 31), ("010", 8), ("00", 0),
    ("-1", -1), ("+5", 5), (" 7", 7), ("\t\n\v\f\r8", 8), ("-0x10", -16),
    ("9223372036854775807", LONG_MAX), ("-9223372036854775808", LONG_MIN),
    ("9223372036854775808", LONG_MAX + 1),  # the getter reports the range
])
def test_strtol_accepts(text: str, value: int) -> None:
    assert strtol(text) == value


@pytest.mark.parametrize("text", ["", " ", "0x", "08", "12abc", "1x", "7 ", "- 1", "0b1",
                                  "1e3", "1_000", "0x1G", "++1", "٣"])
def test_strtol_rejects(text: str) -> None:
    assert strtol(text) is None


def test_last_assignment_wins_and_keeps_first_position() -> None:
    raw = raw_of(CFG)
    assert raw.get_long("memory") == 1024
    assert raw.keys() == ("name", "memory", "extra", "disk", "cpus", "cpus_soft",
                          "unknown_key")
    assert list(raw) == list(raw.keys())


def test_plus_equals_concatenates_strings_and_lists() -> None:
    raw = raw_of(CFG)
    assert raw.get_string("extra") == "console=hvc0 quiet"
    assert raw.get_string_list("disk") == ("a", "b", "c")
    setting = raw.setting("extra")
    assert setting is not None and setting.op == "+="


def test_spans_point_at_the_last_value() -> None:
    raw = raw_of(CFG)
    span = raw.span("memory")
    assert span is not None
    assert raw.document.source.text[span[0]:span[1]] == "0x400"
    statement = raw.statement("memory")
    assert statement is not None
    assert raw.document.source.line_col(statement.key_span[0]) == (3, 1)
    assert raw.span("absent") is None and raw.statement("absent") is None


def test_statements_are_kept_in_file_order() -> None:
    raw = raw_of(CFG)
    assert [s.key for s in raw.statements] == [
        "name", "memory", "memory", "extra", "extra", "disk", "disk", "cpus", "cpus_soft",
        "unknown_key"]
    assert [s.op for s in raw.statements][3:5] == ["=", "+="]


def test_used_keys_leave_the_unknown_ones() -> None:
    raw = raw_of(CFG)
    for key in ("name", "memory", "extra", "disk"):
        raw.get_value(key)
    raw.get_list_or_string("cpus")
    raw.used("cpus_soft")
    assert [s.key for s in raw.unused()] == ["unknown_key"]
    raw.get_long("not_there")
    assert "not_there" not in raw


def test_list_or_string() -> None:
    raw = raw_of(CFG)
    assert isinstance(raw.get_list_or_string("cpus"), Atom)
    assert isinstance(raw.get_list_or_string("cpus_soft"), ListValue)
    assert raw.get_list_or_string("absent") is None


def test_absent_keys_are_none() -> None:
    raw = raw_of("")
    assert raw.get_string("a") is None
    assert raw.get_long("a") is None
    assert raw.get_defbool("a") is None
    assert raw.get_list("a") is None
    assert raw.get_string_list("a") is None


@pytest.mark.parametrize("text,value", [("1", True), ("0", False), ("2", True),
                                        ("'0x0'", False), ("'-1'", True)])
def test_defbool_is_nonzero(text: str, value: bool) -> None:
    assert raw_of(f"b = {text}\n").get_defbool("b") is value


def test_bounded_long() -> None:
    raw = raw_of("v = 5\n")
    assert raw.get_bounded_long("v", 0, 5) == 5
    with pytest.raises(ConfigValueError):
        raw.get_bounded_long("v", 6, 10)
    assert raw.get_bounded_long("v", 6, 10, lenient=True) is None


def test_numbers_read_as_strings_keep_their_spelling() -> None:
    assert raw_of("m = 0x10\n").get_string("m") == "0x10"


def test_plus_equals_on_a_number_mirrors_xl() -> None:
    raw = raw_of("m = 1\nm += 2\n")
    assert raw.get_string("m") == "12"
    with pytest.raises(ConfigValueError) as info:
        raw.get_long("m")
    assert info.value.diagnostics()[0].code == "add-to-number"
    assert raw.get_long("m", lenient=True) is None
    assert raw.warnings[0].severity == "warning"
    assert raw.warnings[0].message == "m: '+=' cannot be used with numbers (ignored, as xl does)"
    assert raw_of("m = 1\nm += 2\nm = 3\n").get_long("m") == 3


def test_plus_equals_type_clashes_are_all_reported() -> None:
    with pytest.raises(ConfigSyntaxError) as info:
        raw_of("a = 'x'\na += [1]\nb = [1]\nb += 'y'\n")
    assert [d.code for d in info.value.diagnostics()] == ["add-mismatch", "add-mismatch"]


def test_errors_are_config_errors_with_positions() -> None:
    raw = raw_of("memory = '1G'\n")
    with pytest.raises(ConfigError) as info:
        raw.get_long("memory")
    diagnostic = info.value.diagnostics()[0]
    assert diagnostic.location() == "g.cfg:1:10"
    assert diagnostic.code == "not-a-number"


def test_document_warnings_for_escapes() -> None:
    doc = parse_xlcfg("a = 'x\\101'\n", "g.cfg")
    assert RawDomain.from_document(doc).get_string("a") == "xA"
    assert [w.code for w in doc.warnings] == ["string-escape"]
