"""What the legacy-config tests share: the libxl JSON the reference xl makes of
a migrated xl.cfg, and paths into it."""

from __future__ import annotations

import json
from typing import Any


def xl_json(reference: Any, xlcfg: str) -> dict[str, Any]:
    """``xl -N create`` of the xl.cfg text: it must accept it; its libxl JSON."""
    res = reference.xl_dryrun_text(xlcfg)
    assert res.rc == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def dig(data: Any, path: str) -> Any:
    """``a/0/b`` in nested dicts and lists; None where it is missing."""
    for part in path.split("/"):
        if isinstance(data, list):
            data = data[int(part)] if int(part) < len(data) else None
        else:
            data = data.get(part)
        if data is None:
            return None
    return data


def means(reference: Any, xlcfg: str, expect: dict[str, Any]) -> None:
    """The reference xl reads ``xlcfg`` with the ``expect``-ed values (JSON paths)."""
    data = xl_json(reference, xlcfg)
    assert {key: dig(data, key) for key in expect} == expect
