"""``xl-py check --macs DIR``: MAC addresses used more than once across configs.

Every config under DIR (``*.cfg``, ``*.conf`` and extension-less files, not
recursing) is read by the config core's syntax and raw layers; each
``vif = [...]`` item's ``mac=`` is taken as xl's parse_nic_config takes it
(comma-separated ``key=value`` words).  A MAC in two places (two configs, or
twice in one) is an error at each place, naming the other; when a backend is
selected with ``-c``, MACs of running domains count too.  A config that does
not parse is a warning and is skipped.

Exit codes follow ``check``: 0 clean, 1 collisions, 3 warnings only.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from xl_py._record import Record
from xl_py.backends.macs import is_multicast, validate_mac
from xl_py.errors import ConfigError, Diagnostic, OperationError, Source, UsageError

if TYPE_CHECKING:
    from xl_py.cli.context import Context
    from xl_py.syntax.document import Atom

CONFIG_SUFFIXES = (".cfg", ".conf", ".xl", "")


class MacUse(Record):
    mac: str
    where: str  # "file:line:col" or "running domain name/devid"
    source: Source | None = None
    start: int = 0
    end: int = 0


def config_files(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise UsageError(f"check --macs: cannot read directory {directory}: "
                         f"{exc.strerror}") from None
    out = []
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        if os.path.splitext(name)[1] in CONFIG_SUFFIXES:
            out.append(path)
    return out


def macs_of(text: str, path: str) -> tuple[list[MacUse], list[Diagnostic]]:
    """The ``mac=`` of every vif item in one config, with positions."""
    from xl_py.pipeline import read_raw
    from xl_py.syntax.document import Atom

    raw = read_raw(text, path)
    source = raw.document.source
    vif = raw.get_list("vif", lenient=True)
    uses: list[MacUse] = []
    problems: list[Diagnostic] = []
    for item in vif.items if vif is not None else ():
        if not isinstance(item, Atom):
            continue
        offset = _text_offset(source.text, item)
        for word in item.text.split(","):
            key, eq, value = word.strip().partition("=")
            if not eq or key.strip() != "mac":
                continue
            start = item.text.find(value, item.text.find(word)) + offset
            end = start + len(value)
            try:
                mac = validate_mac(value.strip())
            except OperationError as exc:
                problems.append(Diagnostic("error", str(exc), source, start, end,
                                           code="bad-mac"))
                continue
            if is_multicast(mac):
                problems.append(Diagnostic("warning", f"MAC {mac} is a multicast address",
                                           source, start, end, code="multicast-mac"))
            line, col = source.line_col(start)
            uses.append(MacUse(mac, f"{path}:{line}:{col}", source, start, end))
    return uses, problems


def _text_offset(text: str, atom: Atom) -> int:
    """Offset of the atom's text inside the file: after its opening quote."""
    start, end = atom.span
    inner = text[start:end]
    return start + 1 if inner[:1] in ("'", '"') else start


def collisions(uses: list[MacUse]) -> list[Diagnostic]:
    by_mac: dict[str, list[MacUse]] = {}
    for use in uses:
        by_mac.setdefault(use.mac, []).append(use)
    out: list[Diagnostic] = []
    for mac, places in sorted(by_mac.items()):
        if len(places) < 2:
            continue
        for use in places:
            if use.source is None:
                continue  # a running domain: reported from the config's side
            others = ", ".join(p.where for p in places if p is not use)
            out.append(Diagnostic("error", f"MAC {mac} is also used by {others}", use.source,
                                  use.start, use.end, code="duplicate-mac"))
    return out


def running_macs(ctx: Context) -> list[MacUse]:
    if not ctx.connect:
        return []
    from xl_py.cli.commands._runtime import backend

    return [MacUse(mac, f"running domain {where}")
            for mac, where in sorted(backend(ctx).used_macs().items())]


def run_macs(ctx: Context, directory: str, as_json: bool = False) -> int:
    uses: list[MacUse] = []
    diags: list[Diagnostic] = []
    for path in config_files(directory):
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            found, problems = macs_of(text, path)
        except ConfigError as exc:
            diags.append(Diagnostic("warning", f"{path}: skipped, it does not parse "
                                    f"({len(exc.diagnostics())} problem(s))",
                                    code="unparsed-config"))
            continue
        except OSError as exc:
            diags.append(Diagnostic("warning", f"{path}: skipped: {exc.strerror}",
                                    code="unreadable-config"))
            continue
        uses.extend(found)
        diags.extend(problems)
    uses.extend(running_macs(ctx))
    diags.extend(collisions(uses))
    if as_json:
        ctx.out(json.dumps({"macs": {u.mac: [p.where for p in uses if p.mac == u.mac]
                                     for u in uses},
                            "findings": [{"severity": d.severity, "code": d.code,
                                          "where": d.location(), "message": d.message}
                                         for d in diags]}, indent=4))
    else:
        for d in diags:
            ctx.err(d.format())
    if any(d.severity == "error" for d in diags):
        return 1
    return 3 if diags else 0
