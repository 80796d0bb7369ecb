"""Run the reference Xen 4.17 tools: `xl -N create`, libxlutil, xenstored.

The tools are Debian 12's own binaries, unmodified, fetched by
tools/fetch-reference.sh into the cache (XLREF_CACHE, default
<repo>/.cache/xen-4.17) and run on this machine without a hypervisor under
our LD_PRELOAD stand-in, tests/reference/nohv_shim.c.  See
docs/reference-harness.md.

STABLE API (other tests import these names; keep them):

    unavailable() -> str | None           reason the reference cannot run, or None
    xl_dryrun(cfg, *args, xl_conf=None) -> Result(rc, stdout, stderr)
    xlu_parse(cfg, keys=None, all_keys=False) -> dict   libxlutil's view of a file
    xlu_disk(spec) / xlu_pci(spec) / xlu_vif_rate(rate) -> dict
    normalise_uuid(json_text) -> str      replaces the random c_info.uuid

Also:

    Host(cpus=2, nodes=1, memory_mb=4096, xen_cmdline="")   the stand-in host;
        its defaults are xl_py._types.HostInfo's defaults.  Every xl_dryrun*
        takes host=.
    xl_dryrun_text(text, *args, name="guest.cfg", ...)      the config as text,
        run from a temporary directory so messages name `name`
    xl_dryrun_many(cfgs, *args, ...) -> list[Result]        in parallel
    xlu_parse_text(text, name="guest.cfg", keys=None, all_keys=False)
    xlu_rdm(spec) -> dict
    OracleCrash                           raised when libxlutil dies on an input
                                          (the xlu_* calls run in a worker process)
    start_xenstored(directory, flavour="c"|"ocaml") -> socket path
    stop_xenstored(directory);  xenstore_env(directory) -> env for xenstore-* clients
    tools() -> Tools                      paths of the cached binaries
"""

from __future__ import annotations

import base64
import functools
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FETCH = REPO / "tools" / "fetch-reference.sh"

# Variables of ours and of the tools that must not leak from the caller.
_SCRUB = ("LD_PRELOAD", "LD_LIBRARY_PATH", "XENSTORED_PATH", "XENSTORED_RUNDIR",
          "XLREF_XL_CONF", "XLREF_HOST_CPUS", "XLREF_HOST_NODES",
          "XLREF_HOST_MEMORY_MB", "XLREF_XEN_CMDLINE", "XLREF_XS_RUNDIR")


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Host:
    """What the shim tells xl about the host (libxl_get_physinfo & co)."""

    cpus: int = 2
    nodes: int = 1
    memory_mb: int = 4096
    xen_cmdline: str = ""

    def env(self) -> dict[str, str]:
        return {"XLREF_HOST_CPUS": str(self.cpus), "XLREF_HOST_NODES": str(self.nodes),
                "XLREF_HOST_MEMORY_MB": str(self.memory_mb),
                "XLREF_XEN_CMDLINE": self.xen_cmdline}


DEFAULT_HOST = Host()


@dataclass(frozen=True)
class Tools:
    """The unpacked reference tree."""

    cache: Path

    @property
    def root(self) -> Path:
        return self.cache / "root"

    @property
    def libdir(self) -> Path:
        return self.root / "usr" / "lib" / "x86_64-linux-gnu"

    @property
    def bindir(self) -> Path:
        return self.root / "usr" / "lib" / "xen-4.17" / "bin"

    @property
    def xl(self) -> Path:
        return self.bindir / "xl"

    @property
    def shim(self) -> Path:
        return self.cache / "nohv_shim.so"

    @property
    def empty_xl_conf(self) -> Path:
        return self.cache / "empty-xl.conf"

    def versions(self) -> dict[str, str]:
        """Debian package -> version actually unpacked."""
        lines = (self.cache / "versions.txt").read_text().splitlines()
        return dict(line.split(" ", 1) for line in lines if " " in line)


def cache_dir() -> Path:
    return Path(os.environ.get("XLREF_CACHE") or REPO / ".cache" / "xen-4.17")


@functools.cache
def _prepare() -> Tools | str:
    """Fetch and build once per process; a str is the reason it failed."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"reference Xen tools need linux/x86_64, not {sys.platform}/{platform.machine()}"
    if os.environ.get("XLREF_DISABLE"):
        return "reference Xen tools disabled (XLREF_DISABLE is set)"
    env = dict(os.environ, XLREF_CACHE=str(cache_dir()))
    try:
        proc = subprocess.run(["bash", str(FETCH)], capture_output=True, text=True,
                              env=env, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"reference Xen tools unavailable: {FETCH.name}: {exc}"
    if proc.returncode:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        return f"reference Xen tools unavailable: {lines[-1]}"
    return Tools(Path(proc.stdout.strip().splitlines()[-1]))


def unavailable() -> str | None:
    prepared = _prepare()
    return prepared if isinstance(prepared, str) else None


def tools() -> Tools:
    prepared = _prepare()
    if isinstance(prepared, str):
        raise RuntimeError(prepared)
    return prepared


# ---------------------------------------------------------------- xl -N create


def xl_env(xl_conf: str | Path | None = None, host: Host = DEFAULT_HOST,
           base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that runs the reference `xl` on the shim.

    xl_conf replaces /etc/xen/xl.conf; None means an empty file (so xl neither
    reads the machine's xl.conf nor warns that it is missing).
    """
    t = tools()
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _SCRUB}
    env.update(host.env())
    env.update(LC_ALL="C", LD_LIBRARY_PATH=str(t.libdir), LD_PRELOAD=str(t.shim),
               XLREF_XL_CONF=str(Path(xl_conf).resolve() if xl_conf else t.empty_xl_conf))
    return env


def xl_dryrun(cfg: str | Path, *args: str, xl_conf: str | Path | None = None,
              host: Host = DEFAULT_HOST, cwd: str | Path | None = None,
              timeout: float = 60) -> Result:
    """`xl -N create CFG ARGS...`: JSON on stdout, xl's messages on stderr."""
    proc = subprocess.run([str(tools().xl), "-N", "create", str(cfg), *args],
                          capture_output=True, env=xl_env(xl_conf, host), cwd=cwd,
                          timeout=timeout, check=False)
    return Result(proc.returncode, _decode(proc.stdout), _decode(proc.stderr))


def xl_dryrun_text(text: str | bytes, *args: str, name: str = "guest.cfg",
                   xl_conf: str | Path | None = None, host: Host = DEFAULT_HOST,
                   timeout: float = 60) -> Result:
    """Like xl_dryrun, for config text; xl's messages name the file `name`."""
    data = text.encode() if isinstance(text, str) else text
    with tempfile.TemporaryDirectory(prefix="xlref-") as tmp:
        path = Path(tmp, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        conf = Path(xl_conf).resolve() if xl_conf else None
        return xl_dryrun(name, *args, xl_conf=conf, host=host, cwd=tmp, timeout=timeout)


def xl_dryrun_many(cfgs: Iterable[str | Path], *args: str,
                   xl_conf: str | Path | None = None, host: Host = DEFAULT_HOST,
                   workers: int | None = None) -> list[Result]:
    """xl_dryrun for many files, in parallel threads (one xl process each)."""
    paths = list(cfgs)
    tools()  # fetch once, before the threads

    def one(cfg: str | Path) -> Result:
        return xl_dryrun(cfg, *args, xl_conf=xl_conf, host=host)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        return list(pool.map(one, paths))


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


_UUID = re.compile(r'("uuid": )"[0-9a-f-]{36}"')


def normalise_uuid(text: str) -> str:
    return _UUID.sub(r'\1"<uuid>"', text, count=1)


# ---------------------------------------------------------------- libxlutil


class OracleCrash(RuntimeError):
    """libxlutil died on a request (e.g. an assertion); the worker restarts."""


class _Worker:
    """tests/reference/xlu.py --serve, started on first use; one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._log: Any = None

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives with the worker)
            self._proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("xlu.py")), "--serve",
                 str(tools().libdir)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
                encoding="utf-8", bufsize=1)
        return self._proc

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except BrokenPipeError:
                line = ""
            if line:
                answer: dict[str, Any] = json.loads(line)
                return answer
            raise self._crashed(proc, request)

    def _crashed(self, proc: subprocess.Popen[str], request: dict[str, Any]) -> OracleCrash:
        rc = proc.wait(timeout=10)
        how = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit status {rc}"
        self._log.seek(0)
        log = self._log.read().strip()
        self._proc = None
        what = request.get("spec", request.get("source"))
        return OracleCrash(f"libxlutil died ({how}) on {request.get('kind', 'config')}"
                           f" {what!r}" + (f": {log.splitlines()[-1]}" if log else ""))


_WORKER = _Worker()


def _keys(keys: list[str] | None, all_keys: bool) -> list[str]:
    from .xlu import DEFAULT_KEYS

    if keys:
        return list(keys)
    return [] if all_keys else list(DEFAULT_KEYS)


def xlu_parse(cfg: str | Path, keys: list[str] | None = None,
              all_keys: bool = False) -> dict[str, Any]:
    """libxlutil's reading of a file.

    keys: "name[:str|int|list|auto]" (default: the keys xl reads most);
    all_keys: also every key present, with its line and operator.
    Returns {source, rc, errno, report, values, missing, errors[, lines]}.
    """
    return _WORKER.call({"op": "parse", "source": str(cfg), "data": None,
                         "keys": _keys(keys, all_keys), "all": all_keys})


def xlu_parse_text(text: str | bytes, name: str = "guest.cfg", keys: list[str] | None = None,
                   all_keys: bool = False) -> dict[str, Any]:
    """xlu_parse for config text (xlu_cfg_readdata), reported as `name`."""
    data = text.encode() if isinstance(text, str) else text
    return _WORKER.call({"op": "parse", "source": name,
                         "data": base64.b64encode(data).decode(),
                         "keys": _keys(keys, all_keys), "all": all_keys})


def xlu_disk(spec: str) -> dict[str, Any]:
    """xlu_disk_parse: {spec, rc, report, libxl_disk}."""
    return _WORKER.call({"op": "device", "kind": "disk", "spec": spec})


def xlu_pci(spec: str) -> dict[str, Any]:
    """xlu_pci_parse_spec_string: {spec, rc, report, libxl_pci}."""
    return _WORKER.call({"op": "device", "kind": "pci", "spec": spec})


def xlu_vif_rate(rate: str) -> dict[str, Any]:
    """xlu_vif_parse_rate: {spec, rc, report, libxl_nic}."""
    return _WORKER.call({"op": "device", "kind": "rate", "spec": rate})


def xlu_rdm(spec: str) -> dict[str, Any]:
    """xlu_rdm_parse: {spec, rc, report, libxl_rdm}."""
    return _WORKER.call({"op": "device", "kind": "rdm", "spec": spec})


# ---------------------------------------------------------------- xenstored


def _xenstored_command(directory: Path, flavour: str) -> tuple[list[str], dict[str, str]]:
    t = tools()
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(DEFAULT_HOST.env())
    env.update(LD_LIBRARY_PATH=str(t.libdir), LD_PRELOAD=str(t.shim))
    if flavour == "c":
        env["XENSTORED_RUNDIR"] = str(directory)
        return [str(t.bindir / "xenstored"), "--no-fork"], env
    if flavour == "ocaml":
        conf = directory / "oxenstored.conf"
        conf.write_text(f"pid-file = {directory}/oxenstored.pid\n"
                        "persistent = false\n"
                        f"xenstored-log-file = {directory}/oxenstored.log\n"
                        f"access-log-file = {directory}/access.log\n"
                        # dom0's ring and port: answered by the shim
                        "xenstored-kva = /proc/xen/xsd_kva\n"
                        "xenstored-port = /proc/xen/xsd_port\n")
        env["XLREF_XS_RUNDIR"] = str(directory)
        return [str(t.bindir / "oxenstored"), "--no-fork", "--config-file", str(conf)], env
    raise ValueError(f"xenstored flavour must be 'c' or 'ocaml', not {flavour!r}")


def _answers(sock: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(sock))
        except OSError:
            return False
    return True


def start_xenstored(directory: str | Path, flavour: str = "c", timeout: float = 10) -> Path:
    """A real xenstored (C or OCaml) on DIRECTORY/socket; idempotent.

    Its pid is in DIRECTORY/xenstored.pid; stop it with stop_xenstored().
    """
    d = Path(directory).resolve()
    d.mkdir(parents=True, exist_ok=True)
    sock = d / "socket"
    if _running(d) and _answers(sock):
        return sock
    sock.unlink(missing_ok=True)
    argv, env = _xenstored_command(d, flavour)
    with open(d / "xenstored.log", "ab") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True)
    (d / "xenstored.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _answers(sock):
            return sock
        time.sleep(0.02)
    stop_xenstored(d)
    log_text = (d / "xenstored.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{flavour} xenstored did not come up on {sock}:\n{log_text}")


def _running(d: Path) -> int | None:
    try:
        pid = int((d / "xenstored.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_xenstored(directory: str | Path) -> None:
    """SIGTERM the daemon, SIGKILL it after 10 s, and return once it is gone."""
    d = Path(directory).resolve()
    pid = _running(d)
    if pid is not None and not _wait_gone(pid, signal.SIGTERM, 10.0):
        _wait_gone(pid, signal.SIGKILL, 10.0)
    (d / "xenstored.pid").unlink(missing_ok=True)
    (d / "socket").unlink(missing_ok=True)


def _wait_gone(pid: int, sig: int, seconds: float) -> bool:
    """Send ``sig``; True once ``pid`` has exited (reaped if it is our child)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:  # not our child: gone when kill(0) fails or a zombie
            try:
                os.kill(pid, 0)
            except OSError:
                return True
            if _is_zombie(pid):
                return True
        time.sleep(0.02)
    return False


def _is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def xenstore_env(directory: str | Path) -> dict[str, str]:
    """Environment for the xenstore-* clients (and libxenstore) to use DIRECTORY's daemon."""
    t = tools()
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(XENSTORED_PATH=str(Path(directory).resolve() / "socket"),
               LD_LIBRARY_PATH=str(t.libdir),
               PATH=f"{t.root / 'usr' / 'bin'}:{t.bindir}:{env.get('PATH', '')}")
    return env
