"""Typed errors and positioned diagnostics for every xl_py layer.

Library layers raise these; only ``xl_py.cli`` prints them and picks an exit
code.  Positions are stored as character offsets into a :class:`Source` and
turned into ``line:col`` only when a message is rendered (the tomli habit).

A rendered diagnostic looks like a compiler's::

    guest.cfg:3:10: error: memory: '12x' is not a number
        3 | memory = 12x
          |          ^^^
      expected: an integer (decimal, 0x hex or leading-0 octal)
      hint: sizes in xl.cfg are plain MiB numbers
"""

from __future__ import annotations

from typing import Literal

from xl_py._record import Record, field

Severity = Literal["error", "warning", "note"]


class Source(Record):
    """A named text that offsets point into (a config file, a ``-N`` override)."""

    name: str
    text: str
    # Offset where ``create``'s key=value arguments begin (appended to the file's
    # text as xl does); -1 when there are none.  See place().
    extra_from: int = -1
    _line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def line_starts(self) -> tuple[int, ...]:
        if self._line_starts:
            return self._line_starts
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        from bisect import bisect_right

        starts = self.line_starts()
        offset = max(0, min(offset, len(self.text)))
        index = bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def place(self, offset: int) -> tuple[str, int, int]:
        """(name, line, column) to show for ``offset``: the key=value arguments of
        ``create`` are parsed after the file, as xl does, but are named as what they
        are, ``command line``, line N being the N-th argument."""
        line, col = self.line_col(offset)
        if 0 <= self.extra_from <= offset:
            first, _ = self.line_col(self.extra_from)
            return "command line", line - first + 1, col
        return self.name, line, col

    def line_text(self, line: int) -> str:
        starts = self.line_starts()
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


class Diagnostic(Record):
    """One positioned message: an error, a warning or a note."""

    severity: Severity
    message: str
    source: Source | None = None
    start: int = 0
    end: int = 0
    expected: str | None = None
    hint: str | None = None
    code: str | None = None  # stable identifier, e.g. "unknown-key"

    def location(self) -> str:
        if self.source is None:
            return ""
        name, line, col = self.source.place(self.start)
        return f"{name}:{line}:{col}"

    def format(self) -> str:
        where = self.location()
        head = f"{where}: " if where else ""
        lines = [f"{head}{self.severity}: {self.message}"]
        if self.source is not None:
            lines.extend(_excerpt(self.source, self.start, self.end))
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return _encodable("\n".join(lines))

    def __str__(self) -> str:
        return self.format()


def _excerpt(source: Source, start: int, end: int) -> list[str]:
    """The source line of ``start`` with a caret run under ``start..end``."""
    line, col = source.line_col(start)
    text = _printable(source.line_text(line))
    end_line, end_col = source.line_col(max(start, end))
    width = (end_col - col) if end_line == line and end > start else 1
    width = max(1, min(width, max(1, len(text) - col + 1)))
    gutter = f"{source.place(start)[1]:>5} | "
    pad = " " * (len(gutter) - 2)
    return [gutter + text, f"{pad}| " + " " * (col - 1) + "^" * width]


def _encodable(text: str) -> str:
    """Invalid input bytes (kept as lone surrogates) shown as ``\\xHH``: a message
    must print on any UTF-8 terminal whatever part of the input it quotes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _printable(text: str) -> str:
    """Keep the caret aligned while never echoing control characters."""
    if len(text) > 200:
        text = text[:200] + "…"
    return "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)


class XlPyError(Exception):
    """Base of every error xl_py raises on purpose."""

    exit_code: int = 1

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return (Diagnostic("error", str(self)),)


class ConfigError(XlPyError):
    """One or more positioned problems in configuration input.

    Raised with *all* the errors found, not just the first (packaging's
    ``Metadata.from_raw`` habit)."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        self._diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self._diagnostics))

    @classmethod
    def at(
        cls,
        message: str,
        source: Source | None = None,
        start: int = 0,
        end: int = 0,
        *,
        expected: str | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> ConfigError:
        return cls((Diagnostic("error", message, source, start, end, expected, hint, code),))

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self._diagnostics


class ConfigSyntaxError(ConfigError):
    """The text is not in the config language (xl.cfg, xm subset, SXP, XML)."""


class ConfigValueError(ConfigError):
    """The text parses, but a key's value (or a device spec) is invalid."""


class UnsafeConfigError(ConfigError):
    """A legacy xm config asks for something xl_py will never execute."""


class BackendError(XlPyError):
    """A backend (libxl, libvirt, xenstore) failed or is unavailable."""


class BackendUnavailable(BackendError):
    """The library, daemon or socket a backend needs is missing."""


class DomainNotFound(XlPyError):
    """No domain matches the given name, domid or UUID."""

    def __init__(self, ident: str) -> None:
        self.ident = ident
        super().__init__(f"'{ident}' is an invalid domain identifier")


class OperationError(XlPyError):
    """A runtime operation was refused (mem-set above maxmem, duplicate vdev…)."""


class UsageError(XlPyError):
    """Bad command-line usage (unknown option, missing argument)."""

    exit_code = 2
