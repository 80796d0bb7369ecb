"""Helpers shared by the xl.cfg keys -> libvirt XML renderer's modules: how
libvirt's xen-xl reader takes a value (xl's strtol numbers, '1' booleans,
device lists of strings, key=value specs) and the element builder."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from xl_py.errors import ConfigValueError

Cfg = Mapping[str, Any]


def get(cfg: Cfg, key: str, default: Any = None) -> Any:
    value = cfg.get(key, default)
    return default if value is None else value


def integer(cfg: Cfg, key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None:
        return default
    number = value if isinstance(value, int) else strtol(str(value))
    if number is None:
        raise ConfigValueError.at(f"config value {key} was malformed")
    return number


def strtol(text: str) -> int | None:
    """C's strtol(text, &end, 0) over the whole text, as xl reads numbers
    (``0x200`` is hex, ``01000`` octal)."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    try:
        if body[:2].lower() == "0x":
            return sign * int(body[2:], 16)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body[1:], 8)
        return sign * int(body, 10)
    except ValueError:
        return None


def boolean(cfg: Cfg, key: str, default: int) -> int:
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, int):
        return 1 if value else 0
    return 1 if str(value) == "1" else 0


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def os_type(cfg: Cfg) -> str:
    kind = get(cfg, "type")
    if kind in ("pv", "pvh", "hvm"):
        return str(kind)
    return "hvm" if get(cfg, "builder") == "hvm" else "pv"


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def specs(cfg: Cfg, key: str) -> list[str]:
    """A device list key as xl reads it: a list of strings; a plain string is
    not a list (xl ignores the key) and nested lists are skipped."""
    value = cfg.get(key)
    if not isinstance(value, list | tuple):
        return []
    return [v for v in value if isinstance(v, str)]


def kv(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            out.setdefault(key.strip(), value.strip())
    return out
