"""``xl-py migrate-config SRC... [--to xl|libvirt|json] [-o DIR] [--report text|json]``.

Converts legacy xm configs, xend SXP configs (and libvirt domain XML) into
xl.cfg files, libvirt XML or libxl JSON, with a per-file, per-key report:
kept / renamed / changed / dropped (with the reason) / decision / added /
ignored.  One file and no ``-o``: the result goes to stdout, the report to
stderr.  Directories are walked like /etc/xen (helper files such as
xend-config.sxp, xl.conf, READMEs and scripts/ are skipped).  Nothing is
written over an existing file without ``--force``; a failed file does not stop
the batch; the exit status is 1 when any file failed.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xl_py._record import Record, field
from xl_py._types import HostInfo
from xl_py.cli.context import Context
from xl_py.cli.opts import Opt, parse
from xl_py.errors import Diagnostic, Source, UsageError, XlPyError

if TYPE_CHECKING:  # settings import lark lazily: keep xl-py start-up cheap
    from xl_py.settings.legacy import Migration

OPTS = (
    Opt("to", "t", "to", arg=True),
    Opt("output", "o", "output", arg=True),
    Opt("report", "r", "report", arg=True),
    Opt("define", "D", "define", arg=True, repeat=True),
    Opt("force", "f", "force"),
    Opt("source_format", "", "from", arg=True),
    Opt("arch", "", "arch", arg=True),
    Opt("help", "h", "help"),
)

TARGETS = ("xl", "libvirt", "json")
REPORTS = ("text", "json")
SOURCE_FORMATS = ("auto", "xm", "sxp", "xml", "xl")

# files in an /etc/xen tree that are not guest configs
_SKIP_NAMES = ("README", "xend-config", "xend-pci-", "xl.conf", "xm-config.xml", "cpupool",
               "xenapi", "xendomains")
_SKIP_DIRS = frozenset({"scripts", "auto", "examples"})
_SKIP_SUFFIXES = (".rpmsave", ".rpmnew", ".orig", ".bak", "~", ".swp", ".dpkg-old",
                  ".dpkg-dist", ".json")


class FileResult(Record, frozen=False):
    """One input file: what became of it."""

    source: str
    output: str | None = None
    status: str = "ok"  # ok | failed | skipped
    kind: str = ""
    text: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Options(Record):
    target: str = "xl"
    source_format: str = "auto"
    defines: tuple[tuple[str, str], ...] = ()
    host: HostInfo = field(default_factory=HostInfo)
    new_uuid: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))


# --------------------------------------------------------------------------- conversion


def sniff(text: str) -> str:
    """'sxp' when the first non-comment character is '(', 'xml' for '<', else 'xm'."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("("):
            return "sxp"
        if stripped.startswith("<"):
            return "xml"
        return "xm"
    return "xm"


def convert_text(text: str | bytes, name: str, opts: Options) -> FileResult:
    """Convert one config's text; never raises XlPyError (it lands in the result)."""
    result = FileResult(name)
    try:
        _convert(text, name, opts, result)
    except XlPyError as exc:
        result.status = "failed"
        result.diagnostics.extend(exc.diagnostics())
    return result


def _convert(text: str | bytes, name: str, opts: Options, result: FileResult) -> None:
    from xl_py.render.xlcfg import render_keys
    from xl_py.settings.legacy import from_xm, migrate

    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    kind = opts.source_format if opts.source_format != "auto" else sniff(decoded)
    result.kind = kind
    migration: Migration
    if kind == "xl":
        migration = _from_xlcfg(text, name)
    elif kind == "xml":
        from xl_py.settings.libvirt_xml import xml_to_migration

        migration = xml_to_migration(text, name, opts.new_uuid)
    elif kind == "sxp":
        from xl_py.settings.legacy_sxp import from_sxp
        from xl_py.syntax.sxp import parse_sxp

        migration = migrate(from_sxp(parse_sxp(text, name)), opts.new_uuid)
    else:
        from xl_py.syntax.xm import read_xm

        cfg = read_xm(text, name, opts.host, dict(opts.defines))
        migration = migrate(from_xm(cfg), opts.new_uuid)
    result.diagnostics.extend(migration.diagnostics)
    result.items = [_item(migration.source, r) for r in migration.report]
    if migration.errors:
        result.status = "failed"
        return
    xlcfg = render_keys(migration.entries, migration.comments)
    result.text = _render_target(xlcfg, migration, name, opts)
    if opts.target == "libvirt":
        result.items.extend(_libvirt_losses(migration))


def _libvirt_losses(migration: Any) -> list[dict[str, Any]]:
    """xl.cfg keys libvirt's domain XML (xen-xl) has no element for."""
    from xl_py.render.libvirt_xml import XML_KEYS

    return [{"key": key, "status": "dropped", "xl": [], "line": 0, "col": 0,
             "detail": f"libvirt's domain XML has no element for xl's {key}= "
                       "(virsh domxml-to-native would not write it back either)"}
            for key, _ in migration.entries if key not in XML_KEYS]


def _from_xlcfg(text: str | bytes, name: str) -> Migration:
    """--from xl: an xl.cfg already; only --to libvirt / json change anything."""
    from xl_py.settings.legacy import Migration, ReportItem
    from xl_py.settings.libvirt_xml import xlcfg_values

    values = xlcfg_values(text, name)
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    report = tuple(ReportItem(k, "kept", (k,), "") for k in values)
    return Migration(Source(name, decoded), "xl", tuple(values.items()), (), report, ())


def _render_target(xlcfg: str, migration: Any, name: str, opts: Options) -> str:
    """xl: the xl.cfg text; json: through the config core, exactly what ``xl -N``
    prints for that text; libvirt: the XML libvirt's xen-xl reader makes of it."""
    if opts.target == "xl":
        return xlcfg
    if opts.target == "libvirt":
        from xl_py.render.libvirt_xml import to_xml

        return to_xml(dict(migration.entries))
    from xl_py import pipeline
    from xl_py.render.libxl_json import to_json

    return to_json(pipeline.build(xlcfg, name, opts.host).config)


def _item(source: Source, r: Any) -> dict[str, Any]:
    line, col = source.line_col(r.start) if r.end > r.start else (0, 0)
    return {"key": r.key, "status": r.status, "xl": list(r.xl), "detail": r.detail,
            "line": line, "col": col}


# --------------------------------------------------------------------------- files


def _skipped(path: Path) -> bool:
    name = path.name
    return (name.startswith(".") or name.startswith(_SKIP_NAMES)
            or name.endswith(_SKIP_SUFFIXES))


def walk(src: Path) -> Iterator[tuple[Path, Path]]:
    """(file, path relative to the output dir) for a file or an /etc/xen-style tree."""
    if not src.is_dir():
        yield src, Path(src.name)
        return
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not _skipped(path) and path.is_file():
                yield path, path.relative_to(src)


def output_name(rel: Path, target: str) -> Path:
    if target == "xl":
        return rel
    suffix = ".xml" if target == "libvirt" else ".json"
    return rel.with_suffix(suffix) if rel.suffix in (".cfg", ".sxp", ".xm") else Path(
        str(rel) + suffix)


def write_new(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- report


def report_text(results: list[FileResult]) -> str:
    lines: list[str] = []
    for r in results:
        where = f" -> {r.output}" if r.output else ""
        lines.append(f"{r.source}: {r.status} ({r.kind or '?'}){where}")
        for d in r.diagnostics:
            lines.append(d.format())
        for item in r.items:
            pos = f"{r.source}:{item['line']}:{item['col']}" if item["line"] else r.source
            xl = f" -> {', '.join(item['xl'])}" if item["xl"] and item["status"] != "kept" else ""
            detail = f": {item['detail']}" if item["detail"] else ""
            lines.append(f"{pos}: {item['status']}: {item['key']}{xl}{detail}")
    failed = [r.source for r in results if r.status == "failed"]
    lines.append(f"{len(results)} file(s): {len(results) - len(failed)} converted, "
                 f"{len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


def report_json(results: list[FileResult]) -> str:
    files = []
    for r in results:
        files.append({
            "source": r.source, "output": r.output, "status": r.status, "kind": r.kind,
            "diagnostics": [{"severity": d.severity, "message": d.message,
                             "location": d.location(), "text": d.format()}
                            for d in r.diagnostics],
            "keys": r.items,
        })
    failed = [r.source for r in results if r.status == "failed"]
    return json.dumps({"files": files, "failed": failed}, indent=2)


# --------------------------------------------------------------------------- command


def _options(values: Any) -> tuple[Options, str]:
    target = values.value("to") or "xl"
    if target not in TARGETS:
        raise UsageError(f"migrate-config: --to must be one of {', '.join(TARGETS)}")
    report = values.value("report") or "text"
    if report not in REPORTS:
        raise UsageError(f"migrate-config: --report must be one of {', '.join(REPORTS)}")
    source_format = values.value("source_format") or "auto"
    if source_format not in SOURCE_FORMATS:
        raise UsageError(f"migrate-config: --from must be one of {', '.join(SOURCE_FORMATS)}")
    defines = []
    for item in values.values_of("define"):
        name, eq, value = item.partition("=")
        if not eq or not name.isidentifier():
            raise UsageError(f"migrate-config: --define wants VAR=VALUE, not '{item}'")
        defines.append((name, value))
    host = HostInfo(arch=values.value("arch")) if values.value("arch") else HostInfo()
    return Options(target, source_format, tuple(defines), host), report


def run(ctx: Context, argv: list[str]) -> int:
    values = parse(argv, OPTS, "migrate-config")
    if values.flag("help"):
        from xl_py.cli.commands.help import run as help_run

        return help_run(ctx, ["migrate-config"])
    opts, report = _options(values)
    if not values.args:
        raise UsageError("migrate-config: no source given (files or directories)")
    outdir = values.value("output")
    sources = [Path(a) for a in values.args]
    single = outdir is None
    if single and (len(sources) > 1 or sources[0].is_dir()):
        raise UsageError("migrate-config: several files need -o DIR")
    results: list[FileResult] = []
    for src in sources:
        if not src.exists():
            results.append(FileResult(str(src), status="failed", diagnostics=[
                Diagnostic("error", f"{src}: no such file or directory")]))
            continue
        for path, rel in walk(src):
            result = _one(path, rel, opts, outdir, values.flag("force") or ctx.force)
            results.append(result)
            if single and result.status == "ok":
                ctx.stdout.write(result.text)
    text = report_json(results) if report == "json" else report_text(results)
    (ctx.stderr if single else ctx.stdout).write(text + "\n")
    return 1 if any(r.status == "failed" for r in results) else 0


def _one(path: Path, rel: Path, opts: Options, outdir: str | None, force: bool) -> FileResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(str(path), status="failed",
                          diagnostics=[Diagnostic("error", f"{path}: {exc.strerror}")])
    result = convert_text(data, str(path), opts)
    if result.status != "ok" or outdir is None:
        return result
    target = Path(outdir) / output_name(rel, opts.target)
    try:
        write_new(target, result.text, force)
    except OSError as exc:
        result.status = "failed"
        result.diagnostics.append(Diagnostic("error", str(exc) if isinstance(
            exc, FileExistsError) else f"{target}: {exc.strerror}"))
        return result
    result.output = str(target)
    return result
