"""``xl-py [-N] create [options] CFG [key=value ...]`` (xl_vmcontrol.c main_create).

Like xl: a first argument that is not an option and has no '=' is the
config file; later ``key=value`` arguments are appended to the file's text
(as "\\n<lines>\\n", so they win by last-assignment); ``-f FILE`` names the
file too.  With ``-N`` (global) or ``-n`` the libxl JSON is printed and
nothing is started; otherwise the backend of ``-c``/``XL_PY_BACKEND``
(xl_py.backends) creates the domain.  xl.conf comes from ``--xl-conf PATH``, else
``$XL_PY_CONF``, else /etc/xen/xl.conf (missing: xl's defaults).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xl_py.cli.context import Context
from xl_py.cli.opts import Opt, parse
from xl_py.errors import BackendUnavailable, Diagnostic, UsageError, XlPyError

if TYPE_CHECKING:
    from xl_py.model.domain import DomainConfig
    from xl_py.settings.xlconf import XlConf

OPTS = (
    Opt("vncautopass", "A", "vncviewer-autopass"),
    Opt("foreground", "F"),
    Opt("vnc", "V", "vncviewer"),
    Opt("console", "c"),
    Opt("debug", "d"),
    Opt("nomonitor", "e"),
    Opt("config", "f", "defconfig", arg=True),
    Opt("ignore_masks", "i", "ignore-global-affinity-masks"),
    Opt("dryrun", "n", "dryrun"),
    Opt("paused", "p"),
    Opt("quiet", "q", "quiet"),
    Opt("help", "h", "help"),
    Opt("xl_conf", "", "xl-conf", arg=True),
)


class FileReadError(XlPyError):
    """A config file could not be read (xl: "Failed to read config file")."""


def run(ctx: Context, argv: list[str]) -> int:
    args = list(argv)
    config_file: str | None = None
    if args and not args[0].startswith("-") and "=" not in args[0]:
        config_file = args.pop(0)
    opts = parse(args, OPTS, "create")
    if opts.flag("help"):
        from xl_py.cli.commands.help import run as help_run

        return help_run(ctx, ["create"])
    config_file = opts.value("config") or config_file
    extra: list[str] = []
    for word in opts.args:
        if "=" in word:
            extra.append(word)
        elif config_file is None:
            config_file = word
        else:
            raise UsageError(f"create: unexpected argument '{word}'")
    if config_file is None:
        raise UsageError("create: no config file given (xl-py create CFG [key=value ...])")
    dryrun = ctx.dryrun or opts.flag("dryrun")
    xlconf, conf_warnings = load_xlconf(ctx, opts.value("xl_conf"))
    text = read_config(config_file)
    if not opts.flag("quiet"):
        ctx.err(f"Parsing config from {config_file}")

    from xl_py import pipeline

    built = pipeline.build(text, config_file, xlconf=xlconf, extra=extra)
    for diag in (*conf_warnings, *built.warnings):
        ctx.err(diag.format())
    config = built.config
    if not opts.flag("ignore_masks"):
        config = pipeline.apply_affinity_masks(config, xlconf)
    if dryrun and xlconf.output_format == "sxp":
        raise UsageError("create: output_format=\"sxp\" in xl.conf is not supported; "
                         "xl-py prints JSON")
    if dryrun or opts.flag("debug"):  # xl: -d without a dry run prints it on stderr
        out = ctx.stdout if dryrun else ctx.stderr
        out.write(pipeline.to_json(config))
        out.flush()
    if dryrun:
        return 0
    return start_domain(ctx, config, built.raw, paused=opts.flag("paused"),
                        domid_policy=xlconf.domid_policy, monitor=not opts.flag("nomonitor"),
                        foreground=opts.flag("foreground"), console=opts.flag("console"),
                        vnc=opts.flag("vnc") or opts.flag("vncautopass"),
                        autopass=opts.flag("vncautopass"))


def start_domain(ctx: Context, config: DomainConfig, raw: Any, *, paused: bool,
                 domid_policy: str = "xen", monitor: bool = True,
                 foreground: bool = False, console: bool = False, vnc: bool = False,
                 autopass: bool = False) -> int:
    """Hand the model to the backend chosen by -c / XL_PY_BACKEND (libxl by
    default; see xl_py.backends); a libvirt backend also gets the flat xl.cfg
    keys (``xl_keys``) it renders to domain XML.  Then, as xl does unless -e,
    a monitor process carries out the on_* actions (-F: in the foreground); then
    -V starts vncviewer and -c attaches to the console (cli/commands/_attach.py)."""
    from xl_py.backends import open_backend
    from xl_py.cli.commands._runtime import xl_keys

    backend = open_backend(ctx.connect, ctx.environ)
    create = getattr(backend, "create", None)
    if create is None:
        raise BackendUnavailable("create: this backend cannot start domains; "
                                 "use 'xl-py -N create' for a dry run")
    domid = create(config, paused=paused, xl_keys=xl_keys(raw), domid_policy=domid_policy)
    from xl_py.cli.commands._attach import after_start

    return after_start(ctx, backend, domid, monitor=monitor, foreground=foreground,
                       console=console, vnc=vnc, autopass=autopass)


def read_config(path: str) -> str:
    """The config text (``/dev/null`` is an empty config, as in xl)."""
    if path == "/dev/null":
        return ""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise FileReadError(f"Failed to read config file: {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from xl_py.errors import ConfigSyntaxError, Source

        text = data.decode("utf-8", "replace")
        raise ConfigSyntaxError.at("invalid UTF-8 in config file", Source(path, text),
                                   exc.start, exc.start + 1,
                                   expected="a UTF-8 text file") from None


def load_xlconf(ctx: Context, path: str | None) -> tuple[XlConf, tuple[Diagnostic, ...]]:
    """xl.conf from --xl-conf, $XL_PY_CONF or /etc/xen/xl.conf."""
    from xl_py.settings.xlconf import XlConf, from_text

    explicit = path is not None or "XL_PY_CONF" in ctx.environ
    path = path or ctx.xl_conf_path
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        if explicit:
            raise FileReadError(f"Failed to read config file: {path}: {exc.strerror}") \
                from None
        return XlConf(), ()
    return from_text(data, path)
