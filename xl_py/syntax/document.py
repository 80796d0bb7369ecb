"""The lossless result of reading an xl.cfg file: statements with spans.

Spans are ``(start, end)`` character offsets into ``Document.source.text``;
:class:`xl_py.errors.Source` turns them into ``line:col`` when a message is
rendered.
"""

from __future__ import annotations

from typing import Literal

from xl_py._record import Record
from xl_py.errors import Diagnostic, Source

Span = tuple[int, int]
Op = Literal["=", "+="]
DESCRIBE_MAX = 80  # longest value quoted whole in a message


class Atom(Record):
    """A single value: a quoted string (after escape processing) or a number.

    Numbers keep their source spelling ("0x10", "010"): libxlutil stores every
    atom as a string and only the typed getters convert them (strtol base 0).
    """

    text: str
    span: Span
    quoted: bool

    def describe(self) -> str:
        """The value as messages quote it; a huge one is shortened in the middle
        (the caret still spans all of it)."""
        text = self.text
        if len(text) > DESCRIBE_MAX:
            text = f"{text[:DESCRIBE_MAX - 20]}…{text[-12:]}"
        return repr(text) if self.quoted else text


class ListValue(Record):
    """``[ item, item, ... ]``; items may themselves be lists."""

    items: tuple[Value, ...]
    span: Span

    def strings(self) -> tuple[str | None, ...]:
        """The items as libxlutil's ``xlu_cfg_get_listitem`` sees them:
        the text of each atom, ``None`` for a nested list."""
        return tuple(item.text if isinstance(item, Atom) else None for item in self.items)


Value = Atom | ListValue


class Statement(Record):
    """``key = value`` or ``key += value``."""

    key: str
    key_span: Span
    op: Op
    value: Value
    span: Span


class Document(Record):
    """A parsed xl.cfg text: every statement, in file order.

    ``warnings`` holds what parsed but deserves a word (e.g. an escape that
    Xen 4.17's xl reads differently, see docs/differences.md).
    """

    source: Source
    statements: tuple[Statement, ...]
    warnings: tuple[Diagnostic, ...] = ()
