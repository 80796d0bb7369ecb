"""Shared plumbing of the value sub-languages (disk, vif, pci, ... specs).

A spec parser takes the spec text plus a :class:`SpecSite` saying where that
text lives (a config file and the offset of the string's first character), so
every error points *into* the spec: the caret sits under the bad sub-option.
Warnings (things xl only prints and then ignores) are collected on the site.

Helpers here reproduce the C idioms xl uses to cut specs apart (``strtok``
with xl's skipping of leading blanks, ``strtoul``/``atoi`` number prefixes)
and run one-row-per-sub-option :class:`Option` tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from xl_py._record import Record, field
from xl_py.errors import ConfigValueError, Diagnostic, Source

ULONG_MAX = 2**64 - 1


class SpecSite(Record):
    """Where a spec string sits: ``source`` text, offset of its first char.

    ``what`` names the spec in messages (``disk``, ``vif`` ...).  ``warnings``
    is a shared, caller-owned list that collects warning diagnostics.
    """

    source: Source | None = None
    start: int = 0
    what: str = "spec"
    warnings: list[Diagnostic] = field(default_factory=list, compare=False)

    @classmethod
    def standalone(cls, spec: str, what: str, name: str | None = None) -> SpecSite:
        """A site for a spec that is its own source (command line, tests)."""
        return cls(Source(name or f"<{what}>", spec), 0, what)

    def named(self, what: str) -> SpecSite:
        return SpecSite(self.source, self.start, what, self.warnings)

    def shifted(self, offset: int) -> SpecSite:
        return SpecSite(self.source, self.start + offset, self.what, self.warnings)

    def diagnostic(self, severity: str, message: str, start: int, end: int,
                   expected: str | None = None, hint: str | None = None,
                   code: str | None = None) -> Diagnostic:
        begin = self.start + max(0, start)
        finish = self.start + max(start, end)
        if self.source is not None:
            limit = len(self.source.text)
            begin, finish = min(begin, limit), min(finish, limit)
        return Diagnostic(severity, f"{self.what}: {message}",  # type: ignore[arg-type]
                          self.source, begin, finish, expected, hint, code)

    def error(self, message: str, start: int = 0, end: int = 0, *,
              expected: str | None = None, hint: str | None = None) -> ConfigValueError:
        return ConfigValueError((self.diagnostic("error", message, start, end,
                                                 expected, hint),))

    def warn(self, message: str, start: int = 0, end: int = 0, *,
             expected: str | None = None, hint: str | None = None) -> None:
        self.warnings.append(self.diagnostic("warning", message, start, end,
                                             expected, hint))


class Token(Record):
    """A piece of a spec with its offsets (relative to the spec start)."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def split_pair(self, sep: str = "=") -> tuple[Token, Token] | None:
        """``key=value`` -> (key, value) tokens; None without a separator."""
        index = self.text.find(sep)
        if index < 0:
            return None
        key = Token(self.text[:index], self.start)
        return key, Token(self.text[index + len(sep):], self.start + index + len(sep))

    def strip(self) -> Token:
        """isspace-trim both ends (xl's ``trim(isspace, ...)``)."""
        lead = len(self.text) - len(self.text.lstrip(" \t\n\v\f\r"))
        return Token(self.text.strip(" \t\n\v\f\r"), self.start + lead)


def strtok(spec: str, delims: str = ",", skip_blanks: bool = True) -> list[Token]:
    """C ``strtok``: non-empty runs between delimiters; xl then skips ' '."""
    tokens: list[Token] = []
    pos, size = 0, len(spec)
    while pos < size:
        while pos < size and spec[pos] in delims:
            pos += 1
        if pos >= size:
            break
        end = pos
        while end < size and spec[end] not in delims:
            end += 1
        start = pos
        if skip_blanks:
            while start < end and spec[start] == " ":
                start += 1
        tokens.append(Token(spec[start:end], start))
        pos = end
    return tokens


# -- C number prefixes --------------------------------------------------------

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def strtoul(text: str, base: int = 0) -> tuple[int, int]:
    """C ``strtoul``: (value, characters consumed); consumed 0 = no number.

    Negative numbers wrap as C does; overflow saturates at ULONG_MAX."""
    value, used, negative = strtol_parts(text, base)
    if used == 0:
        return 0, 0
    if value > ULONG_MAX:
        return ULONG_MAX, used
    return ((-value) & ULONG_MAX if negative else value), used


def strtol_parts(text: str, base: int) -> tuple[int, int, bool]:
    """Magnitude, characters consumed and sign of a C integer prefix."""
    pos, size = 0, len(text)
    while pos < size and text[pos] in " \t\n\v\f\r":
        pos += 1
    negative = False
    if pos < size and text[pos] in "+-":
        negative = text[pos] == "-"
        pos += 1
    if base in (0, 16) and text[pos:pos + 2].lower() == "0x" and \
            pos + 2 < size and _digit(text[pos + 2], 16) is not None:
        base, pos = 16, pos + 2
    elif base == 0:
        base = 8 if text[pos:pos + 1] == "0" else 10
    begin = pos
    value = 0
    while pos < size:
        digit = _digit(text[pos], base)
        if digit is None:
            break
        value = value * base + digit
        pos += 1
    if pos == begin:
        return 0, 0, False
    return value, pos, negative


def _digit(ch: str, base: int) -> int | None:
    index = _DIGITS.find(ch.lower())
    return index if 0 <= index < base else None


def atoi(text: str) -> int:
    """C ``atoi`` (strtol base 10, truncated to a 32-bit int)."""
    value, used, negative = strtol_parts(text, 10)
    if used == 0:
        return 0
    value = -value if negative else value
    value = max(-(2**63), min(2**63 - 1, value))
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def is_c_number(text: str, base: int = 10) -> bool:
    """True when the whole text is one integer as C would read it."""
    _, used, _ = strtol_parts(text, base)
    return used == len(text) and used > 0


# -- key=value option tables --------------------------------------------------

# A handler gets the value token, the fields being built, and the site.
Handler = Callable[[Token, dict[str, Any], SpecSite], None]


class Option(Record):
    """One sub-option row: ``name=value`` (or a bare ``name`` when flag)."""

    name: str
    handle: Handler
    aliases: tuple[str, ...] = ()
    deprecated: str | None = None  # what to use instead (warns)
    flag: bool = False
    listed: bool = True  # shown in "expected:" lists (rare options are not)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class OptionTable:
    """Lookup of :class:`Option` rows by name and alias."""

    def __init__(self, rows: Iterable[Option], unlisted: str = "") -> None:
        self.rows = tuple(rows)
        self.unlisted = unlisted  # how the unlisted rows are summed up
        self._by_name = {name: row for row in self.rows for name in row.names()}

    def __iter__(self) -> Iterator[Option]:
        return iter(self.rows)

    def get(self, name: str) -> Option | None:
        return self._by_name.get(name)

    def accepted(self) -> str:
        names = ", ".join(row.name + ("" if row.flag else "=") for row in self.rows
                          if row.deprecated is None and row.listed)
        return f"{names}, {self.unlisted}" if self.unlisted else names

    def hint(self, word: str) -> str | None:
        row = self.get(word)
        if row is not None and row.flag:
            return f"{word} takes no value: write just {word}"
        return did_you_mean(word, [n for row in self.rows for n in row.names()])


def did_you_mean(word: str, names: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelt option name, or None."""
    import difflib

    names = list(names)
    if word in names:  # a bare option name: its value is missing
        return f"{word} takes a value: write {word}=VALUE"
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else None


def set_field(name: str, convert: Callable[[Token, SpecSite], Any] | None = None) -> Handler:
    """A handler storing the (converted) value into ``fields[name]``."""

    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[name] = value.text if convert is None else convert(value, site)

    return handle


def set_const(name: str, constant: object) -> Handler:
    """A handler for a bare flag setting ``fields[name] = constant``."""

    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[name] = constant

    return handle
