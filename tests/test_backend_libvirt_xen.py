"""The libvirt backend against libvirt's real libxl driver, without a hypervisor.

A standalone libvirtd (Debian's, unmodified) loads only its libxl driver, which runs
on Xen 4.17's real libxenlight over the reference harness's shim and a real C
xenstored (tests/reference).  What that driver can do there, measured with it:

* connect, getType/getVersion/getInfo/getFreeMemory, capabilities, NUMA free memory:
  the stand-in host the shim describes, through the driver's own code;
* define/undefine persistent domains, dumpxml, config-only changes;
* create a domain: no (libxl fails once it needs the hypervisor: "Illegal pool
  specified", the shim has no cpupools); rename: the driver has no virDomainRename.

So these tests cover ``xl-py -c xen+unix:///...`` for the host queries, the empty
lists, create's failure (clear message, nothing left behind), and that the domain XML
create sends is read by the real driver as the domain its own xl.cfg reader makes of
the same config.  Everything that needs a running guest is in the real-Xen lane
(tests/e2e, docs/xenvm.md).  Needs root and Debian's libvirt-daemon +
libvirt-daemon-driver-xen; skips with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_session import Session
from reference import xlref

from xl_py.cli.commands._runtime import close

libvirt = pytest.importorskip("libvirt")

LIBXL_DRIVER = Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/"
                    "libvirt_driver_libxl.so")
#: the stand-in host: not the shim's defaults, so the numbers below come through
HOST = xlref.Host(cpus=4, nodes=2, memory_mb=6144)
PREFIX = "xlpy-lvxen-"  # every domain these tests define (undefined at the end)


def unavailable() -> str | None:
    if os.geteuid() != 0:
        return "libvirtd with its libxl driver needs root"
    if shutil.which("libvirtd") is None:
        return "libvirtd not installed (Debian: libvirt-daemon)"
    if not LIBXL_DRIVER.exists():
        return f"{LIBXL_DRIVER} missing (Debian: libvirt-daemon-driver-xen)"
    return xlref.unavailable()


@dataclass
class Libvirtd:
    """libvirtd with only the libxl driver, its socket and state under ``root``."""

    root: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.root / "run" / "libvirt-sock"

    @property
    def uri(self) -> str:
        return f"xen+unix:///system?socket={self.socket}"

    def start(self, timeout: float = 60) -> None:
        (self.root / "run").mkdir(parents=True)
        drivers = self.root / "drivers"
        drivers.mkdir()
        (drivers / LIBXL_DRIVER.name).symlink_to(LIBXL_DRIVER)
        conf = self.root / "libvirtd.conf"
        conf.write_text(f'unix_sock_dir = "{self.root / "run"}"\nunix_sock_rw_perms = "0700"\n'
                        'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                        f'log_outputs = "3:file:{self.root / "libvirtd.log"}"\n')
        sock = xlref.start_xenstored(self.root / "xs")
        t = xlref.tools()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "XLREF_"))}
        env.update(HOST.env(), LD_PRELOAD=str(t.shim), LD_LIBRARY_PATH=str(t.libdir),
                   XENSTORED_PATH=str(sock), XLREF_DOM0="1", LIBVIRT_DRIVER_DIR=str(drivers))
        with open(self.root / "libvirtd.stdout", "wb") as out:
            self.proc = subprocess.Popen(["libvirtd", "-f", str(conf)], env=env, stdout=out,
                                         stderr=out, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.socket.is_socket() and self._answers():
                return
            time.sleep(0.1)
        log = (self.root / "libvirtd.log").read_text(errors="replace")[-600:] if (
            self.root / "libvirtd.log").exists() else ""
        self.stop()
        raise RuntimeError(f"libvirtd with the libxl driver did not come up: {log}")

    def _answers(self) -> bool:
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError:
            return False
        ok = conn.getType() == "Xen"
        conn.close()
        return bool(ok)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        xlref.stop_xenstored(self.root / "xs")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Libvirtd]:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    d = Libvirtd(tmp_path_factory.mktemp("libvirtd-xen"))
    try:
        d.start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield d
    finally:
        _undefine_ours(d.uri)
        d.stop()


def _undefine_ours(uri: str) -> None:
    conn = libvirt.open(uri)
    try:
        for dom in conn.listAllDomains(0):
            if dom.name().startswith(PREFIX):
                dom.undefine()
    finally:
        conn.close()


@pytest.fixture()
def xl(daemon: Libvirtd) -> Iterator[Session]:
    s = Session(daemon.uri)
    yield s
    close(s.ctx)


@pytest.fixture()
def conn(daemon: Libvirtd) -> Iterator[Any]:
    c = libvirt.open(daemon.uri)
    yield c
    c.close()


def test_info_is_the_host_libxl_describes(xl: Session, daemon: Libvirtd) -> None:
    code, out, err = xl("info")
    assert (code, err) == (0, "")
    rows = {k.strip(): v for k, v in (line.split(" : ", 1) for line in out.splitlines())}
    assert {k: rows[k] for k in ("nr_cpus", "max_cpu_id", "nr_nodes", "total_memory",
                                 "free_memory", "xen_major", "xen_minor", "hypervisor",
                                 "libvirt_uri")} == {
        "nr_cpus": str(HOST.cpus), "max_cpu_id": str(HOST.cpus - 1),
        "nr_nodes": str(HOST.nodes), "total_memory": str(HOST.memory_mb),
        "free_memory": str(HOST.memory_mb), "xen_major": "4", "xen_minor": "17",
        "hypervisor": "Xen", "libvirt_uri": daemon.uri}
    # libxl's capabilities string, as libvirt's driver parsed it into <guest> elements
    assert rows["xen_caps"] == "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"
    info = json.loads(xl("info", "--json")[1])
    assert (info["nr_cpus"], info["nr_nodes"], info["xen_caps"]) == (
        HOST.cpus, HOST.nodes, rows["xen_caps"])


def test_lists_are_empty_without_running_guests(xl: Session) -> None:
    assert xl("list") == (0, "Name                                        ID   Mem VCPUs\t"
                             "State\tTime(s)\n", "")
    assert xl("list", "-l") == (0, "[]\n", "")
    assert xl("vm-list") == (0, "UUID                                  ID    name\n", "")


def test_unknown_domain_is_one_clear_line(xl: Session) -> None:
    assert xl("list", "nosuch") == (1, "", "error: 'nosuch' is an invalid domain identifier\n")
    assert xl("pause", "17") == (1, "", "error: '17' is an invalid domain identifier\n")
    assert xl("domid", "nosuch") == (
        1, "", "error: Can't get domid of domain name 'nosuch', maybe this domain does not "
               "exist.\n")


GUEST = """name = "{name}"
type = "pv"
kernel = "/boot/vmlinuz-xlpy"
ramdisk = "/boot/initrd-xlpy"
extra = "console=hvc0 root=/dev/xvda1"
memory = 256
maxmem = 512
vcpus = 1
maxvcpus = 2
on_crash = "preserve"
cpu_weight = 512
disk = [ "/srv/{name}.img,raw,xvda,rw", "/dev/vg0/{name}-data,raw,xvdb,r" ]
vif = [ "mac=00:16:3e:00:00:42,bridge=xenbr0", "mac=00:16:3e:00:00:43,bridge=xenbr1" ]
"""


def _xml_of_create(text: str, name: str) -> str:
    """The domain XML the libvirt backend's create sends for ``text``."""
    from xl_py import pipeline
    from xl_py.cli.commands._runtime import xl_keys
    from xl_py.render.libvirt_xml import to_xml

    built = pipeline.build(text, f"{name}.cfg")
    return to_xml(xl_keys(built.raw), built.config.disks, for_libxl_driver=True)


def test_create_xml_is_what_the_driver_makes_of_the_config(conn: Any, tmp_path: Path) -> None:
    """The real libxl driver reads the XML create sends as the same domain its own
    xl.cfg reader (domxml-from-native xen-xl) makes of the config, but for the raw
    disks (libvirt's reader pins them to qdisk, xl-py leaves them to libxl as xl does) and
    cpu_weight (libvirt's reader drops it, xl-py passes it as <cputune><shares>)."""
    name = f"{PREFIX}web"
    text = GUEST.format(name=name)
    ours = conn.defineXML(_xml_of_create(text, name))
    try:
        uuid = ours.UUIDString()
        got = ours.XMLDesc(0)
    finally:
        ours.undefine()
    native = conn.domainXMLFromNative("xen-xl", text, 0)
    native = native.replace(native.split("<uuid>")[1].split("</uuid>")[0], uuid)
    qdisk = "      <driver name='qemu' type='raw'/>\n"
    assert native.count(qdisk) == 2 and got.count(qdisk) == 0
    # the driver keeps the format, without a backend: libxl chooses
    vcpu = "  <vcpu placement='static' current='1'>2</vcpu>\n"
    assert got == native.replace(qdisk, "      <driver type='raw'/>\n").replace(
        vcpu, f"{vcpu}  <cputune>\n    <shares>512</shares>\n  </cputune>\n")
    assert "<mac address='00:16:3e:00:00:43'/>" in got and "<readonly/>" in got


def test_failed_create_is_clear_and_leaves_nothing(xl: Session, conn: Any,
                                                   tmp_path: Path) -> None:
    name = f"{PREFIX}nohv"
    cfg = tmp_path / f"{name}.cfg"
    cfg.write_text(GUEST.format(name=name))
    code, out, err = xl("create", str(cfg))
    assert (code, out) == (1, "")
    # libvirt's own message, then libxl's reason from the driver's log (a local daemon)
    first, second, third = err.splitlines()
    assert (first, second) == (
        f"Parsing config from {cfg}",
        f"error: creating domain {name}: internal error: libxenlight failed to create new "
        f"domain '{name}'")
    assert re.fullmatch(r"libxl: libxl_create\.c:\d+:libxl__domain_config_setdefault: "
                        r"Illegal pool specified: \(null\)", third), third
    assert [d.name() for d in conn.listAllDomains(0) if d.name().startswith(PREFIX)] == []
    assert xl("list", name) == (1, "", f"error: '{name}' is an invalid domain identifier\n")
