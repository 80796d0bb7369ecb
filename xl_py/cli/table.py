"""The command table: one row per ``xl-py`` subcommand (Xen's xl_cmdtable.c habit).

A row names the module that implements the command; the module is imported
only when the command runs, so ``xl-py list`` never pays for lark and
``xl-py create -N`` never pays for libvirt.  Each command module exposes::

    def run(ctx: xl_py.cli.context.Context, argv: list[str]) -> int

and parses its own options with :mod:`xl_py.cli.opts` (getopt-style, like xl).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    module: str  # under xl_py.cli.commands
    summary: str
    usage: str
    options: str = ""
    dryrun: bool = False  # honours the global -N


COMMANDS: tuple[Command, ...] = (
    Command(
        "create",
        "create",
        "Create a domain from config file <filename>",
        "[options] <ConfigFile> [vars]",
        "-h  Print this help.\n"
        "-p  Leave the domain paused after it is created.\n"
        "-c  Connect to the console after the domain is created.\n"
        "-f FILE, --defconfig=FILE\n"
        "    Use the given configuration file.\n"
        "-q, --quiet  Quiet.\n"
        "-n, --dryrun  Dry run - prints the resulting configuration\n"
        "              (deprecated in favour of global -N option).\n"
        "-d  Enable debug messages.\n"
        "-F  Run in foreground until death of the domain.\n"
        "-e  Do not wait in the background for the death of the domain.\n"
        "-V, --vncviewer  Connect to the VNC display after the domain is created.\n"
        "-A, --vncviewer-autopass\n"
        "    Pass the VNC password to vncviewer via stdin.",
        dryrun=True,
    ),
    Command(
        "check",
        "check",
        "Lint domain config files: unknown, deprecated and ineffective keys",
        "[options] <ConfigFile>...",
        "-q, --quiet   Print errors only.\n"
        "--json        Print the findings as JSON.\n"
        "--macs DIR    Report MAC addresses used by more than one config under DIR.",
    ),
    Command("help", "help", "Print help for a command, or list the commands", "[command]"),
)


def lookup(name: str) -> Command | None:
    """Exact name, else a unique prefix (xl's cmdtable_lookup)."""
    matches = [c for c in COMMANDS if c.name.startswith(name)]
    exact = [c for c in matches if c.name == name]
    if exact:
        return exact[0]
    return matches[0] if len(matches) == 1 else None


def candidates(prefix: str) -> tuple[str, ...]:
    return tuple(c.name for c in COMMANDS if c.name.startswith(prefix))
