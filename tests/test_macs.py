"""MAC addresses: libxl's drawing, and ``check --macs DIR`` across configs.

The MACs ``check --macs`` reads from a config are compared with the MACs the
real ``xl -N create`` puts in libxl's JSON for the same file.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from xl_py.backends.macs import draw_mac, format_mac, is_multicast, random_mac, validate_mac
from xl_py.cli.commands.check_macs import macs_of, run_macs
from xl_py.cli.context import Context
from xl_py.errors import OperationError


def test_draw_is_libxls_formula() -> None:
    assert draw_mac(lambda n: bytes([0xFF, 0xAB, 0xCD])) == "00:16:3e:7f:ab:cd"
    assert draw_mac(lambda n: bytes([0x80, 0x00, 0x01])) == "00:16:3e:00:00:01"


def test_drawn_macs_stay_in_the_xen_oui_lower_half() -> None:
    macs = [draw_mac() for _ in range(2000)]
    assert all(m.startswith("00:16:3e:") and int(m.split(":")[3], 16) < 0x80 for m in macs)
    assert not any(is_multicast(m) for m in macs)
    assert len(set(macs)) > 1990  # 2^23 choices: collisions are rare


def test_random_mac_avoids_macs_in_use() -> None:
    seq = iter([bytes([1, 2, 3]), bytes([1, 2, 3]), bytes([1, 2, 4])])
    in_use = {"00:16:3e:01:02:03"}
    assert random_mac(in_use, lambda n: next(seq)) == "00:16:3e:01:02:04"
    with pytest.raises(OperationError, match="no free MAC address"):
        random_mac({"00:16:3e:01:02:03"}, lambda n: bytes([1, 2, 3]))


@pytest.mark.parametrize(("text", "mac"), [
    ("00:16:3E:0A:0b:0C", "00:16:3e:0a:0b:0c"), ("0:16:3e:a:b:c", "00:16:3e:0a:0b:0c")])
def test_validate(text: str, mac: str) -> None:
    assert validate_mac(text) == mac
    assert format_mac(bytes.fromhex(mac.replace(":", ""))) == mac


CONFIGS = {
    "a.cfg": 'name = "a"\nvif = [ "mac=00:16:3e:01:02:03,bridge=xenbr0", "bridge=br1" ]\n',
    "b.cfg": 'name = "b"\nvif = [\n  "bridge=xenbr0, mac=00:16:3E:01:02:03",\n'
             '  "mac=00:16:3e:0a:0b:0c"\n]\n',
    "c.cfg": 'name = "c"\nvif = [ "mac=00:16:3e:7f:00:01" ]\n',
    "d.cfg": 'name = "d"\nmemory = 256\n',
}


@pytest.fixture()
def cfgdir(tmp_path: Path) -> Path:
    for name, text in CONFIGS.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_check_macs_reports_each_collision_at_both_places(cfgdir: Path) -> None:
    err = io.StringIO()
    ctx = Context(stdout=io.StringIO(), stderr=err, environ={})
    assert run_macs(ctx, str(cfgdir)) == 1
    a, b = cfgdir / "a.cfg", cfgdir / "b.cfg"
    assert err.getvalue() == (
        f"{a}:2:14: error: MAC 00:16:3e:01:02:03 is also used by {b}:3:23\n"
        '    2 | vif = [ "mac=00:16:3e:01:02:03,bridge=xenbr0", "bridge=br1" ]\n'
        "      |              ^^^^^^^^^^^^^^^^^\n"
        f"{b}:3:23: error: MAC 00:16:3e:01:02:03 is also used by {a}:2:14\n"
        '    3 |   "bridge=xenbr0, mac=00:16:3E:01:02:03",\n'
        "      |                       ^^^^^^^^^^^^^^^^^\n")


def test_check_macs_clean_and_json(cfgdir: Path) -> None:
    (cfgdir / "b.cfg").unlink()
    out = io.StringIO()
    ctx = Context(stdout=out, stderr=io.StringIO(), environ={})
    assert run_macs(ctx, str(cfgdir), as_json=True) == 0
    assert sorted(json.loads(out.getvalue())["macs"]) == ["00:16:3e:01:02:03",
                                                          "00:16:3e:7f:00:01"]


def test_check_macs_through_the_check_command(cfgdir: Path) -> None:
    from xl_py.cli.main import run

    err = io.StringIO()
    ctx = Context(stdout=io.StringIO(), stderr=err, environ={})
    assert run(["check", "--macs", str(cfgdir)], ctx) == 1
    assert "error: MAC 00:16:3e:01:02:03 is also used by" in err.getvalue()


def test_bad_and_multicast_macs_are_positioned(tmp_path: Path) -> None:
    (tmp_path / "x.cfg").write_text('vif = [ "mac=00:16:3e:zz:00:01", "mac=01:00:5e:00:00:01" ]\n')
    err = io.StringIO()
    assert run_macs(Context(stdout=io.StringIO(), stderr=err, environ={}), str(tmp_path)) == 1
    lines = err.getvalue().splitlines()
    assert lines[0] == (f"{tmp_path / 'x.cfg'}:1:14: error: invalid MAC address "
                        "'00:16:3e:zz:00:01' (expected six hex octets like 00:16:3e:12:34:56)")
    assert lines[3] == (f"{tmp_path / 'x.cfg'}:1:39: warning: MAC 01:00:5e:00:00:01 is a "
                        "multicast address")


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_macs_agree_with_xl_dry_run(reference: object, cfgdir: Path, name: str) -> None:
    """The MACs we read from a config are the ones real xl hands libxl."""
    from reference import xlref

    path = cfgdir / name
    full = path.read_text() + 'type = "pv"\nkernel = "/boot/vmlinuz"\nmemory = 128\n'
    path.write_text(full)
    result = xlref.xl_dryrun(path)
    assert result.rc == 0, result.stderr
    theirs = [nic["mac"] for nic in json.loads(result.stdout).get("nics", []) if "mac" in nic]
    ours, problems = macs_of(full, str(path))
    assert problems == []
    assert [u.mac for u in ours] == theirs
    assert Counter(theirs) == Counter(u.mac for u in ours)
