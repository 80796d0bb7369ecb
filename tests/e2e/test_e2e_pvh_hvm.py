"""PVH and HVM guests on the real hypervisor, once per toolstack.

PVH: create, console, ``list -l``, pause/unpause, migrate to localhost, destroy.
HVM (QEMU device model in dom0, direct kernel boot, serial to a file): create, serial
console output, ``list -l``, cd-eject / cd-insert on an emulated CD drive, shutdown -w.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lanelib import (
    CONSOLE_DIR,
    SCRATCH,
    XL,
    GuestSpec,
    Toolstack,
    create,
    destroy_quietly,
    domid_of,
    list_row,
    toolstacks,
    wait_for,
    xl_list_long,
    xs_list,
    xs_read,
)

STACKS = toolstacks()
CD_DEVID = "5632"  # hdc: IDE major 22, minor 0


def _tag(stack: Toolstack) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stack.name)


@pytest.fixture(scope="module", params=STACKS, ids=[s.name for s in STACKS])
def stack(request: pytest.FixtureRequest) -> Toolstack:
    tool: Toolstack = request.param
    return tool


def _serial(name: str) -> str:
    try:
        return (CONSOLE_DIR / f"serial-{name}.log").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _console(name: str) -> str:
    try:
        return (CONSOLE_DIR / f"guest-{name}.log").read_bytes().decode(errors="replace")
    except OSError:
        return ""


# ---------------------------------------------------------------- PVH


def test_pvh_lifecycle(stack: Toolstack) -> None:
    stack.require("create")
    spec = GuestSpec(f"pvh-{_tag(stack)}", "pvh")
    running = create(spec, stack)
    try:
        wait_for("the PVH guest's console", lambda: "LANE-GUEST-TICK" in _console(spec.name), 180)
        # libvirt has no libxl configuration to show (xl-py/libvirt says so for list -l)
        if stack.missing("list") is None and stack.backend_module != "libvirt":
            data = xl_list_long(spec.name, stack)
            assert data[0]["config"]["c_info"]["type"] == "pvh"
            assert data == xl_list_long(spec.name, XL)
        if stack.missing("pause") is None and stack.missing("unpause") is None:
            stack.ok("pause", spec.name)
            assert list_row(spec.name)["state"][2] == "p"
            stack.ok("unpause", spec.name)
            assert list_row(spec.name)["state"][2] == "-"
        # xl's migration stream carries libxl's configuration, which libvirt does not give
        if stack.missing("migrate") is None and stack.missing("migrate-receive") is None \
                and stack.backend_module != "libvirt":
            _migrate_to_localhost(stack, spec.name)
        destroyer = stack if stack.missing("destroy") is None else XL
        domid = running.domid
        destroyer.ok("destroy", spec.name)
        assert domid_of(spec.name) is None and str(domid) not in xs_list("/local/domain")
    finally:
        destroy_quietly(spec.name)


def _migrate_to_localhost(stack: Toolstack, name: str) -> None:
    """``migrate -s "" NAME "<tool> migrate-receive"``: xl runs the receiver itself."""
    before = domid_of(name)
    receiver = " ".join((*stack.argv, "migrate-receive"))
    stack.ok("migrate", "-s", "", name, receiver, timeout=300)
    after = domid_of(name)
    assert after is not None and after != before
    names = [xs_read(f"/local/domain/{d}/name") or "" for d in xs_list("/local/domain")]
    assert not [n for n in names if n.endswith(("--incoming", "--migratedaway"))], names
    # xenconsoled named the new log after the receiving domain's first name
    incoming = name + "--incoming"
    ticks = _console(incoming).count("LANE-GUEST-TICK")
    wait_for("ticks after the migration",
             lambda: _console(incoming).count("LANE-GUEST-TICK") > ticks, 60)


# ---------------------------------------------------------------- HVM


@pytest.fixture(scope="module")
def isos() -> tuple[Path, Path]:
    first, second = SCRATCH / "lane-cd1.iso", SCRATCH / "lane-cd2.iso"
    SCRATCH.mkdir(parents=True, exist_ok=True)
    first.write_bytes(b"LANECD1" + bytes(1 << 20))
    second.write_bytes(b"LANECD2" + bytes(1 << 20))
    return first, second


@pytest.fixture(scope="module")
def hvm(stack: Toolstack, isos: tuple[Path, Path]) -> Iterator[GuestSpec]:
    cd = f'disk = [ "format=raw,vdev=hdc,access=ro,devtype=cdrom,target={isos[0]}" ]'
    # maxmem = memory: no populate-on-demand, which is slow under TCG
    spec = GuestSpec(f"hvm-{_tag(stack)}", "hvm", maxmem=128, extra_keys=(cd,))
    yield spec
    destroy_quietly(spec.name)


def _cd_params(domid: int) -> str | None:
    """The CD drive's medium as the device model's backend node says."""
    for kind in xs_list("/local/domain/0/backend"):
        value = xs_read(f"/local/domain/0/backend/{kind}/{domid}/{CD_DEVID}/params")
        if value is not None:  # qdisk says "aio:<path>"
            return value.removeprefix("aio:")
    return None


def test_hvm_create_and_serial_console(stack: Toolstack, hvm: GuestSpec) -> None:
    stack.require("create")
    create(hvm, stack, retries=0)
    wait_for("the HVM guest's serial output", lambda: "LANE-GUEST-UP" in _serial(hvm.name), 300,
             step=2)
    # libvirt has no libxl configuration to show (xl-py/libvirt says so for list -l)
    if stack.missing("list") is None and stack.backend_module != "libvirt":
        data = xl_list_long(hvm.name, stack)
        assert data[0]["config"]["c_info"]["type"] == "hvm"
        assert data == xl_list_long(hvm.name, XL)


def test_hvm_cd_eject_insert(stack: Toolstack, hvm: GuestSpec, isos: tuple[Path, Path]) -> None:
    stack.require("cd-eject", "cd-insert")
    domid = domid_of(hvm.name)
    assert domid is not None, "the HVM guest is not running"
    assert _cd_params(domid) == str(isos[0])
    stack.ok("cd-eject", hvm.name, "hdc")
    wait_for("an empty CD drive", lambda: _cd_params(domid) == "", 30)
    stack.ok("cd-insert", hvm.name, "hdc", str(isos[1]))
    wait_for("the second CD in the drive", lambda: _cd_params(domid) == str(isos[1]), 30)


def test_hvm_shutdown_wait(stack: Toolstack, hvm: GuestSpec) -> None:
    stack.require("shutdown")
    domid = domid_of(hvm.name)
    assert domid is not None, "the HVM guest is not running"
    stack.ok("shutdown", "-w", hvm.name, timeout=180)
    # -w waits for the shutdown; on_poweroff="destroy" is then carried out by the
    # toolstack's background process a moment later
    wait_for("the domain to be destroyed", lambda: str(domid) not in xs_list("/local/domain"),
             30)
    assert domid_of(hvm.name) is None
