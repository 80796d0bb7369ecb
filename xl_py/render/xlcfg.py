"""xl.cfg text from key/value entries, in libvirt's canonical writing style.

``key = value`` one per line; strings in double quotes with the escapes xl's
parser (libxlutil ``xlu__cfgl_dequote``) understands; lists as
``[ "a", "b" ]``.  Control characters that xl cannot read back (its ``\\x``
and octal escapes are broken in 4.17) are refused, never written mangled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from xl_py.errors import ConfigValueError

XlValue = int | str | Sequence[Any]  # lists of strings, or of lists (vnuma)

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v"}
_NEEDS = re.compile(r'[\\"\n\t\r\a\b\f\v]')
_UNWRITABLE = re.compile(r"[\x00-\x06\x0e-\x1f\x7f]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def quote(text: str, key: str = "") -> str:
    """A double-quoted xl.cfg string that xl reads back as ``text``."""
    bad = _UNWRITABLE.search(text)
    if bad:
        raise ConfigValueError.at(
            f"{key or 'value'}: control character {bad.group()!r} cannot be written to xl.cfg")
    return '"' + _NEEDS.sub(lambda m: _ESCAPES[m.group()], text) + '"'


def value_text(value: XlValue, key: str = "") -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value, key)
    items = ", ".join(quote(item, key) if isinstance(item, str) else value_text(item, key)
                      for item in value)
    return f"[ {items} ]" if items else "[ ]"


def render_keys(entries: Iterable[tuple[str, XlValue]], comments: Iterable[str] = ()) -> str:
    """The xl.cfg text of ``entries`` (in order), after ``# comment`` lines."""
    lines = [f"# {c}".rstrip() for c in comments]
    for key, value in entries:
        if not _KEY.match(key):
            raise ConfigValueError.at(f"{key!r} is not an xl.cfg key")
        lines.append(f"{key} = {value_text(value, key)}")
    return "\n".join(lines) + "\n"
