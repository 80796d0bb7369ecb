"""migrate-config and vifs without mac=: a decision in the report, or with
--fixed-macs a MAC drawn once from Xen's OUI that no source of the run names."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from xl_py.cli.commands import migrate_macs
from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run

TAKEN = b"name = 'a'\nmemory = 256\nkernel = '/k'\nvif = ['mac=00:16:3E:1:2:3,bridge=br0']\n"
BARE = b"name = 'b'\nmemory = 256\nkernel = '/k'\nvif = ['bridge=br0', '']\n"
SXP = (b"(domain (name c) (memory 256) (image (linux (kernel /k)))\n"
       b" (device (vif (mac 00:16:3e:04:05:06))))\n")


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli_run(list(argv), Context(stdout=out, stderr=err))
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """The random bytes the pool draws, in order (three per MAC)."""
    queue: list[bytes] = []
    real = migrate_macs.MacPool.__init__

    def init(self: migrate_macs.MacPool, random_bytes: object = None) -> None:
        real(self, lambda n: queue.pop(0))

    monkeypatch.setattr(migrate_macs.MacPool, "__init__", init)
    yield queue


def test_a_vif_without_mac_is_a_decision(tmp_path: Path) -> None:
    (tmp_path / "b").write_bytes(BARE)
    rc, out, err = cli("migrate-config", str(tmp_path / "b"))
    assert rc == 0
    assert 'vif = [ "bridge=br0", "" ]\n' in out
    for n in (0, 1):
        assert (f"{tmp_path}/b:4:1: decision: vif -> vif: vif {n} has no mac=: xend drew a new "
                "random MAC at every start and so will xl; if the guest's network setup names "
                "its MAC (HWADDR= in ifcfg-eth0), --fixed-macs writes one drawn once\n") in err


def test_fixed_macs_never_reuse_a_mac_of_the_run(tmp_path: Path, draws: list[bytes]) -> None:
    src = tmp_path / "etc-xen"
    src.mkdir()
    (src / "a").write_bytes(TAKEN)
    (src / "b").write_bytes(BARE)
    (src / "c.sxp").write_bytes(SXP)
    # first draw: a's MAC (written 00:16:3E:1:2:3), then c's, then free ones;
    # 0x81 is masked to 0x01 as libxl does
    draws.extend([b"\x81\x02\x03", b"\x04\x05\x06", b"\x7f\x00\x01", b"\x10\x20\x30"])
    rc, out, _ = cli("migrate-config", "--fixed-macs", "-o", str(tmp_path / "out"), str(src))
    assert rc == 0, out
    assert (tmp_path / "out" / "b").read_text().splitlines()[5] == (
        'vif = [ "mac=00:16:3e:7f:00:01,bridge=br0", "mac=00:16:3e:10:20:30" ]')
    assert f"{src}/b:4:1: added: vif -> vif: vif 1: mac=00:16:3e:10:20:30: xend drew a new " \
           "one at every start; this one is drawn once (Xen's OUI 00:16:3e, named by no " \
           "source of this run) so the guest keeps its NIC\n" in out
    assert draws == []


@pytest.mark.reference
def test_the_fixed_mac_is_what_xl_uses(tmp_path: Path, draws: list[bytes],
                                       reference: object) -> None:
    (tmp_path / "b").write_bytes(BARE)
    draws.extend([b"\x12\x34\x56", b"\x65\x43\x21"])
    rc, out, _ = cli("migrate-config", "--fixed-macs", str(tmp_path / "b"))
    assert rc == 0
    cfg = tmp_path / "b.cfg"
    cfg.write_text(out)
    res = reference.xl_dryrun(cfg)  # type: ignore[attr-defined]
    assert res.rc == 0, res.stderr
    assert [n["mac"] for n in json.loads(res.stdout)["nics"]] == [
        "00:16:3e:12:34:56", "00:16:3e:65:43:21"]


def test_fixed_macs_reach_libvirt_xml(tmp_path: Path, draws: list[bytes]) -> None:
    (tmp_path / "b").write_bytes(BARE)
    draws.extend([b"\x12\x34\x56", b"\x65\x43\x21"])
    rc, out, _ = cli("migrate-config", "--fixed-macs", "--to", "libvirt", str(tmp_path / "b"))
    assert rc == 0
    assert "<mac address='00:16:3e:12:34:56'/>" in out
    assert "<mac address='00:16:3e:65:43:21'/>" in out


@pytest.mark.parametrize(("data", "found"), [
    (b"mac=00:16:3E:0a:b:c", {"00:16:3e:0a:0b:0c"}),
    (b"<mac address='AA:bb:cc:dd:ee:ff'/>", {"aa:bb:cc:dd:ee:ff"}),
    (b"(mac 00:16:3e:01:02:03)(uuid 00:11:22:33:44:55:66)", {"00:16:3e:01:02:03"}),
])
def test_every_mac_a_source_names_is_noted(data: bytes, found: set[str]) -> None:
    pool = migrate_macs.MacPool()
    pool.note(data)
    assert pool.used == found


def test_a_mac_two_guests_share_is_a_decision_on_both(tmp_path: Path) -> None:
    src = tmp_path / "etc-xen"
    src.mkdir()
    (src / "a").write_bytes(TAKEN)
    (src / "c").write_bytes(TAKEN.replace(b"'a'", b"'c'"))
    (src / "d.sxp").write_bytes(
        b"(domain (name d) (uuid 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d) (memory 256)\n"
        b" (image (linux (kernel /k))) (device (vif (mac 00:16:3e:0a:0b:0c))))\n")
    (src / "e").write_bytes(b"name = 'e'\nuuid = '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'\n"
                            b"memory = 256\nkernel = '/k'\nvif = ['mac=00:16:3e:0a:0b:0c']\n")
    rc, out, _ = cli("migrate-config", "-o", str(tmp_path / "out"), str(src))
    assert rc == 0
    shared = [line for line in out.splitlines() if ": MAC " in line]
    assert shared == [
        f"{src}/a:4:1: decision: vif -> vif: MAC 00:16:3e:01:02:03: also used by {src}/c (c): "
        "two guests with one MAC cannot run on one host",
        f"{src}/c:4:1: decision: vif -> vif: MAC 00:16:3e:01:02:03: also used by {src}/a (a): "
        "two guests with one MAC cannot run on one host",
        f"{src}/d.sxp:2:38: decision: vif -> vif: MAC 00:16:3e:0a:0b:0c: {src}/e is the same "
        "guest (uuid 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d): keep one of the two",
        f"{src}/e:5:1: decision: vif -> vif: MAC 00:16:3e:0a:0b:0c: {src}/d.sxp is the same "
        "guest (uuid 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d): keep one of the two"]
