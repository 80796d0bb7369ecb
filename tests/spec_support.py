"""Test helper: libxl-style JSON of model records, for field-by-field
comparison with the reference's libxl JSON (libxlutil oracle, ``xl -N``).

Deliberately independent of xl_py.render: it encodes only the conventions in
docs/ARCHITECTURE.md (defaults left out, nested structs kept, keyed unions
as ``"key.tag"``), so a model mistake cannot hide behind a renderer mistake.
"""

from __future__ import annotations

import enum
from typing import Any

from xl_py._record import MISSING, fields, is_record
from xl_py.model._base import Bitmap, Defbool


def to_json(obj: Any) -> Any:
    if isinstance(obj, Defbool):
        return obj.value
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Bitmap):
        return obj.to_json()
    if isinstance(obj, tuple):
        return [to_json(item) for item in obj]
    if is_record(obj):
        out: dict[str, Any] = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            default = f.default
            if is_record(value) and hasattr(type(value), "UNION_TAG"):
                out[f"{type(value).UNION_KEY}.{type(value).UNION_TAG}"] = to_json(value)
                continue
            if is_record(value):
                out[f.name] = to_json(value)
                continue
            if value is None or value == () or (default is not MISSING
                                                 and value == default):
                continue
            out[f.name] = to_json(value)
        return out
    return obj
