"""Helpers shared by the runtime commands: backend, domain lookup, sizes, JSON."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xl_py.cli.opts import Opt, Parsed, parse
from xl_py.errors import OperationError, UsageError, XlPyError

if TYPE_CHECKING:
    from xl_py.backends.base import Backend, Progress
    from xl_py.cli.context import Context

JSON_OPT = Opt("json", "", "json")


class HelpShown(XlPyError):
    """``-h``: the usage went to stdout; stop here with exit status 0, no message."""

    exit_code = 0

    def diagnostics(self) -> tuple[()]:
        return ()


def options(ctx: Context, argv: Sequence[str], table: Sequence[Opt], nargs: int | None = None,
            at_least: int = 0) -> Parsed:
    """Parse a command's options; check its positional count like SWITCH_FOREACH_OPT."""
    name = ctx.command.name if ctx.command else ""
    parsed = parse(argv, (*table, Opt("help", "h", "help")), name)
    if parsed.flag("help"):
        ctx.out(_usage(ctx))
        raise HelpShown()
    if nargs is not None and len(parsed.args) != nargs:
        raise UsageError(f"'xl {name}' requires {nargs} argument{'s' if nargs != 1 else ''}."
                         f"\n\n{_usage(ctx)}" if len(parsed.args) < nargs else
                         f"'xl {name}' takes {nargs} argument{'s' if nargs != 1 else ''}."
                         f"\n\n{_usage(ctx)}")
    if len(parsed.args) < at_least:
        raise UsageError(f"'xl {name}' requires at least {at_least} argument"
                         f"{'s' if at_least != 1 else ''}.\n\n{_usage(ctx)}")
    return parsed


def _usage(ctx: Context) -> str:
    cmd = ctx.command
    if cmd is None:
        return ""
    text = f"Usage: xl-py [-v] {cmd.name} {cmd.usage}\n\n{cmd.summary}."
    return text + (f"\n\nOptions:\n\n{cmd.options}" if cmd.options else "")


def backend(ctx: Context) -> Backend:
    """The backend chosen by ``-c/--connect`` (or XL_PY_BACKEND), opened once."""
    cached = getattr(ctx, "_backend", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from xl_py.backends import open_backend

    be = open_backend(ctx.connect, ctx.environ)
    object.__setattr__(ctx, "_backend", be)
    return be


def close(ctx: Context) -> None:
    be = getattr(ctx, "_backend", None)
    if be is not None:
        be.close()
        object.__setattr__(ctx, "_backend", None)


def find_domain(ctx: Context, ident: str) -> int:
    """A domid, name or UUID -> domid (xl's find_domain, but it checks existence)."""
    return backend(ctx).resolve(ident)


def print_json(ctx: Context, value: object) -> None:
    import json

    ctx.out(json.dumps(value, indent=4))


_SHIFT = {"t": 30, "g": 20, "m": 10, "": 10, "k": 0}


def parse_mem_size_kb(text: str) -> int:
    """xl's parse_mem_size_kb: a number with an optional t/g/m/k/b suffix (no suffix: MiB)."""
    import re

    m = re.match(r"^([0-9]+)([tTgGmMkKbB]?)$", text.strip())
    if not m:
        raise OperationError(f"invalid memory size: {text}")
    value, suffix = int(m.group(1)), m.group(2).lower()
    if suffix == "b":
        return value >> 10
    return value << _SHIFT[suffix]


def parse_cpulist(text: str, max_cpus: int | None = None) -> tuple[int, ...] | None:
    """xl's cpu list ("all", "0-3,^2", "1,3") -> sorted cpus; None means all."""
    import re

    text = text.strip()
    if text in ("all", "-1"):
        return None
    chosen: set[int] = set()
    removed: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        neg = part.startswith("^")
        body = part[1:] if neg else part
        if body == "all":
            span = set(range(max_cpus or 0))
        else:
            m = re.match(r"^([0-9]+)(?:-([0-9]+))?$", body)
            if not m:
                raise OperationError(f"invalid cpu list '{text}' (expected e.g. 0-3,^2 or all)")
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if hi < lo:
                raise OperationError(f"invalid cpu range '{body}' in '{text}'")
            span = set(range(lo, hi + 1))
        (removed if neg else chosen).update(span)
    if max_cpus is not None:
        bad = sorted(c for c in chosen if c >= max_cpus)
        if bad:
            raise OperationError(f"cpu {bad[0]} does not exist (the host has {max_cpus})")
    return tuple(sorted(chosen - removed))


def format_cpulist(cpus: tuple[int, ...] | None, nr_cpus: int | None = None) -> str:
    """xl's print_bitmap: "all", "0-3,6" or "none"."""
    if cpus is None or (nr_cpus is not None and set(cpus) >= set(range(nr_cpus))):
        return "all"
    if not cpus:
        return "none"
    runs: list[str] = []
    start = prev = cpus[0]
    for c in (*cpus[1:], None):
        if c is not None and c == prev + 1:
            prev = c
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if c is not None:
            start = prev = c
    return ",".join(runs)


def progress_printer(ctx: Context) -> Progress:
    """Progress on stderr: one updating line on a terminal, else a line per 10%."""
    last = {"pct": -10}
    tty = hasattr(ctx.stderr, "isatty") and ctx.stderr.isatty()

    def show(what: str, done: int, total: int) -> None:
        if total <= 0:
            ctx.err(what if done == 0 else f"{what}: {done >> 20} MiB")
            return
        pct = min(100, done * 100 // total)
        if tty:
            ctx.stderr.write(f"\r{what}: {pct:3d}% ({done >> 20}/{total >> 20} MiB)")
            if pct == 100:
                ctx.stderr.write("\n")
            ctx.stderr.flush()
        elif pct >= last["pct"] + 10 or (pct == 100 and last["pct"] != 100):
            last["pct"] = pct
            ctx.err(f"{what}: {pct}% ({done >> 20}/{total >> 20} MiB)")

    return show


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def xl_keys(raw: Any) -> dict[str, object]:
    """A RawDomain's keys as the flat mapping render.libvirt_xml.to_xml reads:
    an atom is its text, a list its items' texts (nested lists as lists)."""
    from xl_py.syntax.document import Atom

    def plain(value: Any) -> object:
        if isinstance(value, Atom):
            return value.text
        return [plain(item) for item in value.items]

    return {key: plain(raw.get_value(key)) for key in raw}


def start_monitor(be: Backend, domid: int, foreground: bool = False) -> None:
    """xl's daemonized create/restore/migrate-receive: a process that carries out the
    domain's on_poweroff/on_reboot/on_crash actions, where the backend has one (the
    libxl backend; libvirtd and xenstore leave that to libvirt / nothing)."""
    start = getattr(be, "start_monitor", None)
    if start is not None:
        start(domid, foreground=foreground)
