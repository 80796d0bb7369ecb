"""The command table: one row per ``xl-py`` subcommand (Xen's xl_cmdtable.c habit).

A row names the module that implements the command; the module is imported
only when the command runs, so ``xl-py list`` never pays for lark and
``xl-py create -N`` never pays for libvirt.  Each command module exposes::

    def run(ctx: xl_py.cli.context.Context, argv: list[str]) -> int

and parses its own options with :mod:`xl_py.cli.opts` (getopt-style, like xl).
"""

from __future__ import annotations

from xl_py._record import Record


class Command(Record):
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
    Command(
        "migrate-config",
        "migrate_config",
        "Convert legacy xm / xend SXP configs (or libvirt XML) to xl.cfg, libvirt XML or JSON",
        "[options] <Source>...",
        "-t, --to=xl|libvirt|json  Output format (default xl).\n"
        "-o DIR, --output=DIR      Write converted files under DIR (needed for several\n"
        "                          sources; without it the result goes to stdout).\n"
        "-r, --report=text|json    Per-file, per-key report format (default text).\n"
        "-D VAR=VALUE, --define=VAR=VALUE\n"
        "                          An xm create variable (xm create cfg vmid=3).\n"
        "--from=auto|xm|sxp|xml|xl Source format (default: detected; xl.cfg only\n"
        "                          when given).\n"
        "--arch=ARCH               Host architecture for os.uname()[4] (default x86_64).\n"
        "-f, --force               Overwrite existing output files.\n"
        "--fixed-macs              Give each vif without mac= a MAC drawn once (00:16:3e,\n"
        "                          named by no source of the run) instead of reporting it.\n"
        "\n"
        "A <Source> is a file, '-' (standard input, alone, without -o) or a directory,\n"
        "walked like /etc/xen: what is not a guest config (xend-config.sxp, xl.conf,\n"
        "READMEs, xmexample*, scripts/, #! scripts, binaries, backups, dangling links)\n"
        "is skipped and the report says why; each file is converted once (auto/ links\n"
        "to converted files are skipped).  A file named is always converted.  With -o,\n"
        "the report goes to stdout; files are written atomically with the source's\n"
        "permissions, never over an existing file without -f.  Exit status: 0 when\n"
        "every file was converted or skipped, 1 when any failed.  --report json:\n"
        "{version, counts, failed, files[{source, output, status, kind, diagnostics,\n"
        "keys[{key, status, xl, detail, line, col}]}], skipped[{source, reason}]}.",
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


# -- the runtime commands (issue 4): xl_cmdtable.c's rows, same usage and options --
def _rt(name: str, module: str, summary: str, usage: str, options: str = "",
        dryrun: bool = False) -> Command:
    return Command(name, module, summary, usage, options, dryrun)


_JSON = "--json              Print the result as JSON."

RUNTIME_COMMANDS: tuple[Command, ...] = (
    _rt("list", "list", "List information about all/some domains", "[options] [Domain]",
        "-l, --long              Output all VM details\n"
        "-v, --verbose           Prints out UUIDs and security context\n"
        "-Z, --context           Prints out security context\n"
        "-c, --cpupool           Prints the cpupool the domain is in\n"
        "-n, --numa              Prints out NUMA node affinity\n" + _JSON),
    _rt("destroy", "domctl", "Terminate a domain immediately", "[options] <Domain>",
        "-f                      Permit destroying domain 0."),
    _rt("shutdown", "shutdown", "Issue a shutdown signal to a domain", "[options] <-a|Domain>",
        "-a, --all               Shutdown all guest domains.\n"
        "-F                      Fallback to ACPI power event for HVM guests with\n"
        "                        no PV drivers.\n"
        "-w, --wait              Wait for guest(s) to shutdown."),
    _rt("reboot", "shutdown", "Issue a reboot signal to a domain", "[options] <-a|Domain>",
        "-a, --all               Shutdown all guest domains.\n"
        "-F                      Fallback to ACPI reset event for HVM guests with\n"
        "                        no PV drivers.\n"
        "-w, --wait              Wait for guest(s) to reboot."),
    _rt("pause", "domctl", "Pause execution of a domain", "<Domain>"),
    _rt("unpause", "domctl", "Unpause a paused domain", "<Domain>"),
    _rt("console", "console", "Attach to domain's console", "[options] <Domain>",
        "-t <type>       console type, pv , serial or vuart\n"
        "-n <number>     console number"),
    _rt("vncviewer", "console", "Attach to domain's VNC server.", "[options] <Domain>",
        "--autopass               Pass VNC password to viewer via stdin and\n"
        "                         -autopass\n"
        "--vncviewer-autopass     (consistency alias for --autopass)"),
    _rt("save", "saverestore", "Save a domain state to restore later",
        "[options] <Domain> <CheckpointFile> [<ConfigFile>]",
        "-c  Leave domain running after creating the snapshot.\n"
        "-p  Leave domain paused after creating the snapshot.\n"
        "-D  Store the domain id in the configuration."),
    _rt("migrate", "migrate", "Migrate a domain to another host", "[options] <Domain> <host>",
        "-C <config>     Send <config> instead of config file from creation.\n"
        "-s <sshcommand> Use <sshcommand> instead of ssh.  String will be passed\n"
        "                to sh. If empty, run <host> instead of ssh <host> xl\n"
        "                migrate-receive [-d -e]\n"
        "-e              Do not wait in the background (on <host>) for the death\n"
        "                of the domain.\n"
        "--debug         Print huge (!) amount of debug during the migration process.\n"
        "-p              Do not unpause domain after migrating it.\n"
        "-D              Preserve the domain id"),
    _rt("restore", "saverestore", "Restore a domain from a saved state",
        "[options] [<ConfigFile>] <CheckpointFile>",
        "-p                       Do not unpause domain after restoring it.\n"
        "-e                       Do not wait in the background for the death of the domain.\n"
        "-d                       Enable debug messages.\n"
        "-V, --vncviewer          Connect to the VNC display after the domain is created.\n"
        "-A, --vncviewer-autopass Pass VNC password to viewer via stdin."),
    _rt("migrate-receive", "migrate", "Restore a domain from a saved state",
        "- for internal use only"),
    _rt("cd-insert", "block", "Insert a cdrom into a guest's cd drive",
        "<Domain> <VirtualDevice> <path>"),
    _rt("cd-eject", "block", "Eject a cdrom from a guest's cd drive",
        "<Domain> <VirtualDevice>"),
    _rt("mem-max", "mem", "Set the maximum amount reservation for a domain",
        "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>"),
    _rt("mem-set", "mem", "Set the current memory usage for a domain",
        "<Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>"),
    _rt("vcpu-list", "vcpu", "List the VCPUs for all/some domains", "[Domain, ...]", _JSON),
    _rt("vcpu-pin", "vcpu", "Set which CPUs a VCPU can use",
        "[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>",
        "-f, --force        undo an override pinning done by the kernel"),
    _rt("vcpu-set", "vcpu", "Set the number of active VCPUs allowed for the domain",
        "[option] <Domain> <vCPUs>",
        "-i, --ignore-host  Don't limit the vCPU based on the host CPU count"),
    _rt("vm-list", "vm_list", "List guest domains, excluding dom0, stubdoms, etc.", "", _JSON),
    _rt("info", "info", "Get information about Xen host", "[options]",
        "-n, --numa         List host NUMA topology information\n" + _JSON),
    _rt("sched-credit", "sched_credit", "Get/set credit scheduler parameters",
        "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]] [-s [-t TSLICE] [-r RATELIMIT]] [-p CPUPOOL]",
        "-d DOMAIN, --domain=DOMAIN        Domain to modify\n"
        "-w WEIGHT, --weight=WEIGHT        Weight (int)\n"
        "-c CAP, --cap=CAP                 Cap (int)\n"
        "-s         --schedparam           Query / modify scheduler parameters\n"
        "-t TSLICE, --tslice_ms=TSLICE     Set the timeslice, in milliseconds\n"
        "-r RLIMIT, --ratelimit_us=RLIMIT  Set the scheduling rate limit, in microseconds\n"
        "-m DLY, --migration_delay_us=DLY  Set the migration delay, in microseconds\n"
        "-p CPUPOOL, --cpupool=CPUPOOL     Restrict output to CPUPOOL\n" + _JSON),
    _rt("sched-credit2", "sched_credit", "Get/set credit2 scheduler parameters",
        "[-d <Domain> [-w[=WEIGHT]]] [-p CPUPOOL]",
        "-d DOMAIN, --domain=DOMAIN     Domain to modify\n"
        "-w WEIGHT, --weight=WEIGHT     Weight (int)\n"
        "-c CAP,    --cap=CAP           Cap (int)\n"
        "-s         --schedparam        Query / modify scheduler parameters\n"
        "-r RLIMIT, --ratelimit_us=RLIMIT Set the scheduling rate limit, in microseconds\n"
        "-p CPUPOOL, --cpupool=CPUPOOL  Restrict output to CPUPOOL\n" + _JSON),
    _rt("domid", "domctl", "Convert a domain name to domain id", "<DomainName>", _JSON),
    _rt("domname", "domctl", "Convert a domain id to domain name", "<DomainId>", _JSON),
    _rt("rename", "domctl", "Rename a domain", "<Domain> <NewDomainName>"),
    _rt("uptime", "uptime", "Print uptime for all/some domains", "[-s] [Domain]",
        "-s  Uptime in short format\n" + _JSON),
    _rt("dmesg", "dmesg", "Read and/or clear dmesg buffer", "[-c]",
        "  -c                        Clear dmesg buffer as well as printing it"),
    _rt("block-attach", "block", "Create a new virtual block device",
        "<Domain> <disk-spec-component(s)>...", dryrun=True),
    _rt("block-list", "block", "List virtual block devices for a domain",
        "<Domain(s)>", _JSON),
    _rt("block-detach", "block", "Destroy a domain's virtual block device",
        "[option] <Domain> <DevId>", "-f, --force        Force detach"),
    _rt("network-attach", "network", "Create a new virtual network device",
        "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] [ip=<ip>] [script=<script>] "
        "[backend=<BackDomain>] [vifname=<name>] [rate=<rate>] [model=<model>]",
        dryrun=True),
    _rt("network-list", "network", "List virtual network interfaces for a domain",
        "<Domain(s)>", _JSON),
    _rt("network-detach", "network", "Destroy a domain's virtual network device",
        "<Domain> <DevId|mac>"),
)

COMMANDS = COMMANDS + RUNTIME_COMMANDS
COMMANDS = (*COMMANDS, Command("completion", "completion", "Print a shell completion script",
                               "bash"))
