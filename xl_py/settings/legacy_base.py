"""The legacy key table's vocabulary: the input and output records, the value
converters, the per-migration context and the generic row handlers (keep,
rename, drop, decide).  ``xl_py.settings.legacy`` holds the table itself."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from xl_py._record import Record, field
from xl_py.errors import Diagnostic, Source
from xl_py.syntax.xm import XmConfig

Status = Literal["kept", "renamed", "changed", "dropped", "decision", "added", "ignored"]
XlValue = int | str | list[str]


class LegacyValue(Record):
    name: str
    value: Any
    start: int = 0
    end: int = 0


class ReportItem(Record):
    """One line of the per-key report; ``start``/``end`` locate it in the source
    (0, 0: not in the source, e.g. an added key)."""

    key: str
    status: Status
    xl: tuple[str, ...]
    detail: str
    start: int = 0
    end: int = 0


class LegacyInput(Record):
    """Legacy keys with their values and spans, whatever syntax they came from.

    ``items`` are report lines of the reader's own: source text it consumed
    without making a key of it (an SXP's XenAPI copies, its empty values, the
    image's ``ip`` folded into ``extra``).  ``migrate`` merges them into the
    per-key report in source order."""

    source: Source
    kind: Literal["xm", "sxp"]
    values: tuple[LegacyValue, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    items: tuple[ReportItem, ...] = ()

    def get(self, name: str) -> LegacyValue | None:
        for v in self.values:
            if v.name == name:
                return v
        return None


def from_xm(cfg: XmConfig) -> LegacyInput:
    return LegacyInput(cfg.source, "xm",
                       tuple(LegacyValue(b.name, b.value, b.start, b.end) for b in cfg.bindings),
                       cfg.diagnostics)


class Migration(Record):
    source: Source
    kind: str
    entries: tuple[tuple[str, XlValue], ...]
    comments: tuple[str, ...]
    report: tuple[ReportItem, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def get(self, key: str) -> XlValue | None:
        return dict(self.entries).get(key)


class Bad(Exception):
    """A value of the wrong shape: becomes an error diagnostic on the key."""


class Ctx(Record, frozen=False):
    inp: LegacyInput
    hvm: bool
    out: dict[str, XlValue] = field(default_factory=dict)
    report: list[ReportItem] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    diags: list[Diagnostic] = field(default_factory=list)

    def value(self, name: str, default: Any = None) -> Any:
        v = self.inp.get(name)
        return default if v is None or v.value is None else v.value

    def item(self, v: LegacyValue, status: Status, xl: Iterable[str], detail: str) -> None:
        self.report.append(ReportItem(v.name, status, tuple(xl), detail, v.start, v.end))

    def error(self, v: LegacyValue, message: str) -> None:
        self.diags.append(Diagnostic("error", f"{v.name}: {message}", self.inp.source,
                                     v.start, v.end, code="legacy-value"))


# --------------------------------------------------------------------------- converters


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?(0[xX][0-9a-fA-F]+|\d+)\s*", value):
        return int(value, 0) if value.strip().lower().startswith(("0x", "-0x")) else int(value)
    raise Bad(f"{value!r} is not an integer")


def as_bool(value: Any) -> int:
    if isinstance(value, str) and value.lower() in ("yes", "true", "on"):
        return 1
    if isinstance(value, str) and value.lower() in ("no", "false", "off", ""):
        return 0
    return 1 if as_int(value) else 0


def as_str(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise Bad(f"{value!r} is not a string")


def as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [as_str(v) for v in value]
    return [as_str(value)]


def as_str_or_list(value: Any) -> XlValue:
    return as_list(value) if isinstance(value, list | tuple) else as_str(value)


# --------------------------------------------------------------------------- handlers

Handler = Callable[[Ctx, LegacyValue], None]


def xl_bootloader(path: str) -> str:
    """pygrub by name, wherever the old host kept it: xl runs its own from its libexec
    directory (a path such as /usr/bin/pygrub is not on an xl host)."""
    return "pygrub" if os.path.basename(path) == "pygrub" else path


def pygrub_note(path: str) -> str:
    """The report's reason for :func:`xl_bootloader`'s rewrite of ``path``."""
    return f"{path!r} -> \"pygrub\": xl finds pygrub in its own libexec directory"


def keep(conv: Callable[[Any], XlValue] = as_str, hvm_only: bool = False) -> Handler:
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        if hvm_only and not ctx.hvm:
            ctx.item(v, "dropped", (), "HVM-only option in a PV guest config: xl ignores it")
            return
        ctx.out[v.name] = conv(v.value)
        ctx.item(v, "kept", (v.name,), "")
    return handle


def rename(new: str, conv: Callable[[Any], XlValue] = as_str, detail: str = "") -> Handler:
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        ctx.out[new] = conv(v.value)
        ctx.item(v, "renamed", (new,), detail or f"xl calls it {new}")
    return handle


def drop(reason: str) -> Handler:
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        ctx.item(v, "dropped", (), reason)
    return handle


def decide(reason: str) -> Handler:
    def handle(ctx: Ctx, v: LegacyValue) -> None:
        ctx.item(v, "decision", (), f"{reason} (value was {v.value!r})")
    return handle
