"""xl-py's runtime commands next to the reference xl on the real hypervisor: the
scheduler commands, the monitor's event-driven wait, save -p / -D, restore under
xl.conf's domid_policy, shutdown -w.

One PV guest, created by xl-py (libxl backend), goes through the tests in file
order.  The lane's Xen runs credit2 (Xen 4.17's default), so ``sched-credit2``
is where parameters are set, and ``sched-credit`` must fail as xl fails there.
Whatever xl-py sets, the reference xl reads back (and the other way round); save
images cross over between the two tools.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lanelib import (
    SCRATCH,
    XL,
    GuestSpec,
    Running,
    create,
    destroy_quietly,
    domid_of,
    journal,
    list_row,
    must,
    sh,
    wait_console,
    wait_for,
    xlpy,
)

XLPY = xlpy("libxl")
SPEC = GuestSpec("rt-guest", "pv")


@pytest.fixture(scope="module")
def guest() -> Iterator[Running]:
    XLPY.require("create", "sched-credit2", "save", "restore", "shutdown")
    running = create(SPEC, XLPY)
    wait_console(SPEC.name, r"LANE-GUEST-TICK", timeout=120)
    yield running
    destroy_quietly(SPEC.name)


def _same(*args: str) -> tuple[str, str]:
    """Run ``args`` with xl, then xl-py: both must succeed with the same stdout."""
    theirs = must(XL.run(*args))
    ours = must(XLPY.run(*args))
    assert ours.out == theirs.out, f"{theirs}\n{ours}"
    return theirs.out, ours.out


def _row(text: str, name: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
    return line.split()


def test_sched_credit2_shows_and_sets_what_xl_sees(guest: Running) -> None:
    _same("sched-credit2")
    _same("sched-credit2", "-d", SPEC.name)
    _same("sched-credit2", "-s")
    must(XLPY.run("sched-credit2", "-d", SPEC.name, "-w", "512", "-c", "50"))
    assert _row(must(XL.run("sched-credit2", "-d", SPEC.name)).out, SPEC.name)[2:] == \
        ["512", "50"]
    must(XL.run("sched-credit2", "-d", SPEC.name, "-w", "300"))
    assert _row(must(XLPY.run("sched-credit2", "-d", SPEC.name)).out, SPEC.name)[2:] == \
        ["300", "50"]
    before = re.search(r"ratelimit=(\d+)us", must(XL.run("sched-credit2", "-s")).out)
    assert before is not None
    try:
        must(XLPY.run("sched-credit2", "-s", "-r", "2000"))
        assert must(XL.run("sched-credit2", "-s")).out == "Cpupool Pool-0: ratelimit=2000us\n"
    finally:
        must(XL.run("sched-credit2", "-s", "-r", before.group(1)))
    _same("sched-credit2", "-p", "Pool-0")


@pytest.mark.parametrize("argv", [("-d", SPEC.name), ("-d", SPEC.name, "-w", "300")],
                         ids=["show", "set"])
def test_sched_credit_fails_on_a_credit2_host_as_xl(guest: Running,
                                                    argv: tuple[str, ...]) -> None:
    theirs = XL.run("sched-credit", *argv)
    ours = XLPY.run("sched-credit", *argv)
    assert (ours.rc, ours.out) == (theirs.rc, theirs.out) == (1, ours.out), f"{theirs}\n{ours}"
    wanted = [ln for ln in theirs.err.splitlines() if ln.startswith("libxl_domain_sched")]
    assert wanted and f"error: {wanted[-1]}" in ours.err.splitlines(), f"{theirs}\n{ours}"


def test_sched_credit_lists_no_pool_and_shows_its_params_as_xl(guest: Running) -> None:
    _same("sched-credit")
    _same("sched-credit", "-s")


def _monitor_pid(domid: int) -> int | None:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"xl_py.backends.monitor" in argv and str(domid).encode() in argv:
            return int(proc.name)
    return None


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


POLLING_MONITOR = """
import sys
from xl_py.backends import monitor
from xl_py.backends.libxl import LibxlBackend
monitor.watch(LibxlBackend(), int(sys.argv[1]), {"c_info": {"name": "x"}}, lambda line: None)
"""


def _idle_cpu(pid: int, seconds: float = 20.0) -> float:
    start = _cpu_seconds(pid)
    time.sleep(seconds)
    return _cpu_seconds(pid) - start


def test_monitor_sleeps_until_xenstored_says_a_domain_went(guest: Running) -> None:
    """The monitor waits on @releaseDomain: over 20 s of a running guest it uses next
    to no CPU.  Measured side by side with the loop as it was (a look through libxl
    every 0.5 s), run on the same guest for the same 20 s."""
    if guest.creator != XLPY:
        pytest.skip(f"the guest was not created by xl-py: {guest.notes}")
    domid = guest.domid
    pid = _monitor_pid(domid)
    assert pid is not None, "no xl-py monitor process for the guest"
    used = _idle_cpu(pid)
    repo = Path(__file__).resolve().parents[2]
    polling = subprocess.Popen([sys.executable, "-c", POLLING_MONITOR, str(domid)],
                               env={**os.environ, "PYTHONPATH": str(repo)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)  # past its start-up
        before = _idle_cpu(polling.pid)
    finally:
        polling.kill()
        polling.wait()
    journal(f"[measure] monitor of domain {domid}, CPU in 20 s of waiting: "
            f"{used:.2f} s on @releaseDomain, {before:.2f} s polling every 0.5 s")
    assert used < 0.2


def _image(tag: str) -> Path:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    return SCRATCH / f"rt-{tag}.save"


def _alive() -> None:
    """A guest for the next step even when an earlier one lost it."""
    if domid_of(SPEC.name) is None:
        create(SPEC, XLPY)
        wait_console(SPEC.name, r"LANE-GUEST-TICK", timeout=120)


#: libxl refuses a domid destroyed less than 60 s ago ("domain id recently used",
#: libxl_create.c); LIBXL_DOMID_REUSE_TIMEOUT=0 shortens that to the same second
#: (libxl__is_domid_recent: now - then <= timeout), so a restore waits for the next one
NO_REUSE_WAIT = ("env", "LIBXL_DOMID_REUSE_TIMEOUT=0")


def _next_second() -> None:
    time.sleep(1.1)


def test_save_p_leaves_the_domain_paused(guest: Running) -> None:
    """xl's save -p: the image is written and the domain stays, paused; unpaused it
    runs on (xl-py used to destroy it and then fail to pause it)."""
    _alive()
    image = _image("p")
    try:
        must(XLPY.run("save", "-p", SPEC.name, str(image), timeout=300))
        assert list_row(SPEC.name)["state"][2] == "p"
        offset = len(_console())
        must(XLPY.run("unpause", SPEC.name))
        wait_console(SPEC.name, r"LANE-GUEST-TICK", 60, offset)
    finally:
        image.unlink(missing_ok=True)


def _console() -> str:
    from lanelib import console_text

    return console_text(SPEC.name)


def test_save_d_keeps_the_domid_across_both_tools(guest: Running) -> None:
    """save -D stores the domid: an image xl-py saved, the real xl restores under the
    same domid, and an image xl saved, xl-py restores under it."""
    _alive()
    domid = domid_of(SPEC.name)
    image = _image("d")
    try:
        must(XLPY.run("save", "-D", SPEC.name, str(image), timeout=300))
        assert domid_of(SPEC.name) is None
        _next_second()
        must(sh([*NO_REUSE_WAIT, *XL.argv, "restore", "-e", str(image)], timeout=300))
        assert domid_of(SPEC.name) == domid
        must(XL.run("save", "-D", SPEC.name, str(image), timeout=300))
        assert domid_of(SPEC.name) is None
        offset = len(_console())
        _next_second()
        must(sh([*NO_REUSE_WAIT, *XLPY.argv, "restore", str(image)], timeout=300))
        assert domid_of(SPEC.name) == domid
        wait_console(SPEC.name, r"LANE-GUEST-TICK", 60, offset)
    finally:
        image.unlink(missing_ok=True)


def test_restore_takes_xl_confs_domid_policy(guest: Running) -> None:
    """Without -D the image holds domid 0 and restore asks xl.conf: "random" gives a
    domid away from the sequential ones (a chance of 1 in ~600 to land near)."""
    _alive()
    domid = guest.domid
    image = _image("policy")
    conf = SCRATCH / "random-domid-xl.conf"
    conf.write_text('domid_policy = "random"\n')
    try:
        must(XLPY.run("save", SPEC.name, str(image), timeout=300))
        offset = len(_console())
        must(sh(["env", f"XL_PY_CONF={conf}", *XLPY.argv, "restore", str(image)],
                timeout=300))
        new = domid_of(SPEC.name)
        assert new is not None and not domid - 5 <= new <= domid + 50, (domid, new)
        wait_console(SPEC.name, r"LANE-GUEST-TICK", 60, offset)
    finally:
        image.unlink(missing_ok=True)


@pytest.mark.parametrize("argv", [
    ("network-attach", SPEC.name, "mac=00:16:3e:01:02:03", "bridge=xenbr0", "rate=10Mb/s"),
    ("network-attach", SPEC.name, "model=e1000", "ip=10.99.0.40", "vifname=rt0"),
    ("block-attach", SPEC.name, "format=raw,vdev=xvdb,access=rw,target=/srv/b.img"),
], ids=["nic-rate", "nic-model", "disk"])
def test_attach_dry_run_prints_what_xl_prints(guest: Running, argv: tuple[str, ...]) -> None:
    """-N: the device as libxl JSON, nothing attached (xl -N network-attach crashes on
    the hypervisor-less stand-in, so it is compared here)."""
    _alive()
    _same("-N", *argv)


def test_shutdown_w_returns_when_the_domain_is_down(guest: Running) -> None:
    """shutdown -w sleeps on @releaseDomain and returns once the guest has shut down;
    the monitor (started by restore) then destroys it (on_poweroff = "destroy")."""
    _alive()
    domid = guest.domid
    started = time.monotonic()
    result = must(XLPY.run("shutdown", "-w", SPEC.name, timeout=120))
    journal(f"[measure] xl-py shutdown -w of domain {domid}: "
            f"{time.monotonic() - started:.1f} s")
    assert f"Domain {domid} has been shut down, reason code 0" in result.err or \
        f"Domain {domid} has been destroyed" in result.err, str(result)
    wait_for("the monitor to destroy the domain", lambda: domid_of(SPEC.name) is None, 60)
