"""Backslash escapes inside quoted xl.cfg strings (libxlutil's dequote).

xl 4.17 (``xlu__cfgl_dequote``) knows ``\\\\ \\' \\" \\a \\b \\f \\n \\r \\t \\v``,
then ``\\xHH`` and ``\\NNN``; those last two are broken in xl (``\\x`` always
fails, ``\\NNN`` parses and then drops the character).  xl_py implements them
as C does and attaches a warning, see docs/differences.md.
"""

from __future__ import annotations

import re

from xl_py._record import Record
from xl_py.errors import Diagnostic, Severity, Source

SIMPLE_ESCAPES: dict[str, str] = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}

ACCEPTED = ("one of \\\\ \\' \\\" \\a \\b \\f \\n \\r \\t \\v, "
            "\\xHH (two hex digits) or \\NNN (octal)")

_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)


class EscapeProblem(Record):
    """One escape that failed (``fatal``) or parsed with a portability warning."""

    fatal: bool
    message: str
    start: int
    end: int
    expected: str | None = None
    hint: str | None = None

    def diagnostic(self, source: Source) -> Diagnostic:
        severity: Severity = "error" if self.fatal else "warning"
        return Diagnostic(severity, self.message, source, self.start, self.end,
                          self.expected, self.hint, code="string-escape")


def dequote(source: Source, start: int, end: int,
            problems: list[EscapeProblem]) -> str:
    """The value of the quoted string token ``text[start:end]`` (quotes included).

    Problems are appended to ``problems``; after a fatal one the returned text
    is incomplete and must not be used.
    """
    body = source.text[start + 1:end - 1]
    if "\\" not in body:
        return body
    base = start + 1
    out: list[str] = []
    pos = 0
    for match in _ESCAPE.finditer(body):
        out.append(body[pos:match.start()])
        pos = match.end()
        char = _escape_value(match.group(1), base + match.start(), base + pos, problems)
        if char is None:
            break
        out.append(char)
    else:
        out.append(body[pos:])
    return "".join(out)


def _escape_value(code: str, start: int, end: int,
                  problems: list[EscapeProblem]) -> str | None:
    simple = SIMPLE_ESCAPES.get(code)
    if simple is not None:
        return simple
    if code[0] == "x" and len(code) == 3:
        problems.append(EscapeProblem(
            False, f"'\\{code}' is read as a hex character escape here, but Xen 4.17's xl "
            "rejects every \\x escape", start, end,
            hint="for a config that xl also reads, write the character itself"))
        return _char(int(code[1:], 16), code, start, end, problems)
    if code[0] in "01234567":
        problems.append(EscapeProblem(
            False, f"'\\{code}' is read as an octal character escape here, but Xen 4.17's xl "
            "silently drops such characters", start, end,
            hint="for a config that xl reads the same way, write the character itself"))
        return _char(int(code, 8), code, start, end, problems)
    if code == "x":
        message = "'\\x' must be followed by two hex digits"
    elif code.isprintable():
        message = f"unknown escape '\\{code}' in a quoted string"
    else:
        message = f"unknown escape: a backslash before U+{ord(code):04X} in a quoted string"
    problems.append(EscapeProblem(True, message, start, end, expected=ACCEPTED))
    return None


def _char(value: int, code: str, start: int, end: int,
          problems: list[EscapeProblem]) -> str | None:
    if value == 0:
        problems.append(EscapeProblem(
            True, f"'\\{code}' is a NUL character, which a config string cannot hold",
            start, end, expected="a character code from 1 to 255"))
        return None
    if value > 0xFF:
        problems.append(EscapeProblem(
            True, f"'\\{code}' is out of range (octal escapes stop at \\377)", start, end,
            expected="a character code from 1 to 255"))
        return None
    return chr(value)
