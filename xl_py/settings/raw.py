"""Document -> RawDomain: xl's view of the keys, before any typing.

``RawDomain.from_document`` applies what libxlutil does while it reads a file
(``xlu__cfg_set_store``): the last assignment to a key wins, ``key += value``
appends to the previous value of the key (strings are concatenated, lists
joined; adding a list to a string is an error).  The getters mirror
``xlu_cfg_get_string / _long / _bounded_long / _defbool / _list`` but raise
:class:`ConfigValueError` at the value's span where libxlutil returns an errno
and prints a warning.  With ``lenient=True`` a getter does what xl does
instead: it records the problem in ``warnings`` and returns ``None`` as if the
key were absent.

Every getter marks its key as used; :meth:`RawDomain.unused` lists the rest
(xl ignores unknown keys silently, ``xl-py check`` reports them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from xl_py._record import Record
from xl_py.errors import ConfigSyntaxError, ConfigValueError, Diagnostic
from xl_py.syntax.document import Atom, Document, ListValue, Op, Span, Statement, Value

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1

EXPECTED_INTEGER = "an integer: decimal, 0x hex or leading-0 octal (e.g. 512, 0x200, 01000)"

# strtol(s, &end, 0): C isspace() blanks, a sign, then 0x hex | 0 octal | decimal
_STRTOL = re.compile(r"[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")
_UNIT = re.compile(r"[0-9]+\s*[kKmMgGtT][bB]?")


class Setting(Record):
    """The value of one key as xl sees it after every statement was applied.

    ``op`` is the operator of the last statement: libxlutil refuses to read
    a number from a setting whose last statement was ``+=``.
    """

    key: str
    value: Value
    op: Op
    statement: Statement  # the last statement that assigned or appended


class RawDomain:
    """The keys of one xl.cfg file, with spans, as libxlutil stores them."""

    __slots__ = ("_settings", "_used", "document", "warnings")

    def __init__(self, document: Document, settings: dict[str, Setting]) -> None:
        self.document = document
        self._settings = settings
        self._used: set[str] = set()
        self.warnings: list[Diagnostic] = []

    # -- construction -------------------------------------------------------

    @classmethod
    def from_document(cls, document: Document) -> RawDomain:
        """Apply the statements in order; raise every '+=' type clash at once."""
        settings: dict[str, Setting] = {}
        errors: list[Diagnostic] = []
        for statement in document.statements:
            previous = settings.get(statement.key)
            value = statement.value
            if statement.op == "+=" and previous is not None:
                joined = _append(previous.value, value)
                if joined is None:
                    errors.append(_clash(document, previous, statement))
                    continue
                value = joined
            settings[statement.key] = Setting(statement.key, value, statement.op, statement)
        if errors:
            raise ConfigSyntaxError(errors)
        return cls(document, settings)

    # -- what is there ------------------------------------------------------

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement in file order (for round-trips)."""
        return self.document.statements

    def keys(self) -> tuple[str, ...]:
        """The keys present, in the order of their first appearance."""
        return tuple(self._settings)

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def __contains__(self, key: object) -> bool:
        return key in self._settings

    def setting(self, key: str) -> Setting | None:
        return self._settings.get(key)

    def statement(self, key: str) -> Statement | None:
        setting = self._settings.get(key)
        return setting.statement if setting else None

    def span(self, key: str) -> Span | None:
        """The span of the key's current value (of its last statement)."""
        setting = self._settings.get(key)
        return setting.statement.value.span if setting else None

    def used(self, *keys: str) -> None:
        """Mark keys as consumed (getters do this themselves)."""
        self._used.update(keys)

    def unused(self) -> tuple[Setting, ...]:
        """Settings no getter asked for: unknown or irrelevant keys."""
        return tuple(s for k, s in self._settings.items() if k not in self._used)

    # -- typed getters (xlu_cfg_get_*) --------------------------------------

    def get_value(self, key: str) -> Value | None:
        """The value whatever its type (an Atom or a ListValue)."""
        self._used.add(key)
        setting = self._settings.get(key)
        return setting.value if setting else None

    def get_list_or_string(self, key: str) -> Value | None:
        """For keys xl reads either way (cpus, cpus_soft, ...): same as get_value."""
        return self.get_value(key)

    def get_atom(self, key: str, *, lenient: bool = False) -> Atom | None:
        """The single value of ``key`` (xlu_cfg_get_string keeping the span)."""
        self._used.add(key)
        setting = self._settings.get(key)
        if setting is None:
            return None
        if isinstance(setting.value, ListValue):
            self._problem(lenient, setting, f"{key}: expected a single value, not a list",
                                 "a number or a 'string'", code="not-a-value")
            return None
        return setting.value

    def get_string(self, key: str, *, lenient: bool = False) -> str | None:
        """xlu_cfg_get_string: the text of a single value (numbers as written)."""
        atom = self.get_atom(key, lenient=lenient)
        return atom.text if atom else None

    def get_long(self, key: str, *, lenient: bool = False) -> int | None:
        """xlu_cfg_get_long: strtol(text, &end, 0) that must use all the text."""
        return self.get_bounded_long(key, LONG_MIN, LONG_MAX, lenient=lenient)

    def get_bounded_long(self, key: str, minimum: int, maximum: int, *,
                         lenient: bool = False) -> int | None:
        """xlu_cfg_get_bounded_long: get_long, then minimum <= value <= maximum."""
        atom = self.get_atom(key, lenient=lenient)
        if atom is None:
            return None
        setting = self._settings[key]
        if setting.op == "+=":
            self._problem(lenient, setting, f"{key}: '+=' cannot be used with numbers",
                                 EXPECTED_INTEGER, code="add-to-number",
                                 hint=f"write {key} = VALUE")
            return None
        number = strtol(atom.text)
        if number is None:
            self._problem(lenient, setting, f"{key}: {atom.describe()} is not a number",
                                 EXPECTED_INTEGER, code="not-a-number",
                                 hint=_number_hint(atom.text))
            return None
        if not LONG_MIN <= number <= LONG_MAX:
            self._problem(lenient, setting, f"{key}: {atom.describe()} is out of range",
                                 f"an integer from {LONG_MIN} to {LONG_MAX}", code="range")
            return None
        if not minimum <= number <= maximum:
            side = "smaller than the minimum" if number < minimum else "greater than the maximum"
            bound = minimum if number < minimum else maximum
            self._problem(lenient, setting, f"{key}: {number} is {side} {bound}",
                                 f"an integer from {minimum} to {maximum}", code="bounds")
            return None
        return number

    def get_defbool(self, key: str, *, lenient: bool = False) -> bool | None:
        """xlu_cfg_get_defbool: a number, true when it is not 0."""
        number = self.get_long(key, lenient=lenient)
        return None if number is None else number != 0

    def get_list(self, key: str, *, lenient: bool = False) -> ListValue | None:
        """xlu_cfg_get_list: the key must hold a [list]."""
        self._used.add(key)
        setting = self._settings.get(key)
        if setting is None:
            return None
        if not isinstance(setting.value, ListValue):
            example = setting.value.describe() if setting.value.quoted else setting.value.text
            self._problem(lenient, setting,
                                 f"{key}: expected a [list], not a single value",
                                 "a [list] of values", code="not-a-list",
                                 hint=f"write {key} = [ {example} ]")
            return None
        return setting.value

    def get_string_list(self, key: str, *, lenient: bool = False) -> tuple[str, ...] | None:
        """xlu_cfg_get_list_as_string_list: a list of single values.

        xl stops reading such a list at the first nested list; xl_py refuses it."""
        value = self.get_list(key, lenient=lenient)
        if value is None:
            return None
        for item in value.items:
            if isinstance(item, ListValue):
                self._problem(lenient, self._settings[key],
                                     f"{key}: a list inside this list is not allowed",
                                     "a [list] of numbers and 'strings'", span=item.span,
                                     code="nested-list")
                return None
        return tuple(item.text for item in value.items if isinstance(item, Atom))

    # -- problems -----------------------------------------------------------

    def _problem(self, lenient: bool, setting: Setting, message: str, expected: str, *,
                 code: str, hint: str | None = None, span: Span | None = None) -> None:
        start, end = span or setting.statement.value.span
        source = self.document.source
        if lenient:
            self.warnings.append(Diagnostic("warning", message + " (ignored, as xl does)",
                                            source, start, end, expected, hint, code))
            return
        raise ConfigValueError.at(message, source, start, end, expected=expected, hint=hint,
                                  code=code)


def strtol(text: str) -> int | None:
    """C strtol(text, &end, 0) when it must consume all of ``text``; None if not.

    The result may be outside the C long range; callers check it."""
    match = _STRTOL.match(text)
    if match is None or match.end() != len(text):
        return None
    sign, hexa, octal, decimal = match.groups()
    if hexa is not None:
        number = int(hexa, 16)
    elif octal is not None:
        number = int(octal, 8)
    else:
        number = int(decimal)
    return -number if sign == "-" else number


def _number_hint(text: str) -> str | None:
    if _UNIT.fullmatch(text.strip()):
        return "write a plain number without a unit"
    if text.strip() != text:
        return "remove the blanks after the number"
    return None


def _append(previous: Value, added: Value) -> Value | None:
    """``key += value``: join two strings or two lists; None when the types differ."""
    if isinstance(previous, Atom) and isinstance(added, Atom):
        return Atom(previous.text + added.text, added.span, previous.quoted or added.quoted)
    if isinstance(previous, ListValue) and isinstance(added, ListValue):
        return ListValue(previous.items + added.items, added.span)
    return None


def _clash(document: Document, previous: Setting, statement: Statement) -> Diagnostic:
    kinds = ("a [list]", "a string") if isinstance(statement.value, ListValue) else (
        "a string", "a [list]")
    line, col = document.source.line_col(previous.statement.value.span[0])
    return Diagnostic(
        "error", f"{statement.key}: '+=' cannot add {kinds[0]} to {kinds[1]}",
        document.source, statement.value.span[0], statement.value.span[1],
        expected=f"{kinds[1]}, like the value set at line {line}, column {col}",
        code="add-mismatch")
