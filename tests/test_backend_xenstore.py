"""The xenstore backend and the runtime commands against the REAL xenstored.

Both daemons of Xen 4.17 run here on the reference harness's stand-in for the
hypervisor: the C xenstored and oxenstored, and oxenstored again with
``test-eagain = true`` (a third of all transaction commits answer EAGAIN), to
prove that no transactional write is lost.  Domains are written the way libxl
writes them (tests/xs_domains.py), then xl-py's commands run against them.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from xs_domains import Dom, add_dom0, add_domain, clear, introduce

from xl_py.backends.xenstore import XenstoreBackend
from xl_py.backends.xsclient import XsClient, XsError
from xl_py.cli.context import Context
from xl_py.cli.main import run
from xl_py.errors import BackendUnavailable, DomainNotFound, OperationError, XlPyError

pytest.importorskip("pyxs")
pytestmark = pytest.mark.reference


def _start_eagain(reference: object, directory: Path) -> Path:
    """oxenstored with ``test-eagain = true`` added to the harness's config."""
    from reference import xlref

    xlref.stop_xenstored(directory)
    argv, env = xlref._xenstored_command(directory, "ocaml")
    conf = directory / "oxenstored.conf"
    conf.write_text(conf.read_text() + "test-eagain = true\n")
    sock = directory / "socket"
    with open(directory / "xenstored.log", "ab") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True)
    (directory / "xenstored.pid").write_text(f"{proc.pid}\n")
    for _ in range(250):
        if xlref._answers(sock):
            return sock
        time.sleep(0.02)
    raise RuntimeError("oxenstored with test-eagain did not come up")


@pytest.fixture(scope="module", params=["c", "ocaml", "ocaml-eagain"])
def xenstored(request: pytest.FixtureRequest, reference: object,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from reference import xlref

    directory = tmp_path_factory.mktemp(f"xs-{request.param}")
    if request.param == "ocaml-eagain":
        sock = _start_eagain(reference, directory)
    else:
        sock = xlref.start_xenstored(directory, request.param)
    try:
        yield request.param, str(sock)
    finally:
        xlref.stop_xenstored(directory)


DOMS = (
    Dom(1, "web", memory_mb=512, maxmem_mb=1024, vcpus=2, max_vcpus=4,
        uuid="3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d001", vifs=("00:16:3e:11:22:33",)),
    Dom(2, "db", memory_mb=1024, maxmem_mb=2048, vcpus=1, max_vcpus=2, type="hvm",
        uuid="3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d002"),
    Dom(7, "mail", memory_mb=256, maxmem_mb=256, vcpus=1, max_vcpus=1, type="pvh",
        uuid="3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d007", vifs=("00:16:3e:44:55:66",)),
)


@pytest.fixture()
def sock(xenstored: tuple[str, str]) -> Iterator[str]:
    xs = XsClient(xenstored[1])
    clear(xs)
    add_dom0(xs)
    for d in DOMS:
        if xenstored[0] == "c":
            introduce(xs, d.domid)
        add_domain(xs, d)
    xs.close()
    yield xenstored[1]


def xl(sock: str, *argv: str) -> tuple[int, str, str]:
    """Run ``xl-py -c xenstore:SOCK argv`` in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(stdout=out, stderr=err, environ={})
    try:
        code = run(["-c", f"xenstore:{sock}", *argv], ctx)
    except XlPyError as exc:
        err.write("\n".join(d.format() for d in exc.diagnostics()) + "\n")
        code = exc.exit_code
    finally:
        from xl_py.cli.commands._runtime import close

        close(ctx)
    return code, out.getvalue(), err.getvalue()


# -- list and lookups --------------------------------------------------------------

def test_list_shows_dom0_and_guests_in_xl_columns(sock: str) -> None:
    code, out, _ = xl(sock, "list")
    assert code == 0
    assert out.splitlines() == [
        "Name                                        ID   Mem VCPUs\tState\tTime(s)",
        "Domain-0                                     0  2048     2     ------       0.0",
        "web                                          1   512     2     ------       0.0",
        "db                                           2  1032     1     ------       0.0",
        "mail                                         7   256     1     ------       0.0",
    ]


def test_list_verbose_and_json(sock: str) -> None:
    code, out, _ = xl(sock, "list", "-v", "db")
    assert code == 0
    assert out.splitlines()[1] == (
        "db                                           2  1032     1     ------       0.0 "
        "3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d002        -                -")
    import json

    code, out, _ = xl(sock, "list", "--json")
    rows = json.loads(out)
    assert [(r["domid"], r["name"], r["current_memkb"], r["max_memkb"], r["vcpu_online"],
             r["domain_type"]) for r in rows] == [
        (0, "Domain-0", 2048 * 1024, 2048 * 1024, 2, None),
        (1, "web", 512 * 1024, 1024 * 1024, 2, "pv"),
        (2, "db", 1032 * 1024, 2048 * 1024, 1, "hvm"),
        (7, "mail", 256 * 1024, 256 * 1024, 1, "pvh")]


@pytest.mark.parametrize("ident", ["mail", "7", "3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d007",
                                   "3B9C9AD35D2C4BF09A0E8D7FA9A4D007"])
def test_every_command_takes_name_domid_or_uuid(sock: str, ident: str) -> None:
    assert xl(sock, "domid", ident)[:2] == (0, "7\n")
    code, out, _ = xl(sock, "list", ident)
    assert code == 0 and out.splitlines()[1].startswith("mail ")


def test_vcpu_list_from_availability(sock: str) -> None:
    code, out, _ = xl(sock, "vcpu-list", "web")
    assert code == 0
    assert out.splitlines() == [
        "Name                                ID  VCPU   CPU State   Time(s) "
        "Affinity (Hard / Soft)",
        "web                                  1     0    -   ---       0.0  all / all",
        "web                                  1     1    -   ---       0.0  all / all",
        "web                                  1     2    -   --p       0.0  all / all",
        "web                                  1     3    -   --p       0.0  all / all",
    ]


def test_domname_and_vm_list(sock: str) -> None:
    assert xl(sock, "domname", "2") == (0, "db\n", "")
    _code, out, _ = xl(sock, "vm-list")
    assert out.splitlines() == [
        "UUID                                  ID    name",
        "3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d001  1    web                           ",
        "3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d002  2    db                            ",
        "3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d007  7    mail                          ",
    ]


@pytest.mark.parametrize(("argv", "code", "message"), [
    (("list", "nosuch"), 1, "error: 'nosuch' is an invalid domain identifier"),
    (("list", "99"), 1, "error: '99' is an invalid domain identifier"),
    (("mem-set", "00000000-1111-2222-3333-444444444444", "1g"), 1,
     "error: '00000000-1111-2222-3333-444444444444' is an invalid domain identifier"),
    (("domid", "nosuch"), 1,
     "error: Can't get domid of domain name 'nosuch', maybe this domain does not exist."),
    (("domname", "web"), 2, "error: Invalid domain id 'web': domname takes a numeric domain id"),
    (("domname", "42"), 1,
     "error: Can't get domain name of domain id '42', maybe this domain does not exist."),
    (("mem-set", "web", "2g"), 1,
     "error: cannot set memory of domain web (1) to 2048M: above its maximum of 1024M "
     "(raise it first with mem-max)"),
    (("mem-set", "web", "12q"), 1, "error: invalid memory size: 12q"),
    (("mem-max", "web", "256m"), 1,
     "error: cannot set the maximum memory of domain 1 to 256M: below its current target "
     "of 512M"),
    (("vcpu-set", "web", "5"), 1,
     "error: cannot set 5 vcpus on domain web (1): its maximum is 4 (maxvcpus)"),
    (("vcpu-set", "web", "0"), 1, "error: invalid vcpu count: must be at least 1"),
    (("rename", "web", "db"), 1, 'error: domain with name "db" already exists.'),
    (("pause", "web"), 1, "error: the xenstore backend cannot pause domains (that needs the "
                          "hypervisor: use the libxl backend or a libvirt URI)"),
    (("destroy", "0"), 1, "error: Not destroying domain 0; use -f to force."),
    (("shutdown", "db"), 1, "Shutting down domain 2\nerror: PV control interface not "
                            "available: external graceful shutdown not possible (use -F to "
                            "fall back to an ACPI power event)"),
    (("block-attach", "web", "/tmp/a.img,raw,xvdz9z,rw"), 1,
     "error: invalid virtual disk name 'xvdz9z' (expected e.g. xvda, hdc, sdb1)"),
    (("network-attach", "web", "mac=00:16:3e:44:55:66"), 1,
     "error: MAC address 00:16:3e:44:55:66 is already used by mail/0"),
    (("network-attach", "web", "mac=00:16:3e:zz:55:66"), 1,
     "error: invalid MAC address '00:16:3e:zz:55:66' (expected six hex octets like "
     "00:16:3e:12:34:56)"),
    (("network-attach", "web", "colour=blue"), 1,
     "error: unrecognized argument 'colour=blue' (expected one of mac=, bridge=, ip=, "
     "script=, backend=, vifname=, model=, rate=, devid=, type=)"),
    (("mem-set", "web"), 2, "error: 'xl mem-set' requires 2 arguments."),
])
def test_faults_are_one_clear_line_and_change_nothing(sock: str, argv: tuple[str, ...],
                                                      code: int, message: str) -> None:
    before = _dump(sock)
    got_code, out, err = xl(sock, *argv)
    assert (got_code, out) == (code, "")
    assert err.startswith(message + "\n")
    assert _dump(sock) == before, "a refused command changed xenstore"


def _dump(sock: str) -> dict[str, str | None]:
    """Every node under /local/domain, /vm and /libxl, with its value."""
    xs = XsClient(sock)
    try:
        out: dict[str, str | None] = {}
        todo = ["/local/domain", "/vm", "/libxl"]
        while todo:
            path = todo.pop()
            out[path] = xs.read(path)
            todo.extend(f"{path}/{c}" for c in xs.directory(path))
        return out
    finally:
        xs.close()


# -- changes -------------------------------------------------------------------------

def test_mem_set_and_mem_max_write_libxls_nodes(sock: str) -> None:
    assert xl(sock, "mem-set", "web", "768m")[0] == 0
    assert xl(sock, "mem-max", "web", "1536")[0] == 0
    assert xl(sock, "mem-set", "web", "1g")[0] == 0
    assert xl(sock, "mem-set", "db", "1048576k")[0] == 0  # hvm: the videoram comes off
    xs = XsClient(sock)
    assert xs.read_many(["/local/domain/1/memory/target", "/local/domain/1/memory/static-max",
                         "/local/domain/2/memory/target"]) == ["1048576", "1572864", "1040384"]
    xs.close()


def test_vcpu_set_rename_shutdown(sock: str) -> None:
    assert xl(sock, "vcpu-set", "web", "3")[0] == 0
    assert xl(sock, "rename", "web", "www")[0] == 0
    assert xl(sock, "reboot", "www") == (0, "", "Rebooting domain 1\n")
    assert xl(sock, "shutdown", "mail") == (0, "", "Shutting down domain 7\n")
    xs = XsClient(sock)
    assert xs.read_many([f"/local/domain/1/cpu/{i}/availability" for i in range(4)]) == [
        "online", "online", "online", "offline"]
    assert xs.read_many(["/local/domain/1/name", "/vm/3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d001/name",
                         "/local/domain/1/control/shutdown",
                         "/local/domain/7/control/shutdown"]) == ["www", "www", "reboot",
                                                                  "poweroff"]
    xs.close()
    assert xl(sock, "domid", "www")[1] == "1\n"


def test_uptime_from_vm_start_time(sock: str) -> None:
    xs = XsClient(sock)
    xs.write("/vm/3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d002/start_time",
             f"{time.time() - 2 * 86400 - 3723:.2f}")
    xs.close()
    _code, out, _ = xl(sock, "uptime", "db")
    assert out.splitlines() == ["Name                                ID Uptime",
                                "db                                   2 2 days,  1:02:03"]


def test_devices_attach_list_detach(sock: str) -> None:
    assert xl(sock, "block-attach", "web", "format=raw, vdev=xvdb, access=rw, "
                                           "target=/var/lib/xen/web-b.img") == (0, "", "")
    assert xl(sock, "block-attach", "web", "/dev/vg/web-c,raw,xvdc,ro")[0] == 0
    code, out, err = xl(sock, "block-attach", "web", "/tmp/other.img,raw,xvdb,rw")
    assert (code, err) == (1, "error: domain 1 already has a disk at xvdb (device 51728)\n")
    code, out, _ = xl(sock, "block-list", "web")
    assert out.splitlines() == [
        "Vdev  BE  handle state evt-ch ring-ref BE-path                       ",
        "51728 0   1      1     -1     -1       /local/domain/0/backend/vbd/1/51728",
        "51744 0   1      1     -1     -1       /local/domain/0/backend/vbd/1/51744",
    ]
    xs = XsClient(sock)
    assert xs.read_many([f"/local/domain/0/backend/vbd/1/51744/{k}" for k in (
        "params", "type", "mode", "dev", "frontend", "device-type")]) == [
        "/dev/vg/web-c", "phy", "r", "xvdc", "/local/domain/1/device/vbd/51744", "disk"]
    assert xs.read("/local/domain/0/backend/vbd/1/51728/params") == "raw:/var/lib/xen/web-b.img"
    xs.close()
    assert xl(sock, "block-detach", "web", "xvdb")[0] == 0
    assert [ln.split()[0] for ln in xl(sock, "block-list", "web")[1].splitlines()[1:]] == [
        "51744"]

    assert xl(sock, "network-attach", "web", "bridge=xenbr1", "mac=00:16:3e:0a:0b:0c")[0] == 0
    assert xl(sock, "network-attach", "web")[0] == 0
    code, out, _ = xl(sock, "network-list", "web")
    lines = out.splitlines()
    assert lines[:3] == [
        "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path"
        "                       ",
        "0   0  00:16:3e:11:22:33     0     4     20     8/9           "
        "/local/domain/0/backend/vif/1/0",
        "1   0  00:16:3e:0a:0b:0c     1     1     -1    -1/-1          "
        "/local/domain/0/backend/vif/1/1",
    ]
    drawn = lines[3].split()[2]
    assert drawn.startswith("00:16:3e:") and int(drawn.split(":")[3], 16) < 0x80
    assert xl(sock, "network-detach", "web", "00:16:3e:0a:0b:0c")[0] == 0
    assert [ln.split()[0] for ln in xl(sock, "network-list", "web")[1].splitlines()[1:]] == [
        "0", "2"]


def test_cdrom_insert_and_eject(sock: str) -> None:
    assert xl(sock, "block-attach", "db", ",raw,hdc:cdrom,r")[0] == 0
    assert xl(sock, "cd-insert", "db", "hdc", "/isos/debian.iso")[0] == 0
    xs = XsClient(sock)
    assert xs.read("/local/domain/0/backend/vbd/2/5632/params") == "raw:/isos/debian.iso"
    assert xl(sock, "cd-eject", "db", "hdc")[0] == 0
    assert xs.read("/local/domain/0/backend/vbd/2/5632/params") == "empty:"
    xs.close()
    assert xl(sock, "cd-insert", "db", "hdd", "/x.iso")[2] == "error: domain 2 has no disk at hdd\n"


def test_console_finds_the_tty(sock: str) -> None:
    be = XenstoreBackend(socket_path=sock)
    try:
        assert be.console_tty(1, "pv", 0) == "/dev/pts/11"
        with pytest.raises(OperationError, match="has no serial console 0"):
            be.console_tty(1, "serial", 0)
        xs = be.xs

        def later() -> None:
            time.sleep(0.2)
            c = XsClient(sock)
            c.write("/local/domain/1/serial/0/tty", "/dev/pts/42")
            c.close()

        threading.Thread(target=later).start()
        assert be.wait_console_tty(1, "serial", 0, timeout=5) == "/dev/pts/42"
        assert xs.read("/local/domain/1/serial/0/tty") == "/dev/pts/42"
        started = time.monotonic()
        with pytest.raises(OperationError, match="has no serial console 1"):
            be.wait_console_tty(1, "serial", 1, timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        be.close()


def test_watch_sees_a_write(sock: str) -> None:
    xs = XsClient(sock)
    xs.watch("/local/domain/2/control/shutdown", "tok")
    first = xs.next_event(timeout=2)  # xenstored fires once when the watch is set
    assert first == ("/local/domain/2/control/shutdown", "tok")
    other = XsClient(sock)
    other.write("/local/domain/2/control/shutdown", "poweroff")
    other.close()
    assert xs.next_event(timeout=2) == ("/local/domain/2/control/shutdown", "tok")
    xs.unwatch("/local/domain/2/control/shutdown", "tok")
    xs.close()


# -- transactions ----------------------------------------------------------------------

def test_concurrent_transactions_lose_no_write(xenstored: tuple[str, str]) -> None:
    """Four clients each add 50 to one counter, read-modify-write in transactions.

    Under oxenstored's test-eagain a third of the commits fail at random on top
    of the real conflicts; the retry loop must still land every increment."""
    _flavour, path = xenstored
    setup = XsClient(path)
    setup.write("/tool/xlpy-counter", "0")
    setup.close()
    errors: list[BaseException] = []
    retries: list[int] = []

    def worker() -> None:
        c = XsClient(path)
        try:
            for _ in range(50):
                def bump(t: XsClient) -> None:
                    t.write("/tool/xlpy-counter", str(int(t.read("/tool/xlpy-counter") or 0) + 1))
                c.transaction(bump)
        except BaseException as exc:
            errors.append(exc)
        finally:
            retries.append(c.retries)
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = XsClient(path)
    assert check.read("/tool/xlpy-counter") == "200"
    check.close()
    assert sum(retries) > 0, "no transaction was ever retried: the test proves nothing"


def test_eagain_daemon_really_fails_commits(xenstored: tuple[str, str]) -> None:
    """The test-eagain lane is only a proof if commits do fail there."""
    flavour, path = xenstored
    if flavour != "ocaml-eagain":
        pytest.skip("only the test-eagain daemon fails commits at random")
    from xl_py.backends import xsclient

    c = XsClient(path)
    failures = 0
    for i in range(30):
        tid = int(c.request(xsclient.TX_START, b"\0", tx=0).rstrip(b"\0"))
        c.request(xsclient.WRITE, f"/tool/eagain\0{i}".encode(), tx=tid)
        try:
            c.request(xsclient.TX_END, b"T\0", tx=tid)
        except XsError as exc:
            assert exc.name == "EAGAIN"
            failures += 1
    c.close()
    assert failures > 0


def test_pyxs_transport_reads_and_writes_the_same(sock: str) -> None:
    via_pyxs = XsClient(sock, transport="pyxs")
    plain = XsClient(sock)
    try:
        assert via_pyxs.transport_name == "pyxs" and plain.transport_name == "socket"
        assert XenstoreBackend(client=via_pyxs).list_domains() == \
            XenstoreBackend(client=plain).list_domains()
        via_pyxs.transaction(lambda t: t.write("/tool/xlpy-pyxs", "1"))
        assert plain.read("/tool/xlpy-pyxs") == "1"
    finally:
        via_pyxs.close()
        plain.close()


def test_missing_xenstored_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as info:
        XsClient(str(tmp_path / "nosocket"))
    assert str(info.value).startswith(
        f"cannot connect to xenstored at {tmp_path / 'nosocket'}: is xenstored running?")


def test_unknown_domain_from_backend(sock: str) -> None:
    be = XenstoreBackend(socket_path=sock)
    try:
        with pytest.raises(DomainNotFound):
            be.domain_info(55)
        assert be.used_macs() == {"00:16:3e:11:22:33": "web/0", "00:16:3e:44:55:66": "mail/0"}
    finally:
        be.close()


def test_bash_completion_of_commands_and_domains(sock: str) -> None:
    """The script from ``xl-py completion bash``, run by bash, asks the backend."""
    import os
    import shutil
    import sys

    if shutil.which("bash") is None:
        pytest.skip("no bash")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    probe = (
        "source <(xl-py completion bash)\n"
        "ask() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _xl_py; "
        "echo \"${COMPREPLY[*]}\"; }\n"
        "ask xl-py vcpu-\n"
        f"ask xl-py -c xenstore:{sock} mem-set m\n"
        f"ask xl-py -c xenstore:{sock} pause ''\n"
        f"ask xl-py -c xenstore:{sock} mem-set web ''\n")
    proc = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=env,
                          timeout=60, check=True)
    assert proc.stdout.splitlines() == ["vcpu-list vcpu-pin vcpu-set", "mail",
                                        "Domain-0 web db mail", ""]


def test_check_macs_counts_running_domains(sock: str, tmp_path: Path) -> None:
    (tmp_path / "new.cfg").write_text('name = "new"\nvif = [ "mac=00:16:3e:11:22:33" ]\n')
    code, out, err = xl(sock, "check", "--macs", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (f"{tmp_path / 'new.cfg'}:2:14: error: MAC 00:16:3e:11:22:33 "
                                   "is also used by running domain web/0")


def test_release_watch_wakes_on_release_domain(sock: str, xenstored: tuple[str, str]) -> None:
    """shutdown -w and the monitor sleep on @releaseDomain (what libxl's death events
    watch): a RELEASE of a domain wakes the waiter at once; a quiet store lets it
    sleep its full timeout.  (This daemon has no hypervisor, so the event is
    raised by an explicit RELEASE, as xenstored does when a domain dies.)"""
    from xl_py.backends import xsclient

    be = XenstoreBackend(socket_path=sock)
    watch = be.watch_domains()
    other = XsClient(sock)
    try:
        assert isinstance(watch, xsclient.ReleaseWatch)
        assert watch.wait(5.0)  # registering fires the watch once
        started = time.monotonic()
        assert not watch.wait(0.3)
        assert 0.25 <= time.monotonic() - started < 5.0
        if xenstored[0] != "c":
            return  # oxenstored on the stand-in cannot INTRODUCE (the map of the ring)
        introduce(other, 41)
        while watch.wait(0.5):  # the daemon may look at the new domain (no hypervisor
            pass               # here: it finds none) and fire once: not what we test

        def release() -> None:
            time.sleep(0.2)
            other.request(xsclient.RELEASE, b"41\0")

        thread = threading.Thread(target=release)
        started = time.monotonic()
        thread.start()
        assert watch.wait(10.0)
        waited = time.monotonic() - started
        thread.join()
        assert 0.15 <= waited < 5.0, waited  # woken by the event, not the timeout
        assert watch.events >= 2
    finally:
        watch.close()
        other.close()
        be.close()
