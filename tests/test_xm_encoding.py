"""How xm files are decoded: as the Python 2 that xend ran read them (PEP 263
coding declarations, a UTF-8 BOM, stray bytes in comments only warned about)."""

from __future__ import annotations

import pytest

from xl_py.errors import ConfigSyntaxError
from xl_py.syntax.xm import read_xm


@pytest.mark.parametrize("fast", [True, False])
def test_latin1_bytes_in_a_comment_are_harmless(fast: bool) -> None:
    cfg = read_xm(b"# Jos\xe9's web server\nname = 'web'  # caf\xe9\nmemory = 256\n",
                  "web", fast=fast)
    assert (cfg.get("name"), cfg.get("memory"), cfg.diagnostics) == ("web", 256, ())


@pytest.mark.parametrize("text", [b"\xef\xbb\xbfname = 'a'\n", "\ufeffname = 'a'\n"])
def test_a_utf8_bom_is_not_code(text: str | bytes) -> None:
    cfg = read_xm(text, "bom")
    assert (cfg.get("name"), cfg.diagnostics) == ("a", ())


@pytest.mark.parametrize("first", [b"", b"#!/usr/bin/python\n"])
def test_a_coding_declaration_names_the_encoding(first: bytes) -> None:
    text = first + b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n"
    assert read_xm(text, "x").get("name") == "caf\u00e9"


def test_a_declaration_on_line_three_does_not_count() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"\n\n# coding: latin-1\nname = 'caf\xe9'\n", "late")
    assert str(exc.value) == (
        "late:4:12: error: invalid UTF-8 in xm config\n"
        "    4 | name = 'caf\ufffd'\n"
        "      |            ^\n"
        "  hint: declare the file's encoding on its first line, as Python does: "
        "# -*- coding: latin-1 -*-")


def test_stray_bytes_in_code_are_an_error_with_the_cure() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"# fine: \xe9\nname = 'caf\xe9'  # \xe9\n", "x")
    assert str(exc.value) == (
        "x:2:12: error: invalid UTF-8 in xm config\n"
        "    2 | name = 'caf\ufffd'  # \ufffd\n"
        "      |            ^\n"
        "  hint: declare the file's encoding on its first line, as Python does: "
        "# -*- coding: latin-1 -*-")


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"extra = '# \xe9'\n", "x")
    assert str(exc.value).splitlines()[0] == "x:1:12: error: invalid UTF-8 in xm config"
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"extra = '''a\n# \xe9'''\n", "x")
    assert str(exc.value).splitlines()[0] == "x:2:3: error: invalid UTF-8 in xm config"


@pytest.mark.parametrize("codec", ["klingon", "zlib_codec", "rot13", "base64"])
def test_an_unknown_or_non_text_encoding_is_refused(codec: str) -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(f"# coding: {codec}\nname = 'a'\n".encode(), "x")
    assert str(exc.value) == (
        f"x:1:11: error: unknown encoding '{codec}' in the coding declaration\n"
        f"    1 | # coding: {codec}\n"
        f"      |           {'^' * len(codec)}")


def test_bytes_the_declared_encoding_cannot_read() -> None:
    with pytest.raises(ConfigSyntaxError) as exc:
        read_xm(b"# coding: ascii\nname = 'caf\xc3\xa9'\n", "x")
    assert str(exc.value) == (
        "x:2:12: error: invalid ascii in xm config (the file declares it)\n"
        "    2 | name = 'caf\u00c3\u00a9'\n"
        "      |            ^")


def test_an_undefined_name_suggests_define() -> None:
    cfg = read_xm("name = 'vm%d' % int(vmid)\n", "v")
    assert [d.format() for d in cfg.diagnostics] == [
        "v:1:21: error: name 'vmid' is not defined\n"
        "    1 | name = 'vm%d' % int(vmid)\n"
        "      |                     ^^^^\n"
        "  hint: if xm create was given it (xm create FILE vmid=...), pass it with "
        "--define vmid=VALUE"]
