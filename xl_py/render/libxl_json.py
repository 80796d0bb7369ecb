"""DomainConfig -> exactly what ``xl -N create`` prints (libxl_domain_config_to_json).

libxl generates its JSON with yajl in beautify mode, four-space indent; the
generated ``*_gen_json`` functions (gentypes.py) decide which fields appear:

* nested structs and keyed unions: always (an empty one prints yajl's
  ``{`` newline newline indent ``}``);
* arrays: when they have elements;
* everything else: when it differs from the field's init value (strings when
  non-NULL, defbools when set, bitmaps when a bit is set, lists when non-empty).

The model follows that contract (docs/ARCHITECTURE.md): a field's dataclass
default is its init value, so this renderer is generic.  A keyed union member
carries ``UNION_KEY`` and ``UNION_TAG`` (``"type"``, ``"hvm"``) and is
printed under ``"type.hvm"``.  A field
whose metadata has ``json=False`` is never printed (IDL ``const`` fields).
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from xl_py.model._base import Bitmap, CpuidPolicy, KeyValueList

INDENT = "    "

_BUILTINS = (Bitmap, KeyValueList, CpuidPolicy)
_FieldPlan = tuple[tuple[str, Any, bool], ...]  # (name, default, always)
_PLANS: dict[type, _FieldPlan] = {}


def to_json(config: object) -> str:
    """The JSON text of a model struct, with the trailing newline yajl adds."""
    out: list[str] = []
    _value(config, 0, out)
    out.append("\n")
    return "".join(out)


_STRUCT_TYPES: dict[type, bool] = {}


def _is_struct(val: object) -> bool:
    """A model struct (not one of the special builtins); cached per type."""
    cls = type(val)
    known = _STRUCT_TYPES.get(cls)
    if known is None:
        known = _STRUCT_TYPES[cls] = is_dataclass(cls) and not issubclass(cls, _BUILTINS)
    return known


def _plan(cls: type) -> _FieldPlan:
    """Per-class list of printable fields: (name, default, always-print)."""
    plan = _PLANS.get(cls)
    if plan is None:
        rows = []
        for f in fields(cls):
            if f.metadata.get("json", True) is False:
                continue
            if f.default is not MISSING:
                default: Any = f.default
            elif f.default_factory is not MISSING:
                default = f.default_factory()
            else:
                default = None
            rows.append((f.name, default, _is_struct(default)))
        plan = tuple(rows)
        _PLANS[cls] = plan
    return plan


def _struct(obj: Any, depth: int, out: list[str]) -> None:
    """A struct: the fields gentypes.py's get_default_expr lets through."""
    entries: list[tuple[str, Any]] = []
    for name, default, always in _plan(type(obj)):
        val = getattr(obj, name)
        if val is None:
            continue
        if always or _is_struct(val):
            entries.append((_key(name, val), val))
        elif isinstance(val, tuple):
            if val:
                entries.append((name, val))
        elif val != default and (not isinstance(val, _BUILTINS) or bool(val)):
            entries.append((name, val))
    _map(entries, depth, out)


def _key(name: str, val: object) -> str:
    """A keyed union member prints as "<keyvar>.<tag>" (gen_map_key)."""
    tag = getattr(val, "UNION_TAG", None)
    keyvar = getattr(val, "UNION_KEY", None)
    return name if tag is None or keyvar is None else f"{keyvar}.{tag}"


def _map(entries: list[tuple[str, Any]], depth: int, out: list[str]) -> None:
    """yajl beautify: one entry a line; an empty map is '{', blank line, '}'."""
    pad = INDENT * (depth + 1)
    out.append("{\n")
    first = True
    for key, val in entries:
        if not first:
            out.append(",\n")
        first = False
        out.append(pad)
        out.append(_string(key))
        out.append(": ")
        _value(val, depth + 1, out)
    out.append("\n")
    out.append(INDENT * depth)
    out.append("}")


def _array(items: list[Any] | tuple[Any, ...], depth: int, out: list[str]) -> None:
    pad = INDENT * (depth + 1)
    out.append("[\n")
    first = True
    for item in items:
        if not first:
            out.append(",\n")
        first = False
        out.append(pad)
        _value(item, depth + 1, out)
    out.append("\n")
    out.append(INDENT * depth)
    out.append("]")


def _value(val: Any, depth: int, out: list[str]) -> None:
    if _is_struct(val):
        _struct(val, depth, out)
    elif isinstance(val, bool):
        out.append("true" if val else "false")
    elif isinstance(val, int):
        out.append(str(val))
    elif isinstance(val, str):
        out.append(_string(val))
    elif isinstance(val, enum.Enum):
        out.append(_string(str(val.value)))
    elif isinstance(val, tuple | list):
        _array(val, depth, out)
    elif isinstance(val, dict):
        _map(list(val.items()), depth, out)
    elif isinstance(val, Bitmap):
        _array(val.to_json(), depth, out)
    elif isinstance(val, KeyValueList):
        _map(list(val.items), depth, out)
    elif isinstance(val, CpuidPolicy):
        _map(_cpuid_entries(val), depth, out)
    elif val is None:
        out.append("null")
    else:
        raise TypeError(f"cannot render {type(val).__name__} as libxl JSON")


def _cpuid_entries(policy: CpuidPolicy) -> list[tuple[str, Any]]:
    """libxl_cpuid_policy_list_gen_json: {"cpuid": [...], "msr": [...]};
    per leaf: leaf, subleaf (when given), then eax..edx that are set."""
    leaves: list[dict[str, Any]] = []
    for leaf, subleaf, regs in policy.entries:
        entry: dict[str, Any] = {"leaf": leaf}
        if subleaf is not None:
            entry["subleaf"] = subleaf
        given = dict(regs)
        for reg in ("eax", "ebx", "ecx", "edx"):
            if reg in given:
                entry[reg] = given[reg]
        leaves.append(entry)
    msrs = [{"index": index, "policy": pol} for index, pol in policy.msrs]
    return [("cpuid", leaves), ("msr", msrs)]


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _string(text: str) -> str:
    """yajl_string_encode: quotes, backslash, named escapes, \\u00XX for the
    other control characters; '/' and non-ASCII are written as they are."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    parts = ['"']
    for ch in text:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            parts.append(esc)
        elif ord(ch) < 0x20:
            parts.append(f"\\u00{ord(ch):02X}")
        else:
            parts.append(ch)
    parts.append('"')
    return "".join(parts)
