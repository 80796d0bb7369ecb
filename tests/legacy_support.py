"""What the legacy-config tests share: the libxl JSON the reference xl makes of
a migrated xl.cfg, and paths into it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXED_UUID = "00000000-0000-4000-8000-00000000abcd"  # the uuid migrate-config adds


def migrated(path: Path, name: str, **options: Any) -> str:
    """``migrate-config`` of the file (shown as ``name``): it must convert; its text."""
    from xl_py.cli.commands.migrate_config import Options, convert_text

    result = convert_text(path.read_bytes(), name,
                          Options(new_uuid=lambda: FIXED_UUID, **options))
    assert result.status == "ok", [d.format() for d in result.diagnostics]
    return result.text


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
