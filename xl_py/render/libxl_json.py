"""DomainConfig -> exactly what ``xl -N create`` prints (libxl_domain_config_to_json).

libxl generates its JSON with yajl in beautify mode, four-space indent; the
generated ``*_gen_json`` functions (gentypes.py) decide which fields appear:

* nested structs and keyed unions: always (an empty one prints yajl's
  ``{`` newline newline indent ``}``);
* arrays: when they have elements;
* everything else: when it differs from the field's init value (strings when
  non-NULL, defbools when set, bitmaps when a bit is set, lists when non-empty).

The model follows that contract (docs/ARCHITECTURE.md): a field's record
default is its init value, so this renderer is generic.  A keyed union member
carries ``UNION_KEY`` and ``UNION_TAG`` (``"type"``, ``"hvm"``) and is
printed under ``"type.hvm"``.  IDL ``const`` fields are not in the model.
"""

from __future__ import annotations

import enum
from typing import Any

from xl_py._record import MISSING, Record, fields
from xl_py.model._base import Bitmap, CpuidPolicy, KeyValueList

INDENT = "    "

_BUILTINS = (Bitmap, KeyValueList, CpuidPolicy)
_ALWAYS, _ARRAY, _SCALAR = 0, 1, 2
# per struct class: (field name, default, kind)
_FieldPlan = tuple[tuple[str, Any, int], ...]
_PLANS: dict[type, _FieldPlan] = {}
_STRUCT_TYPES: dict[type, bool] = {}
_PADS = [INDENT * n for n in range(64)]


def to_json(config: object) -> str:
    """The JSON text of a model struct, with the trailing newline yajl adds."""
    out: list[str] = []
    _value(config, 0, out)
    out.append("\n")
    return "".join(out)


def _is_struct(val: object) -> bool:
    """A model struct (not one of the special builtins); cached per type."""
    cls = type(val)
    known = _STRUCT_TYPES.get(cls)
    if known is None:
        known = _STRUCT_TYPES[cls] = issubclass(cls, Record) and not issubclass(cls, _BUILTINS)
    return known


def _plan(cls: type) -> _FieldPlan:
    """Per-class list of printable fields (IDL const fields left out)."""
    plan = _PLANS.get(cls)
    if plan is None:
        rows = []
        for f in fields(cls):
            default: Any = f.initial()
            if default is MISSING:
                default = None
            kind = _ALWAYS if _is_struct(default) else \
                _ARRAY if isinstance(default, tuple) else _SCALAR
            rows.append((f.name, default, kind))
        plan = _PLANS[cls] = tuple(rows)
    return plan


def _pad(depth: int) -> str:
    return _PADS[depth] if depth < len(_PADS) else INDENT * depth


def _struct(obj: Any, depth: int, out: list[str]) -> None:
    """A struct: the fields gentypes.py's get_default_expr lets through,
    written as a yajl map as they are found."""
    inner = _pad(depth + 1)
    out.append("{\n")
    sep = ""
    for name, default, kind in _plan(type(obj)):
        val = getattr(obj, name)
        if val is None:
            continue
        if kind == _SCALAR:
            if val == default or (isinstance(val, _BUILTINS) and not val):
                continue
            if _is_struct(val):  # a keyed union held in a field defaulting to None
                name = _key(name, val)
        elif kind == _ARRAY:
            if not val:
                continue
        else:
            name = _key(name, val)
        out.append(sep)
        out.append(inner)
        out.append(_string(name))
        out.append(": ")
        _value(val, depth + 1, out)
        sep = ",\n"
    out.append("\n")
    out.append(_pad(depth))
    out.append("}")


def _key(name: str, val: object) -> str:
    """A keyed union member prints as "<keyvar>.<tag>" (gen_map_key)."""
    tag = getattr(val, "UNION_TAG", None)
    keyvar = getattr(val, "UNION_KEY", None)
    return name if tag is None or keyvar is None else f"{keyvar}.{tag}"


def _map(entries: list[tuple[str, Any]], depth: int, out: list[str]) -> None:
    """yajl beautify: one entry a line; an empty map is '{', blank line, '}'."""
    inner = _pad(depth + 1)
    out.append("{\n")
    sep = ""
    for key, val in entries:
        out.append(sep)
        out.append(inner)
        out.append(_string(key))
        out.append(": ")
        _value(val, depth + 1, out)
        sep = ",\n"
    out.append("\n")
    out.append(_pad(depth))
    out.append("}")


def _array(items: list[Any] | tuple[Any, ...], depth: int, out: list[str]) -> None:
    inner = _pad(depth + 1)
    out.append("[\n")
    sep = ""
    for item in items:
        out.append(sep)
        out.append(inner)
        _value(item, depth + 1, out)
        sep = ",\n"
    out.append("\n")
    out.append(_pad(depth))
    out.append("]")


def _value(val: Any, depth: int, out: list[str]) -> None:
    cls = type(val)
    if cls is str:
        out.append(_string(val))
    elif cls is int:
        out.append(str(val))
    elif cls is bool:
        out.append("true" if val else "false")
    elif _is_struct(val):
        _struct(val, depth, out)
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
    elif isinstance(val, int):
        out.append(str(int(val)))
    elif isinstance(val, str):
        out.append(_string(str(val)))
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
