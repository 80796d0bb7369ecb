"""Reading one xl.cfg value the way xl's libxlutil getters do, with positions.

libxlutil keeps every atom as a string; ``xlu_cfg_get_long`` converts it
with ``strtol(s, &ep, 0)`` and rejects trailing junk, ``xlu_cfg_get_defbool``
is ``get_long`` then ``!!l``, ``xlu_cfg_get_string`` refuses a list.  Where
xl only warns and then ignores the key (a list given for a string, "12x" for
a number), ``create`` does the same with a positioned warning; the lint
(``Cursor.strict``) makes it an error.

:class:`Cursor` is the mutable scratch state of one ``from_raw`` run: the
values being collected per libxl struct, the diagnostics, and the accessors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xl_py._record import Record, field
from xl_py._types import HostInfo
from xl_py.errors import ConfigValueError, Diagnostic, Source
from xl_py.model.enums import DomainType
from xl_py.syntax.document import Atom, ListValue

if TYPE_CHECKING:
    from xl_py.settings.xlconf import XlConf

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)


class Skip(Exception):
    """A value was rejected; the diagnostic is already recorded."""


def c_strtol(text: str, base: int = 0) -> tuple[int, int]:
    """C ``strtol``: (value, characters consumed); consumed 0 when no digits.

    Leading isspace, an optional sign, ``0x`` (base 0/16), leading ``0`` means
    octal in base 0.  Values saturate at LONG_MIN/LONG_MAX like glibc's.
    """
    pos, size = 0, len(text)
    while pos < size and text[pos] in " \t\n\v\f\r":
        pos += 1
    sign = 1
    if pos < size and text[pos] in "+-":
        sign = -1 if text[pos] == "-" else 1
        pos += 1
    if base in (0, 16) and text[pos:pos + 2].lower() == "0x" and \
            pos + 2 < size and text[pos + 2] in "0123456789abcdefABCDEF":
        pos += 2
        base = 16
    elif base == 0:
        base = 8 if text[pos:pos + 1] == "0" else 10
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    start = pos
    value = 0
    while pos < size and text[pos].lower() in digits:
        value = value * base + digits.index(text[pos].lower())
        pos += 1
    if pos == start:
        return 0, 0
    value *= sign
    return max(LONG_MIN, min(LONG_MAX, value)), pos


def c_strtoul(text: str, base: int) -> tuple[int, int]:
    """C ``strtoul`` (negative input wraps; saturates at ULONG_MAX)."""
    from xl_py.settings._spec import strtoul

    return strtoul(text, base)


def parse_long(text: str) -> int | None:
    """The whole text as ``xlu_cfg_get_long`` reads it, or None."""
    value, used = c_strtol(text)
    if used == 0 or used != len(text):
        return None
    return value


def prefix_of(text: str, word: str) -> bool:
    """C ``!strncmp(text, word, strlen(text))``: text is a prefix of word
    (the empty text included), the way xl matches type=/builder=/firmware=."""
    return word.startswith(text)


class Cursor(Record, frozen=False):
    """Scratch state while one config is turned into a DomainConfig."""

    raw: Any  # xl_py.settings.raw.RawDomain (duck-typed: statement/used/keys)
    host: HostInfo
    xlconf: XlConf
    source: Source | None
    dtype: DomainType = DomainType.PV
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # field values per struct: "c", "b", "u", "sched", "vnc", "sdl", "spice",
    # "vga", "rdm", "arch_arm", "arch_x86", "top"
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    vcpus: int = 0
    devices: Any = None  # settings.devices.DeviceSet
    pv_display: Any = None  # (vfb, vkbs) xl adds for a PV guest with vnc=1
    # strict: a value of the wrong type is an error; else, as xl, a warning
    # and the key is ignored (RawDomain's lenient getters)
    strict: bool = False

    # -- where values live -------------------------------------------------
    def part(self, name: str) -> dict[str, Any]:
        return self.parts.setdefault(name, {})

    def set(self, target: str, value: Any) -> None:
        """``"b.kernel"`` -> parts["b"]["kernel"] = value."""
        part, _, name = target.partition(".")
        self.part(part)[name] = value

    def get(self, target: str, default: Any = None) -> Any:
        part, _, name = target.partition(".")
        return self.parts.get(part, {}).get(name, default)

    # -- raw values (RawDomain getters; their errors are collected) ---------
    def _get(self, getter: str, key: str, *args: Any, strict: bool = False) -> Any:
        """A RawDomain getter; lenient (xl's way: warn, ignore the key) unless
        the cursor is strict (the lint) or xl itself exits on this key."""
        try:
            return getattr(self.raw, getter)(key, *args, lenient=not (strict or self.strict))
        except ConfigValueError as exc:
            self.errors.extend(exc.diagnostics())
            raise Skip(key) from None

    def has(self, key: str) -> bool:
        return key in self.raw

    def value(self, key: str) -> Any:
        """The value whatever its type (Atom or ListValue), None if absent."""
        return self.raw.get_value(key)

    def is_list(self, key: str) -> bool:
        return isinstance(self.value(key), ListValue)

    def op(self, key: str) -> str:
        setting = self.raw.setting(key)
        return "=" if setting is None else str(setting.op)

    def string(self, key: str) -> str | None:
        """xlu_cfg_get_string."""
        text: str | None = self._get("get_string", key)
        return text

    def long(self, key: str, lo: int = LONG_MIN, hi: int = LONG_MAX, *,
             strict: bool = False) -> int | None:
        """xlu_cfg_get_bounded_long."""
        number: int | None = self._get("get_bounded_long", key, lo, hi, strict=strict)
        return number

    def defbool(self, key: str) -> bool | None:
        """xlu_cfg_get_defbool: a number, 0 is false, anything else true."""
        flag: bool | None = self._get("get_defbool", key)
        return flag

    def list_value(self, key: str, *, strict: bool = False) -> ListValue | None:
        """xlu_cfg_get_list."""
        val: ListValue | None = self._get("get_list", key, strict=strict)
        return val

    def string_list(self, key: str, *, strict: bool = False) -> tuple[str, ...] | None:
        """xlu_cfg_get_list_as_string_list."""
        items: tuple[str, ...] | None = self._get("get_string_list", key, strict=strict)
        return items

    def item_atoms(self, key: str, *, strict: bool = False) -> list[Atom] | None:
        """The items of a list key; a nested list is an error."""
        val = self.list_value(key, strict=strict)
        if val is None:
            return None
        atoms: list[Atom] = []
        for item in val.items:
            if isinstance(item, ListValue):
                raise self.error_at(item.span, f"{key}: a list inside this list is not "
                                    "allowed", expected="a quoted string")
            atoms.append(item)
        return atoms

    # -- diagnostics ---------------------------------------------------------
    def failed(self, *keys: str) -> bool:
        """Whether one of ``keys`` already has an error (to avoid cascades)."""
        return any(d.message.startswith(tuple(f"{k}:" for k in keys)) for d in self.errors)

    def span(self, key: str) -> tuple[int, int]:
        span: tuple[int, int] | None = self.raw.span(key)
        return span or (0, 0)

    def key_span(self, key: str) -> tuple[int, int]:
        stmt = self.raw.statement(key)
        if stmt is None:
            return (0, 0)
        span: tuple[int, int] = stmt.key_span
        return span

    def diag(self, severity: str, span: tuple[int, int], message: str,
             expected: str | None = None, hint: str | None = None,
             code: str | None = None) -> Diagnostic:
        src = self.source if span != (0, 0) else None
        return Diagnostic(severity, message, src, span[0], span[1],  # type: ignore[arg-type]
                          expected, hint, code)

    def error(self, key: str, message: str, *, expected: str | None = None,
              hint: str | None = None, code: str | None = None) -> Skip:
        """Record an error at ``key``'s value; return Skip to raise."""
        return self.error_at(self.span(key), message, expected=expected, hint=hint,
                             code=code)

    def error_at(self, span: tuple[int, int], message: str, *,
                 expected: str | None = None, hint: str | None = None,
                 code: str | None = None) -> Skip:
        self.errors.append(self.diag("error", span, message, expected, hint, code))
        return Skip(message)

    def error_global(self, message: str, *, hint: str | None = None,
                     expected: str | None = None) -> None:
        self.errors.append(Diagnostic("error", message, None, 0, 0, expected, hint))

    def warn(self, key: str, message: str, *, hint: str | None = None,
             code: str | None = None, at_key: bool = False) -> None:
        span = self.key_span(key) if at_key else self.span(key)
        self.warnings.append(self.diag("warning", span, message, None, hint, code))
