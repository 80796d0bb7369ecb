"""``xl-py migrate-config SRC... [--to xl|libvirt|json] [-o DIR] [--report text|json]``.

Converts legacy xm configs, xend SXP configs (and libvirt domain XML) into
xl.cfg files, libvirt XML or libxl JSON, with a per-file, per-key report:
kept / renamed / changed / dropped (with the reason) / decision / added /
ignored.

Sources.  One file (or ``-``, standard input) and no ``-o``: the result goes
to stdout, the report to stderr.  With ``-o DIR`` every source is written
under DIR and the report goes to stdout.  A directory is walked like
/etc/xen: what is not a guest config is *skipped*, and the report says why
(xend-config.sxp, xl.conf, xend-pci-*.sxp, READMEs, xmexample*/xlexample*,
scripts/, shell scripts, binary files, files over 1 MiB, package-manager and
editor backups, dangling links, links to directories, fifos, hidden files, the
output directory itself).  Every file is converted once: a link to a file already converted
(auto/ entries) or a file given twice is skipped as "a link to" / "the same
file as" it; a real file in auto/ is converted.  A file named on the command
line is always converted (the skip rules are for walking).

Output.  DIR/<path relative to the source>: xl keeps the name but for a
.sxp/.xm suffix, which becomes .cfg; libvirt and json replace a .cfg/.sxp/.xm
suffix with .xml/.json (else append it); a managed domain's
UUID/config.sxp (/var/lib/xend/domains) is named after its guest; when
two sources would give the same output name, the second keeps its whole name
(``same.sxp.json``), else it fails.  Files are written atomically (a temp
file, then a link or rename into place), never over an existing file without
``--force``, with the source's permission bits less the umask (as cp does: a
0600 config holding vncpasswd stays 0600).

Exit status (xl's convention): 0 when every file was converted or skipped,
1 when any failed (does not parse, unreadable, its output exists, ...).  A
failed file does not stop the batch.

``--report json`` (version 1)::

    {"version": 1,
     "counts": {"converted": N, "skipped": N, "failed": N},
     "failed": [source, ...],
     "files": [{"source", "output" (or null), "status": "ok|failed",
                "kind": "xm|sxp|xml|xl" (or ""),
                "diagnostics": [{"severity", "message", "location", "text"}],
                "keys": [{"key", "status", "xl": [xl keys], "detail",
                          "line", "col"}]}],
     "skipped": [{"source", "reason"}]}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xl_py._record import Record, field, replace
from xl_py._types import HostInfo
from xl_py.cli.context import Context
from xl_py.cli.opts import Opt, parse
from xl_py.errors import ConfigError, Diagnostic, Source, UsageError, XlPyError

if TYPE_CHECKING:  # settings import lark lazily: keep xl-py start-up cheap
    from xl_py.cli.commands.migrate_macs import MacPool
    from xl_py.settings.legacy import Migration

OPTS = (
    Opt("to", "t", "to", arg=True),
    Opt("output", "o", "output", arg=True),
    Opt("report", "r", "report", arg=True),
    Opt("define", "D", "define", arg=True, repeat=True),
    Opt("force", "f", "force"),
    Opt("fixed_macs", "", "fixed-macs"),
    Opt("source_format", "", "from", arg=True),
    Opt("arch", "", "arch", arg=True),
    Opt("help", "h", "help"),
)

TARGETS = ("xl", "libvirt", "json")
REPORTS = ("text", "json")
SOURCE_FORMATS = ("auto", "xm", "sxp", "xml", "xl")
REPORT_VERSION = 1
MAX_WALKED_SIZE = 1 << 20  # a disk image left in /etc/xen is not read whole to be skipped
STDIN = "-"

_EXAMPLE = "Xen's example config (name it on the command line to convert it)"
# files in an /etc/xen tree that are not guest configs: (name prefix, why)
_SKIP_PREFIXES = (
    ("README", "documentation"),
    ("xend-config", "xend's own settings (xl has no daemon; xl's settings are xl.conf)"),
    ("xend-pci-", "xend's PCI lists (xl: permissive=1 / a quirk in each pci= spec)"),
    ("xl.conf", "xl's own settings, not a guest"),
    ("xm-config", "xm's client settings"),
    ("xenapi", "xend's Xen-API settings"),
    ("cpupool", "a cpupool definition (xl cpupool-create reads it)"),
    ("xendomains", "the xendomains service's settings"),
    ("oxenstored", "oxenstored's settings"),
    ("xmexample", _EXAMPLE),
    ("xlexample", _EXAMPLE),
)
_BACKUP = "a package manager's copy"
_SKIP_SUFFIXES = (
    (".rpmsave", _BACKUP), (".rpmnew", _BACKUP), (".rpmorig", _BACKUP),
    (".dpkg-old", _BACKUP), (".dpkg-dist", _BACKUP), (".dpkg-new", _BACKUP),
    (".orig", "a backup copy"), (".bak", "a backup copy"), ("~", "an editor's backup copy"),
    (".swp", "an editor's swap file"),
    (".json", "JSON (libxl's format), not a config this command reads"),
)
_SKIP_DIRS = {"scripts": "hotplug scripts", "examples": "examples"}


class FileResult(Record, frozen=False):
    """One input file: what became of it."""

    source: str
    output: str | None = None
    status: str = "ok"  # ok | failed | skipped
    kind: str = ""
    text: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reason: str = ""  # why it was skipped
    guest: str = ""  # the guest's name= in the result
    uuid: str = ""  # ... its uuid=
    macs: tuple[str, ...] = ()  # ... and the MACs of its vifs
    vif_at: tuple[int, int] = (0, 0)  # where the source set them (line, col)


class Options(Record):
    target: str = "xl"
    source_format: str = "auto"
    defines: tuple[tuple[str, str], ...] = ()
    host: HostInfo = field(default_factory=HostInfo)
    new_uuid: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    macs: MacPool | None = None  # --fixed-macs: MACs for vifs without one


# --------------------------------------------------------------------------- conversion


_FIRST = re.compile(r"^[ \t\r\f\v]*([^\s#])", re.M)  # first char of the first code line
_FIRST_BYTES = re.compile(_FIRST.pattern.encode(), re.M)
_SNIFFED = {"(": "sxp", "<": "xml"}


def sniff(text: str | bytes) -> str:
    """'sxp' when the first non-comment character is '(', 'xml' for '<', else 'xm'."""
    if isinstance(text, bytes):
        code = _FIRST_BYTES.search(text)
        first = chr(code.group(1)[0]) if code else ""
    else:
        found = _FIRST.search(text)
        first = found.group(1) if found else ""
    return _SNIFFED.get(first, "xm")


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

    kind = opts.source_format if opts.source_format != "auto" else sniff(text)
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
    result.items = _items(migration.source, migration.report)
    if migration.errors:
        result.status = "failed"
        return
    from xl_py.cli.commands.migrate_macs import fix_vif_macs, vif_macs

    result.vif_at = _origin(result.items, "vif")
    entries, mac_items = fix_vif_macs(migration.entries, opts.macs, result.vif_at)
    keys = dict(entries)
    result.guest, result.uuid = str(keys.get("name", "")), str(keys.get("uuid", ""))
    result.macs = vif_macs(keys.get("vif"))
    result.items.extend(mac_items)
    if opts.target == "libvirt":
        from xl_py.pipeline import libvirt_xml

        result.text = libvirt_xml(keys, for_libxl_driver=True)
        result.items.extend(_libvirt_losses(migration))
        return
    xlcfg = render_keys(entries, migration.comments)
    result.text = xlcfg if opts.target == "xl" else _to_json(xlcfg, name, opts, result)


def _origin(items: list[dict[str, Any]], xl_key: str) -> tuple[int, int]:
    """Where the source set what became ``xl_key`` (0, 0: nowhere)."""
    return next(((i["line"], i["col"]) for i in items if xl_key in i["xl"] and i["line"]),
                (0, 0))


def _libvirt_losses(migration: Any) -> list[dict[str, Any]]:
    """xl.cfg keys libvirt's domain XML (xen-xl) has no element for."""
    from xl_py.render.libvirt_xml import DRIVER_KEYS, XML_KEYS

    return [{"key": key, "status": "dropped", "xl": [], "line": 0, "col": 0,
             "detail": f"libvirt's domain XML has no element for xl's {key}= "
                       "(virsh domxml-to-native would not write it back either)"}
            for key, _ in migration.entries if key not in XML_KEYS | DRIVER_KEYS]


def _from_xlcfg(text: str | bytes, name: str) -> Migration:
    """--from xl: an xl.cfg already; only --to libvirt / json change anything."""
    from xl_py.settings.legacy import Migration, ReportItem
    from xl_py.settings.libvirt_xml import xlcfg_values

    values = xlcfg_values(text, name)
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    report = tuple(ReportItem(k, "kept", (k,), "") for k in values)
    return Migration(Source(name, decoded), "xl", tuple(values.items()), (), report, ())


def _to_json(xlcfg: str, name: str, opts: Options, result: FileResult) -> str:
    """Through the config core: exactly what ``xl -N`` prints for the migrated
    xl.cfg.  Its errors and warnings point into that xl.cfg, so they are named
    ``NAME (as xl.cfg)`` and hint at the source line the key came from."""
    from xl_py import pipeline
    from xl_py.render.libxl_json import to_json

    try:
        built = pipeline.build(xlcfg, f"{name} (as xl.cfg)", opts.host)
    except ConfigError as exc:
        raise ConfigError([_traced(d, name, result.items) for d in exc.diagnostics()]) from None
    result.diagnostics.extend(_traced(d, name, result.items) for d in built.warnings)
    return to_json(built.config)


def _traced(diag: Diagnostic, name: str, items: list[dict[str, Any]]) -> Diagnostic:
    """Add 'KEY comes from NAME:LINE:COL' to a diagnostic placed in the migrated xl.cfg."""
    if diag.source is None:
        return diag
    line, _ = diag.source.line_col(diag.start)
    key = diag.source.line_text(line).split("=", 1)[0].strip(" +")
    origin = next((i for i in items if key in i["xl"] and i["line"]), None)
    if origin is None:
        return diag
    was = f" ({origin['key']}=)" if origin["key"] != key else ""
    note = f"{key} comes from {name}:{origin['line']}:{origin['col']}{was}"
    return replace(diag, hint=f"{diag.hint}; {note}" if diag.hint else note)


def _items(source: Source, report: Iterable[Any]) -> list[dict[str, Any]]:
    """The report items as JSON-ready dicts, with 1-based line and column (0, 0
    when the item has no span, e.g. an added key)."""
    starts = source.line_starts()
    items = []
    for r in report:
        if r.end > r.start:
            index = bisect_right(starts, r.start) - 1
            line, col = index + 1, r.start - starts[index] + 1
        else:
            line = col = 0
        items.append({"key": r.key, "status": r.status, "xl": list(r.xl), "detail": r.detail,
                      "line": line, "col": col})
    return items


# --------------------------------------------------------------------------- finding files


class Found(Record):
    """A file among the sources: converted unless ``skip`` says why not (or
    ``error``: a directory that could not be read).  ``walked``: found in a
    directory (the content rules apply), not named."""

    path: Path
    rel: Path
    skip: str = ""
    walked: bool = False
    error: str = ""

    @property
    def convert(self) -> bool:
        return not (self.skip or self.error)


def find(sources: Iterable[str], outdir: str | None) -> list[Found]:
    """Every file of every source, in order, each converted once at most."""
    exclude = os.path.realpath(outdir) if outdir else None
    found: list[Found] = []
    for arg in sources:
        src = Path(arg)
        if src.is_dir():
            found.extend(walk(src, exclude))
        else:
            found.append(Found(src, Path(src.name)))
    return once(found)


def walk(src: Path, exclude: str | None = None) -> Iterator[Found]:
    """The files of an /etc/xen-style tree, sorted, with what is no guest
    config marked as skipped (the reasons a name, a directory or a link gives);
    a directory that cannot be read is an error, not silently left out."""
    errors: list[OSError] = []
    for root, dirs, files in os.walk(src, onerror=errors.append):
        yield from _unreadable(src, errors)
        here = Path(root)
        for name in sorted(files):
            path = here / name
            yield Found(path, path.relative_to(src), _file_skip(path), walked=True)
        kept = []
        for name in sorted(dirs):
            path = here / name
            why = _dir_skip(path, exclude)
            if why:
                yield Found(path, path.relative_to(src), why, walked=True)
            else:
                kept.append(name)
        dirs[:] = kept
    yield from _unreadable(src, errors)


def _unreadable(src: Path, errors: list[OSError]) -> Iterator[Found]:
    for exc in errors:
        path = Path(exc.filename)
        rel = path.relative_to(src) if path.is_relative_to(src) else Path(path.name)
        yield Found(path, rel, walked=True, error=f"{path}: {exc.strerror}")
    errors.clear()


def _dir_skip(path: Path, exclude: str | None) -> str:
    if path.is_symlink():
        return f"a link to a directory ({os.readlink(path)}): name it to convert it"
    if path.name.startswith("."):
        return "a hidden directory"
    if exclude is not None and os.path.realpath(path) == exclude:
        return "the output directory (-o)"
    return _SKIP_DIRS.get(path.name, "")


def _file_skip(path: Path) -> str:
    name = path.name
    if name.startswith("."):
        return "a hidden file"
    for prefix, why in _SKIP_PREFIXES:
        if name.startswith(prefix):
            return why
    for suffix, why in _SKIP_SUFFIXES:
        if name.endswith(suffix):
            return why
    if path.is_symlink() and not path.exists():
        return f"a dangling link (to {os.readlink(path)})"
    if not path.is_file():
        return "not a regular file"
    return ""


def once(found: list[Found]) -> list[Found]:
    """Skip a file met a second time (a link to it, auto/ entries, a source
    given twice): real files win over links, then the first one met."""
    first: dict[str, Found] = {}
    for f in sorted((f for f in found if f.convert), key=lambda f: f.path.is_symlink()):
        first.setdefault(os.path.realpath(f.path), f)
    out = []
    for f in found:
        owner = first.get(os.path.realpath(f.path)) if f.convert else None
        if owner is None or owner is f:
            out.append(f)
        elif f.path.is_symlink():
            boot = " (xendomains starts it at boot: keep the link)" if (
                f.path.parent.name == "auto") else ""
            out.append(replace(f, skip=f"a link to {owner.path}{boot}"))
        else:
            out.append(replace(f, skip=f"the same file as {owner.path}"))
    return out


def content_skip(data: bytes) -> str:
    """Why a file found in a directory is no guest config, judged by its bytes."""
    if b"\0" in data[:4096]:
        return "a binary file"
    if data.startswith(b"#!"):
        first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if "python" not in first:  # xend execfile()d xm configs; a #! python line is a comment
            return f"a script ({first})"
    return ""


# --------------------------------------------------------------------------- output files


def output_name(rel: Path, target: str, whole: bool = False) -> Path:
    """Where the output of ``rel`` goes under -o; ``whole``: keep the source's
    suffix and append the target's (for a second source with the same stem)."""
    suffix = {"xl": ".cfg", "libvirt": ".xml"}.get(target, ".json")
    replaced = (".sxp", ".xm") if target == "xl" else (".cfg", ".sxp", ".xm")
    if rel.suffix in replaced and not whole:
        return rel.with_suffix(suffix)
    if target == "xl" and rel.suffix not in replaced:
        return rel  # an xl-style name stays (a second source of that name fails)
    return Path(str(rel) + suffix)


def write_new(path: Path, text: str, force: bool, mode: int = 0o644) -> None:
    """Write atomically: a temp file beside ``path`` (``mode`` less the umask),
    then linked into place (fails if ``path`` exists, even if it appeared since
    the check) or, with ``force``, renamed over it.  No temp file stays behind."""
    import tempfile

    if not force and (path.exists() or path.is_symlink()):
        raise FileExistsError(f"{path} exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if force:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} exists (use --force to overwrite)") from None
    except OSError:  # no hard links here (vfat, some network file systems)
        if path.exists():
            raise FileExistsError(f"{path} exists (use --force to overwrite)") from None
        os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- report


def report_text(results: list[FileResult]) -> str:
    lines: list[str] = []
    for r in results:
        if r.status == "skipped":
            lines.append(f"{r.source}: skipped: {r.reason}")
            continue
        where = f" -> {r.output}" if r.output else ""
        kind = f" ({r.kind})" if r.kind else ""
        lines.append(f"{r.source}: {r.status}{kind}{where}")
        for d in r.diagnostics:
            lines.append(d.format())
        for item in r.items:
            pos = f"{r.source}:{item['line']}:{item['col']}" if item["line"] else r.source
            xl = f" -> {', '.join(item['xl'])}" if item["xl"] and item["status"] != "kept" else ""
            detail = f": {item['detail']}" if item["detail"] else ""
            lines.append(f"{pos}: {item['status']}: {item['key']}{xl}{detail}")
    counts = _counts(results)
    failed = [r.source for r in results if r.status == "failed"]
    skipped = f"{counts['skipped']} skipped, " if counts["skipped"] else ""
    lines.append(f"{len(results)} file(s): {counts['converted']} converted, {skipped}"
                 f"{len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


def report_json(results: list[FileResult]) -> str:
    files = []
    for r in results:
        if r.status == "skipped":
            continue
        files.append({
            "source": r.source, "output": r.output, "status": r.status, "kind": r.kind,
            "diagnostics": [{"severity": d.severity, "message": d.message,
                             "location": d.location(), "text": d.format()}
                            for d in r.diagnostics],
            "keys": r.items,
        })
    failed = [r.source for r in results if r.status == "failed"]
    skipped = [{"source": r.source, "reason": r.reason} for r in results
               if r.status == "skipped"]
    return json.dumps({"version": REPORT_VERSION, "counts": _counts(results),
                       "failed": failed, "files": files, "skipped": skipped}, indent=2)


def _counts(results: list[FileResult]) -> dict[str, int]:
    statuses = [r.status for r in results]
    return {"converted": statuses.count("ok"), "skipped": statuses.count("skipped"),
            "failed": statuses.count("failed")}


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
    macs = None
    if values.flag("fixed_macs"):
        from xl_py.cli.commands.migrate_macs import MacPool

        macs = MacPool()
    return Options(target, source_format, tuple(defines), host, macs=macs), report


def _check_usage(args: list[str], outdir: str | None) -> None:
    if not args:
        raise UsageError("migrate-config: no source given (files or directories)")
    if STDIN in args and (len(args) > 1 or outdir is not None):
        raise UsageError("migrate-config: '-' (standard input) goes alone and without -o: "
                         "the result goes to stdout")
    if outdir is None and (len(args) > 1 or Path(args[0]).is_dir()):
        raise UsageError("migrate-config: several files need -o DIR")
    if outdir is not None and os.path.exists(outdir) and not os.path.isdir(outdir):
        raise UsageError(f"migrate-config: -o {outdir}: not a directory")


def run(ctx: Context, argv: list[str]) -> int:
    values = parse(argv, OPTS, "migrate-config")
    if values.flag("help"):
        from xl_py.cli.commands.help import run as help_run

        return help_run(ctx, ["migrate-config"])
    opts, report = _options(values)
    outdir = values.value("output")
    _check_usage(values.args, outdir)
    if values.args == [STDIN]:
        data = sys.stdin.buffer.read()
        if opts.macs is not None:
            opts.macs.note(data)
        results = [convert_text(data, "<stdin>", opts)]
    else:
        results = _batch(find(values.args, outdir), opts, outdir,
                         values.flag("force") or ctx.force)
    if len(results) > 1:
        from xl_py.cli.commands.migrate_macs import report_shared_macs

        report_shared_macs(results)
    if outdir is None and results[0].status == "ok":
        ctx.stdout.write(results[0].text)
    text = report_json(results) if report == "json" else report_text(results)
    (ctx.stderr if outdir is None else ctx.stdout).write(text + "\n")
    return 1 if any(r.status == "failed" for r in results) else 0


def _batch(found: list[Found], opts: Options, outdir: str | None,
           force: bool) -> list[FileResult]:
    written: dict[Path, str] = {}  # output -> its source, in this run
    results = []
    if opts.macs is not None:  # every MAC of the run is known before one is drawn
        for f in found:
            if f.convert:
                with contextlib.suppress(OSError), f.path.open("rb") as fh:  # reported later
                    opts.macs.note(fh.read(MAX_WALKED_SIZE))
    for f in found:
        if f.error:
            results.append(_failed(f.path, f.error))
        elif f.skip:
            results.append(FileResult(str(f.path), status="skipped", reason=f.skip))
        else:
            results.append(_one(f, opts, outdir, force, written))
    return results


def _one(f: Found, opts: Options, outdir: str | None, force: bool,
         written: dict[Path, str]) -> FileResult:
    path = f.path
    if path.is_symlink() and not path.exists():
        return _failed(path, f"{path}: a dangling link (to {os.readlink(path)})")
    try:
        st = path.stat()
        if f.walked and st.st_size > MAX_WALKED_SIZE:
            return FileResult(str(path), status="skipped", reason=(
                f"{st.st_size} bytes: too large for a config (name it to convert it)"))
        data = path.read_bytes()
    except OSError as exc:
        return _failed(path, f"{path}: {exc.strerror}")
    mode = st.st_mode & 0o666
    why = content_skip(data) if f.walked else ""
    if why:
        return FileResult(str(path), status="skipped", reason=why)
    result = convert_text(data, str(path), opts)
    if result.status != "ok" or outdir is None:
        return result
    target = _target(Path(outdir), _managed_rel(f.rel, result.guest), opts.target, written)
    if os.path.realpath(target) == os.path.realpath(path):
        return _fail_result(result, f"{target} is the source itself: -o must name another "
                                    "directory (the source is never overwritten)")
    if target in written:
        return _fail_result(result, f"{target} is also the output of {written[target]} "
                                    "(convert one of them into another -o directory)")
    written[target] = str(path)
    try:
        write_new(target, result.text, force, mode)
    except OSError as exc:  # ours carry the whole message; the system's an errno
        return _fail_result(result, f"{exc.filename or target}: {exc.strerror}"
                            if exc.errno else str(exc))
    result.output = str(target)
    return result


_UUID = re.compile(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def _managed_rel(rel: Path, guest: str) -> Path:
    """xend's managed domains (``xm new``, /var/lib/xend/domains/UUID/config.sxp)
    had no /etc/xen file: their xl.cfg is named after the guest, beside the
    UUID directories (``domains/UUID/config.sxp`` -> ``NAME.sxp`` -> NAME.cfg)."""
    if rel.name != "config.sxp" or not _UUID.fullmatch(rel.parent.name):
        return rel
    if not _SAFE_NAME.fullmatch(guest) or guest in (".", ".."):
        return rel
    return rel.parent.parent / f"{guest}.sxp"


def _target(outdir: Path, rel: Path, target: str, written: dict[Path, str]) -> Path:
    path = outdir / output_name(rel, target)
    return path if path not in written else outdir / output_name(rel, target, whole=True)


def _failed(path: Path, message: str) -> FileResult:
    return FileResult(str(path), status="failed", diagnostics=[Diagnostic("error", message)])


def _fail_result(result: FileResult, message: str) -> FileResult:
    result.status = "failed"
    result.diagnostics.append(Diagnostic("error", message))
    return result
