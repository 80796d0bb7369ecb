"""``xl-py check [-q] [--json] [--macs DIR] CFG...``: lint domain configs.

xl silently ignores keys it does not know and keys that do nothing for the
guest type; ``check`` reports them, with the deprecated keys, every error
``create`` would give and the warnings xl would print, each at
``file:line:col`` with a fix hint.  Exit status: 0 clean, 3 warnings only,
1 errors (2 usage).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from xl_py.cli.context import Context
from xl_py.cli.opts import Opt, parse
from xl_py.errors import ConfigError, Diagnostic, UsageError

OPTS = (
    Opt("quiet", "q", "quiet"),
    Opt("json", "", "json"),
    Opt("macs", "", "macs", arg=True),
    Opt("xl_conf", "", "xl-conf", arg=True),
    Opt("help", "h", "help"),
)

EXIT_CLEAN, EXIT_ERRORS, EXIT_WARNINGS = 0, 1, 3


def run(ctx: Context, argv: list[str]) -> int:
    opts = parse(argv, OPTS, "check")
    if opts.flag("help"):
        from xl_py.cli.commands.help import run as help_run

        return help_run(ctx, ["check"])
    macs_dir = opts.value("macs")
    if not opts.args and macs_dir is None:
        raise UsageError("check: no config file given (xl-py check CFG...)")
    from xl_py.cli.commands.create import load_xlconf

    xlconf, _ = load_xlconf(ctx, opts.value("xl_conf"))
    findings: list[tuple[str, Diagnostic]] = []
    for path in opts.args:
        findings.extend((path, d) for d in lint_file(path, xlconf))
    code = _report(ctx, findings, quiet=opts.flag("quiet"), as_json=opts.flag("json"))
    if macs_dir is not None:
        from importlib import import_module

        try:
            macs = import_module("xl_py.cli.commands.check_macs")
        except ImportError:
            raise UsageError("check: --macs is not available in this build") from None
        code = max(code, int(macs.run_macs(ctx, macs_dir)), key=_severity_rank)
    return code


def _severity_rank(code: int) -> int:
    return {EXIT_CLEAN: 0, EXIT_WARNINGS: 1, EXIT_ERRORS: 2}.get(code, 3)


def lint_file(path: str, xlconf: Any = None) -> list[Diagnostic]:
    """Every finding for one file: errors first, then warnings, in file order."""
    from xl_py.cli.commands.create import read_config
    from xl_py.errors import XlPyError

    try:
        text = read_config(path)
        from xl_py.pipeline import read_raw

        raw = read_raw(text, path)
    except ConfigError as exc:
        return list(exc.diagnostics())
    except XlPyError as exc:
        return [Diagnostic("error", str(exc))]
    return lint_raw(raw, xlconf)


def lint_raw(raw: Any, xlconf: Any = None) -> list[Diagnostic]:
    from xl_py.settings.domain import analyse

    result = analyse(raw, xlconf=xlconf, strict=True)
    found = [*result.errors, *raw.document.warnings, *raw.warnings, *result.warnings]
    found.extend(_key_findings(raw, result.domain_type.value,
                               {d.message.split(":", 1)[0] for d in found}))
    found.extend(_overridden(raw))
    return sorted(found, key=lambda d: (d.severity != "error", d.source is None, d.start))


def _known_keys() -> tuple[dict[str, Any], set[str]]:
    from xl_py.settings.domain import KEY_INDEX

    device_keys: set[str] = set()
    try:
        from xl_py.settings.devices import DEVICE_KEYS

        device_keys = {k.name for k in DEVICE_KEYS}
    except ImportError:
        pass
    return {k: v for k, v in KEY_INDEX.items() if not k.startswith("@")}, device_keys


def _key_findings(raw: Any, dtype: str, already: set[str]) -> Iterable[Diagnostic]:
    """Unknown keys (did you mean?), deprecated ones, ones for other types."""
    domain_keys, device_keys = _known_keys()
    known = sorted(set(domain_keys) | device_keys)
    source = raw.document.source
    keys: tuple[str, ...] = raw.keys()
    for key in keys:
        start, end = raw.statement(key).key_span
        row = domain_keys.get(key)
        if row is None and key not in device_keys:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            hint = (f"did you mean '{close[0]}'?" if close
                    else "xl ignores unknown keys silently; remove it or fix its name")
            yield Diagnostic("warning", f"unknown key '{key}'", source, start, end,
                             hint=hint, code="unknown-key")
            continue
        if row is None or key in already:
            continue
        if row.deprecated:
            yield Diagnostic("warning", f"{key}: deprecated", source, start, end,
                             hint=f"use {row.deprecated}", code="deprecated")
        if dtype not in {t.value for t in row.types}:
            kinds = "/".join(sorted(t.value.upper() for t in row.types))
            yield Diagnostic("warning", f"{key}: does nothing for a {dtype.upper()} guest",
                             source, start, end, hint=f"it applies to {kinds} guests; "
                             "remove it or check type=", code="ineffective-key")


def _overridden(raw: Any) -> Iterable[Diagnostic]:
    """``key = ...`` given again later: xl keeps the last one silently."""
    source = raw.document.source
    last: dict[str, Any] = {}
    for statement in reversed(raw.statements):
        later = last.get(statement.key)
        if later is not None and later.op == "=":
            line, _ = source.line_col(later.key_span[0])
            start, end = statement.key_span
            yield Diagnostic("warning", f"{statement.key}: set again on line {line}; this "
                             "value is not used", source, start, end,
                             hint="xl uses the last assignment; remove one of them",
                             code="overridden")
        last[statement.key] = statement


def _report(ctx: Context, findings: list[tuple[str, Diagnostic]], *, quiet: bool,
            as_json: bool) -> int:
    shown = [(p, d) for p, d in findings if not quiet or d.severity == "error"]
    if as_json:
        ctx.out(json.dumps([_as_dict(p, d) for p, d in shown], indent=2))
    else:
        for _, diag in shown:
            ctx.out(diag.format())
    errors = sum(1 for _, d in findings if d.severity == "error")
    warnings = sum(1 for _, d in findings if d.severity == "warning")
    if not as_json and not quiet and findings:
        ctx.err(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        return EXIT_ERRORS
    return EXIT_WARNINGS if warnings else EXIT_CLEAN


def _as_dict(path: str, diag: Diagnostic) -> dict[str, Any]:
    line, col = diag.source.line_col(diag.start) if diag.source else (None, None)
    return {"file": path, "line": line, "column": col, "severity": diag.severity,
            "message": diag.message, "expected": diag.expected, "hint": diag.hint,
            "code": diag.code}
