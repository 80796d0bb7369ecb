"""The lifecycle commands through libvirt-python against libvirt's test driver.

``test:///default`` lives inside the connection (no daemon): one Context keeps
one backend, so a sequence of xl-py commands sees its own changes.  Its one
domain, "test" (id 1, 2 vcpus of 2, 8 GiB max, 2 GiB current), is the real
libvirt test driver's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_session import Session

from xl_py.cli.commands._runtime import close
from xl_py.errors import BackendUnavailable, XlPyError

libvirt = pytest.importorskip("libvirt")


@pytest.fixture()
def xl() -> Iterator[Session]:
    s = Session()
    yield s
    close(s.ctx)


def state(xl: Session, ident: str = "test") -> str:
    code, out, _ = xl("list", ident)
    assert code == 0, out
    return out.splitlines()[1].split()[4]


def test_list_columns(xl: Session) -> None:
    _code, out, _ = xl("list")
    head, row = out.splitlines()
    assert head == "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    assert row.startswith("test                                         1  2048     2     r-----  ")


def test_pause_unpause_by_name_id_and_uuid(xl: Session) -> None:
    uuid = json.loads(xl("list", "--json")[1])[0]["uuid"]
    assert xl("pause", "test") == (0, "", "")
    assert state(xl, "1") == "--p---"
    assert xl("unpause", uuid) == (0, "", "")
    assert state(xl, uuid.replace("-", "").upper()) == "r-----"


def test_mem_set_within_maxmem_and_refusal_above(xl: Session) -> None:
    assert xl("mem-set", "test", "1g") == (0, "", "")
    assert json.loads(xl("list", "--json", "test")[1])[0]["current_memkb"] == 1024 * 1024
    assert xl("mem-set", "test", "9g") == (
        1, "", "error: cannot set memory of domain test (1) to 9216M: above its maximum of "
               "8192M (raise it first with mem-max)\n")
    assert json.loads(xl("list", "--json", "test")[1])[0]["current_memkb"] == 1024 * 1024


def test_vcpu_set_and_refusal_above_maxvcpus(xl: Session) -> None:
    assert xl("vcpu-set", "test", "1") == (0, "", "")
    assert xl("list", "test")[1].splitlines()[1].split()[3] == "1"
    code, _, err = xl("vcpu-set", "-i", "test", "3")
    assert (code, err) == (1, "error: cannot set 3 vcpus on domain test (1): its maximum is 2 "
                              "(maxvcpus)\n")


def test_vcpu_list_and_pin(xl: Session) -> None:
    assert xl("vcpu-pin", "test", "0", "1") == (0, "", "")
    _code, out, _ = xl("vcpu-list", "test")
    lines = out.splitlines()
    assert lines[0] == ("Name                                ID  VCPU   CPU State   Time(s) "
                        "Affinity (Hard / Soft)")
    assert lines[1].split()[:3] == ["test", "1", "0"]
    assert lines[1].endswith("  1 / all")
    vcpus = json.loads(xl("vcpu-list", "--json")[1])[0]["vcpus"]
    assert next(v["cpumap"] for v in vcpus) == [1]


def test_info_from_the_driver(xl: Session) -> None:
    _code, out, _ = xl("info")
    rows = dict(line.split(" : ", 1) for line in out.splitlines())
    assert {k.strip(): v for k, v in rows.items() if k.strip() in (
        "nr_cpus", "nr_nodes", "total_memory", "hypervisor", "xend_config_format")} == {
        "nr_cpus": "16", "nr_nodes": "2", "total_memory": "3072", "hypervisor": "TEST",
        "xend_config_format": "4"}
    assert json.loads(xl("info", "--json")[1])["nr_cpus"] == 16


def test_info_names_this_host_only_for_a_local_uri(xl: Session) -> None:
    import os

    from xl_py.backends.libvirt import host_arch, is_local_uri
    from xl_py.cli.commands.info import node_rows

    uname = os.uname()
    rows = [line.split(" : ", 1) for line in xl("info")[1].splitlines()[:4]]
    assert [(k.strip(), v) for k, v in rows[1:]] == [
        ("release", uname.release), ("version", uname.version), ("machine", uname.machine)]
    assert [is_local_uri(u) for u in ("xen:///system", "xen+unix:///system",
                                      "test:///default", "xen+ssh://root@host2/system",
                                      "xen+tls://host2/system")] == [True] * 3 + [False] * 2
    assert host_arch("<capabilities><host><cpu><arch>aarch64</arch></cpu></host>"
                     "</capabilities>") == "aarch64"
    remote = {"host": "host2", "release": "unknown (remote host)",
              "version": "unknown (remote host)", "machine": "aarch64", "hypervisor": "Xen"}
    assert node_rows(remote) == [("host", "host2"), ("release", "unknown (remote host)"),
                                 ("version", "unknown (remote host)"), ("machine", "aarch64")]
    assert remote == {"hypervisor": "Xen"}  # taken out: not printed twice


def test_save_and_restore(xl: Session, tmp_path: Path) -> None:
    image = tmp_path / "test.save"
    code, _out, err = xl("save", "test", str(image))
    assert code == 0 and image.exists()
    assert err.splitlines()[0] == f"Saving domain 1 to {image}"
    assert err.splitlines()[1].startswith(f"Saved domain 1 to {image}: ")
    assert xl("list")[1].splitlines()[1:] == []
    code, _out, err = xl("restore", str(image))
    assert code == 0
    assert err.splitlines()[0].startswith(f"Loading new save file {image} (")
    assert "Restored domain" in err
    assert state(xl) == "r-----"


def test_shutdown_wait_and_destroy(xl: Session) -> None:
    code, _, err = xl("shutdown", "-w", "test")
    assert code == 0
    # libvirt's test driver drops a shut-down domain at once: xl's death event line
    assert err.splitlines() == ["Shutting down domain 1", "Waiting for 1 domains",
                                "Domain 1 has been destroyed"]
    assert xl("list", "test") == (1, "", "error: 'test' is an invalid domain identifier\n")
    assert xl("destroy", "test") == (1, "", "error: 'test' is an invalid domain identifier\n")


def test_destroy(xl: Session) -> None:
    assert xl("destroy", "1") == (0, "", "")
    assert xl("list")[1].splitlines()[1:] == []


def test_rename_of_a_running_domain_is_refused_clearly(xl: Session) -> None:
    code, _out, err = xl("rename", "test", "other")
    assert code == 1 and err.startswith("error: renaming domain 1: ")
    assert xl("domid", "test")[1] == "1\n"


def test_unreachable_uri_is_one_clear_line() -> None:
    from xl_py.backends.libvirt import LibvirtBackend

    with pytest.raises(BackendUnavailable) as info:
        LibvirtBackend("test:///nonexistent/file.xml")
    assert str(info.value).startswith("cannot connect to test:///nonexistent/file.xml: ")
    assert "\n" not in str(info.value)


GUEST = """name = "web2"
type = "pv"
kernel = "/boot/vmlinuz"
memory = 256
maxmem = 512
vcpus = 1
maxvcpus = 2
disk = [ "/srv/web2.img,raw,xvda,rw" ]
vif = [ "mac=00:16:3e:00:00:42,bridge=xenbr0" ]
"""


@pytest.mark.parametrize("paused", [False, True])
def test_create_through_libvirt_from_an_xl_cfg(xl: Session, paused: bool) -> None:
    """xl.cfg -> config core -> libvirt XML (render.libvirt_xml) -> createXML."""
    from xl_py import pipeline
    from xl_py.cli.commands._runtime import backend, xl_keys

    built = pipeline.build(GUEST, "web2.cfg")
    domid = backend(xl.ctx).create(built.config, paused=paused, xl_keys=xl_keys(built.raw))
    assert xl("domid", "web2")[1] == f"{domid}\n"
    row = json.loads(xl("list", "--json", "web2")[1])[0]
    assert (row["current_memkb"], row["max_memkb"], row["vcpu_online"], row["paused"]) == (
        256 * 1024, 512 * 1024, 1, paused)
    assert xl("network-list", "web2")[1].splitlines()[1].split()[2] == "00:16:3e:00:00:42"
    assert xl("block-list", "--json", "web2")[1].count('"vdev": "xvda"') == 1
    assert xl("mem-set", "web2", "600m")[2] == (
        "error: cannot set memory of domain web2 (2) to 600M: above its maximum of 512M "
        "(raise it first with mem-max)\n")
    with pytest.raises(XlPyError, match=r'^domain with name "web2" already exists\.$'):
        backend(xl.ctx).create(built.config, xl_keys=xl_keys(built.raw))
