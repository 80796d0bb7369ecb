"""The config core end to end: xl.cfg text -> Document -> RawDomain ->
DomainConfig -> libxl JSON.  Used by ``xl-py create -N``, ``check`` and the
benchmarks; pure apart from the random UUID xl generates when none is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from xl_py._types import HostInfo
from xl_py.errors import Diagnostic

if TYPE_CHECKING:
    from xl_py.model.domain import DomainConfig
    from xl_py.settings.raw import RawDomain
    from xl_py.settings.xlconf import XlConf


@dataclass(frozen=True, slots=True)
class Built:
    """The result of building one config: the model and what xl would warn."""

    config: DomainConfig
    raw: RawDomain
    warnings: tuple[Diagnostic, ...]


def with_extra(text: str, extra: list[str] | tuple[str, ...]) -> str:
    """xl create's ``key=value`` arguments: appended as "\\n<lines>\\n"."""
    if not extra:
        return text
    return text + "\n" + "".join(line + "\n" for line in extra) + "\n"


def read_raw(text: str | bytes, name: str) -> RawDomain:
    from xl_py.settings.raw import RawDomain
    from xl_py.syntax import parse_xlcfg

    return RawDomain.from_document(parse_xlcfg(text, name))


def build(text: str | bytes, name: str, host: HostInfo | None = None,
          xlconf: XlConf | None = None, *, uuid: str | None = None) -> Built:
    """Parse and type one config; raise ConfigError with every problem.

    ``uuid``: the UUID to use when the config has none (default: random, as
    xl's libxl_uuid_generate)."""
    from xl_py.settings.domain import from_raw

    raw = read_raw(text, name)
    config, warnings = from_raw(raw, host, xlconf)
    if config.c_info.uuid is None:
        config = replace(config, c_info=replace(config.c_info, uuid=uuid or random_uuid()))
    doc_warnings = tuple(raw.document.warnings) + tuple(raw.warnings)
    return Built(config, raw, doc_warnings + warnings)


def to_json(config: DomainConfig) -> str:
    from xl_py.render.libxl_json import to_json as render

    return render(config)


def random_uuid() -> str:
    """A version 4 UUID, formatted as libxl prints it."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
