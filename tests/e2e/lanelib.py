"""Helpers for the end-to-end tests that run inside the lane's dom0 (see docs/xenvm.md).

Everything here drives the real tools: the reference ``xl`` of Debian's Xen 4.17 and
``xl-py`` (the ``/usr/local/bin/xl-py`` wrapper the lane installs), xenstore through
``xenstore-*``, guest consoles through xenconsoled's logs or a pty.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

GUEST_KERNEL = "/guest/vmlinuz"
GUEST_RAMDISK = "/guest/initrd.gz"
CONSOLE_DIR = Path("/var/log/xen/console")
#: logs the host brings back (the lane points it into the 9p share: readable live)
ARTIFACTS = Path(os.environ.get("XL_PY_LANE_ARTIFACTS", "/tmp/xl-py-lane-e2e"))
#: configs, disk images, ISOs: dom0-local (loop devices do not work on 9p files)
SCRATCH = Path(os.environ.get("XL_PY_LANE_SCRATCH", "/tmp/xl-py-lane-scratch"))


def dom0_skip_reason() -> str | None:
    """Why these tests cannot run here (None inside the lane's dom0)."""
    if os.environ.get("XL_PY_LANE_DOM0") != "1":
        return "runs only inside the real-Xen lane's dom0 (xenvm/run-lane.sh)"
    try:
        caps = Path("/proc/xen/capabilities").read_text()
    except OSError:
        return "no /proc/xen/capabilities: not a Xen dom0"
    return None if "control_d" in caps else "not the control domain"


# ---------------------------------------------------------------- running commands


@dataclass(frozen=True, slots=True)
class Result:
    argv: tuple[str, ...]
    rc: int
    out: str
    err: str
    seconds: float

    def __str__(self) -> str:
        return (f"$ {' '.join(self.argv)}  (rc={self.rc}, {self.seconds:.1f} s)\n"
                f"--- stdout\n{self.out}--- stderr\n{self.err}")

    @property
    def ok(self) -> bool:
        return self.rc == 0


def sh(argv: Sequence[str], *, timeout: float = 120, stdin: str | None = None) -> Result:
    """Run a command; a timeout becomes rc -9 with a note (the test then fails clearly)."""
    t0 = time.monotonic()
    try:
        done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              timeout=timeout, stdin=None if stdin is not None else
                              subprocess.DEVNULL)
        rc, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        rc = -9
        out = _text(exc.stdout)
        err = _text(exc.stderr) + f"\n[lane] timed out after {timeout} s"
    result = Result(tuple(argv), rc, out, err, time.monotonic() - t0)
    _journal(result)
    return result


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def _journal(result: Result) -> None:
    """Every command the tests ran, for the artefacts."""
    journal(str(result))


def journal(text: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "commands.log").open("a") as handle:
        handle.write(text + "\n")


def must(result: Result) -> Result:
    assert result.ok, str(result)
    return result


def wait_for(what: str, probe: Callable[[], bool], timeout: float, step: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ---------------------------------------------------------------- toolstacks


@cache
def xlpy_help() -> frozenset[str]:
    """The commands ``xl-py help`` lists."""
    result = sh(["xl-py", "help"], timeout=60)
    names = set()
    for line in result.out.splitlines():
        if line.startswith(" ") and line.strip():
            names.add(line.split()[0])
    return frozenset(names)


def xlpy_missing(command: str) -> str | None:
    """None when ``xl-py <command>`` exists (listed by help and its module present)."""
    if command not in xlpy_help():
        return f"xl-py {command} not implemented yet"
    from xl_py.cli.table import lookup

    row = lookup(command)
    if row is None or importlib.util.find_spec(f"xl_py.cli.commands.{row.module}") is None:
        return f"xl-py {command} not implemented yet"
    return None


#: xl-py backends the lane runs: name -> (global options, backend module)
BACKENDS: dict[str, tuple[tuple[str, ...], str]] = {
    "libxl": ((), "libxl"),
    "libvirt": (("-c", "xen:///system"), "libvirt"),
}

#: what xl-py says when it cannot do something yet (the test then skips with the message)
_NOT_SUPPORTED = re.compile(
    r"backend cannot|not (yet )?implemented|not supported|no backend is available", re.I)
#: ... and which of these hold for the verb whatever the arguments (remembered)
_GLOBALLY_UNSUPPORTED = re.compile(r"not (yet )?implemented|no backend is available", re.I)
_UNSUPPORTED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Toolstack:
    """The reference ``xl`` or ``xl-py`` with one backend."""

    name: str
    argv: tuple[str, ...]
    backend_module: str | None = None  # None for the reference xl

    @property
    def is_reference(self) -> bool:
        return self.backend_module is None

    def missing(self, command: str) -> str | None:
        if self.is_reference:
            return None
        reason = xlpy_missing(command)
        if reason:
            return reason
        spec = importlib.util.find_spec(f"xl_py.backends.{self.backend_module}")
        if spec is None:
            return f"xl-py backend {self.backend_module} not implemented yet"
        if self.backend_module == "libvirt":
            return libvirtd_down()
        return None

    def require(self, *commands: str) -> None:
        for command in commands:
            reason = self.missing(command)
            if reason:
                pytest.skip(reason)

    def _key(self, args: Sequence[str]) -> tuple[str, str]:
        """(toolstack, verb) with ``-N`` kept apart: a dry run works before a real one."""
        at = next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))
        verb = args[at] if at < len(args) else ""
        return self.name, ("-N " if "-N" in args[:at] else "") + verb

    def known_unsupported(self, *args: str) -> str | None:
        """The reason xl-py gave earlier in this session for not doing ``args``'s verb."""
        return _UNSUPPORTED.get(self._key(args))

    def run(self, *args: str, timeout: float = 120) -> Result:
        reason = self.known_unsupported(*args)
        if reason:  # xl-py is slow under TCG: do not ask again what it said it cannot do
            pytest.skip(reason)
        return sh((*self.argv, *args), timeout=timeout)

    def ok(self, *args: str, timeout: float = 120) -> Result:
        """Run; skip when xl-py says the operation is not supported yet; else assert rc 0."""
        return must(self.supported(self.run(*args, timeout=timeout)))

    def supported(self, result: Result) -> Result:
        """``result``, unless xl-py said it cannot do that yet: then the test skips."""
        if not result.ok and not self.is_reference and _NOT_SUPPORTED.search(result.err):
            args = result.argv[len(self.argv):]
            reason = f"{self.name} {self._key(args)[1]}: {result.err.strip().splitlines()[-1]}"
            if _GLOBALLY_UNSUPPORTED.search(result.err):
                _UNSUPPORTED[self._key(args)] = reason
            pytest.skip(reason)
        return result


LIBVIRTD_SOCKET = Path("/run/libvirt/libvirt-sock")
LIBVIRTD_LOG = Path("/var/log/libvirt/libvirtd.log")


@cache
def libvirtd_down() -> str | None:
    """Why libvirtd does not serve xen:///system in this dom0 (None when it does).

    A lane condition, not an xl-py one: libvirt's libxl driver refuses to start when it
    cannot name the host CPU, and the TCG CPU of the lane may be such a CPU.
    """
    if LIBVIRTD_SOCKET.is_socket():
        return None
    try:
        errors = [line for line in LIBVIRTD_LOG.read_text(errors="replace").splitlines()
                  if ": error : " in line]
    except OSError:
        errors = []
    detail = "; ".join(e.split(": error : ", 1)[1] for e in errors
                       if "dmidecode" not in e)[:300] or "no log"
    return f"libvirtd is not running in the lane's dom0 (libxl driver: {detail})"


XL = Toolstack("xl", ("xl",))


def xlpy(backend: str) -> Toolstack:
    opts, module = BACKENDS[backend]
    return Toolstack(f"xl-py/{backend}", ("xl-py", *opts), module)


def toolstacks() -> list[Toolstack]:
    return [XL, *(xlpy(b) for b in BACKENDS)]


# ---------------------------------------------------------------- guests


@dataclass(frozen=True, slots=True)
class GuestSpec:
    """A lane guest: the tiny busybox initramfs on the Debian kernel."""

    name: str
    kind: str = "pv"  # pv | pvh | hvm
    memory: int = 128
    maxmem: int = 256
    vcpus: int = 1
    maxvcpus: int = 2
    extra_keys: tuple[str, ...] = ()
    cmdline: str = ""

    def config(self) -> str:
        lines = [
            f'name = "{self.name}"',
            f'type = "{self.kind}"',
            f'kernel = "{GUEST_KERNEL}"',
            f'ramdisk = "{GUEST_RAMDISK}"',
            f"memory = {self.memory}",
            f"maxmem = {self.maxmem}",
            f"vcpus = {self.vcpus}",
            f"maxvcpus = {self.maxvcpus}",
            'on_poweroff = "destroy"',
            'on_reboot = "restart"',
            'on_crash = "preserve"',
        ]
        if self.kind == "hvm":
            serial = CONSOLE_DIR / f"serial-{self.name}.log"
            # the last console= is /dev/console: the guest's markers go to the serial file;
            # quiet: each kernel line on the emulated UART costs ~0.3 s of guest time under
            # TCG (boots of 46-144 s quiet against 142 s to over 150 s verbose, hvm-soak.sh)
            lines += [f'cmdline = "console=hvc0 console=ttyS0 quiet rdinit=/init {self.cmdline}"',
                      'vga = "none"', "vnc = 0", "sdl = 0", f'serial = "file:{serial}"']
        else:
            lines.append(f'extra = "console=hvc0 rdinit=/init {self.cmdline}"')
        lines += self.extra_keys
        return "\n".join(lines) + "\n"

    def write(self, directory: Path | None = None) -> Path:
        folder = directory or SCRATCH / "configs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.cfg"
        path.write_text(self.config())
        return path


def console_log(name: str) -> Path:
    return CONSOLE_DIR / f"guest-{name}.log"


def console_text(name: str) -> str:
    try:
        return console_log(name).read_bytes().decode(errors="replace")
    except OSError:
        return ""


def wait_console(name: str, pattern: str, timeout: float = 120, since: int = 0) -> re.Match[str]:
    """Wait until xenconsoled's log of ``name`` matches ``pattern`` after offset ``since``."""
    found: list[re.Match[str]] = []

    def probe() -> bool:
        match = re.search(pattern, console_text(name)[since:])
        if match:
            found.append(match)
        return match is not None

    try:
        wait_for(f"{pattern!r} on the console of {name}", probe, timeout)
    except AssertionError as exc:
        tail = "\n".join(console_text(name).splitlines()[-10:])
        raise AssertionError(f"{exc}\n--- console tail\n{tail}") from None
    return found[0]


def guest_mem_kb(name: str, since: int = 0) -> int:
    """The last MemTotal the guest printed."""
    values = re.findall(r"LANE-GUEST-MEM (\d+)", console_text(name)[since:])
    return int(values[-1]) if values else 0


def pty_console(argv: Sequence[str], pattern: str, timeout: float = 60) -> str:
    """Run a console command on a pty until ``pattern`` shows; returns what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not re.search(pattern.encode(), seen):
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
    finally:
        with contextlib.suppress(OSError):
            os.write(master, b"\x1d")  # xenconsole's escape character (Ctrl-])
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        os.close(master)
    return seen.decode(errors="replace")


# ---------------------------------------------------------------- domains and xenstore


def xs_list(path: str) -> list[str]:
    result = sh(["xenstore-list", path], timeout=30)
    return result.out.split() if result.ok else []


def xs_read(path: str) -> str | None:
    result = sh(["xenstore-read", path], timeout=30)
    return result.out.strip() if result.ok else None


def domains() -> dict[str, int]:
    """name -> domid of every domain xenstore knows (dom0 included)."""
    found = {}
    for domid in xs_list("/local/domain"):
        name = xs_read(f"/local/domain/{domid}/name")
        if name is not None:
            found[name] = int(domid)
    return found


def xenstore_snapshot() -> tuple[frozenset[str], frozenset[str]]:
    """The children of /local/domain and /vm: a fault must leave both as they were."""
    return frozenset(xs_list("/local/domain")), frozenset(xs_list("/vm"))


def domid_of(name: str) -> int | None:
    return domains().get(name)


def destroy_quietly(name: str) -> None:
    if domid_of(name) is not None:
        sh(["xl", "destroy", name], timeout=60)


def xl_list_long(ident: str, tool: Toolstack = XL) -> list[dict[str, object]]:
    result = tool.ok("list", "-l", ident, timeout=60)  # skips where xl-py cannot
    data = json.loads(result.out)
    assert isinstance(data, list), result.out
    return data


def list_row(ident: str, tool: Toolstack = XL) -> dict[str, str]:
    """``xl list <ident>``'s one row as name/id/mem/vcpus/state/time."""
    result = must(tool.run("list", ident, timeout=60))
    lines = result.out.splitlines()
    assert len(lines) == 2, result.out
    name, domid, mem, vcpus, state, cpu = lines[1].split()
    return {"name": name, "id": domid, "mem": mem, "vcpus": vcpus, "state": state, "time": cpu}


@dataclass
class Running:
    """A guest a test module created (and destroys at the end)."""

    spec: GuestSpec
    creator: Toolstack
    config: Path
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def domid(self) -> int:
        domid = domid_of(self.spec.name)
        assert domid is not None, f"domain {self.spec.name} does not exist"
        return domid


def create(spec: GuestSpec, tool: Toolstack, *, retries: int = 1,
           strict: bool = False) -> Running:
    """Create ``spec`` with ``tool``.

    Unless ``strict``, the reference xl steps in when xl-py has no ``create`` yet (or
    says it cannot create yet), so that xl-py's other commands still get a domain to
    manage; the fallback is noted.  xl 4.17 itself crashes now and then under TCG on a
    PVH create although the domain is built: such a create is retried after a destroy.
    """
    config = spec.write()
    notes: list[str] = []
    creator = tool
    if not tool.is_reference:
        reason = tool.missing("create") or tool.known_unsupported("create")
        if reason is None:
            destroy_quietly(spec.name)
            result = tool.run("create", str(config), timeout=240)
            if result.ok:
                return Running(spec, tool, config, notes)
            destroy_quietly(spec.name)
            if strict or not _NOT_SUPPORTED.search(result.err):
                tool.supported(result)
                raise AssertionError(str(result))
            reason = result.err.strip().splitlines()[-1]
        elif strict:
            pytest.skip(reason)
        notes.append(f"created with xl: {reason}")
        creator = XL
    for attempt in range(retries + 1):
        destroy_quietly(spec.name)
        result = creator.run("create", str(config), timeout=240)
        if result.ok:
            break
        crashed = re.search(r"segmentation|fatal signal|aborted|unable to XZ decompress",
                            result.err, re.I)
        if attempt < retries and (crashed or result.rc < 0):
            notes.append(f"xl create crashed once (rc={result.rc}); retried")
            continue
        destroy_quietly(spec.name)
        raise AssertionError(str(result))
    return Running(spec, creator, config, notes)

