"""xenvm/watchdog.py: finding TCG's lost wakeup in the QEMU monitor's answers, and the kick.

The two monitor answers below were taken from the lane's QEMU while the whole emulated
machine was frozen during an HVM guest boot (xenvm/hvm-soak.sh, 2026-11-26, boot 5 of
6): Xen's idle ``sti; hlt`` with IF set, the LAPIC timer expired, vector 250 pending.
One NUL byte on the serial line woke it and the run went on.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

XENVM = Path(__file__).resolve().parent.parent / "xenvm"
sys.path.insert(0, str(XENVM))

import watchdog  # noqa: E402

FROZEN_REGISTERS = """\
CPU#0
RAX=0000000000000000 RBX=ffff83007ffd7ef8 RCX=0000000000000048 RDX=0000000000000000
RIP=ffff82d0402f9c06 RFL=00000202 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1
EFER=0000000000001d01
(qemu) """
FROZEN_LAPIC = """\
dumping local APIC state for CPU 0 \r
\r
LVTT\t 0x000000fa active-hi edge                 one-shot     Fixed  (vec 250)\r
Timer\t DCR=0xb (divide by 1) initial_count = 3047884 current_count = 0\r
ISR\t (none)\r
IRR\t 250 \r
\r
APR 0x00 TPR 0x10 DFR 0x0f LDR 0x01 PPR 0x10\r
(qemu) """
AWAKE_REGISTERS = FROZEN_REGISTERS.replace("RIP=ffff82d0402f9c06", "RIP=000055be11b3b950") \
    .replace("CPL=0", "CPL=3").replace("HLT=1", "HLT=0")
IDLE_LAPIC = FROZEN_LAPIC.replace("IRR\t 250 ", "IRR\t (none)")


def test_the_frozen_machine_is_a_lost_wakeup() -> None:
    state = watchdog.parse_state(FROZEN_REGISTERS, FROZEN_LAPIC)
    assert state == watchdog.CpuState(halted=True, interrupts_enabled=True, irr=(250,),
                                      ppr=0x10, rip="ffff82d0402f9c06")
    assert state.pending_vector() == 0xFA
    assert state.lost_wakeup()
    assert state.describe() == ("CPU halted=1 IF=1 RIP=ffff82d0402f9c06, LAPIC IRR [250] "
                                "PPR 0x10, deliverable vector 0xfa")


@pytest.mark.parametrize(("registers", "lapic", "why"), [
    (AWAKE_REGISTERS, FROZEN_LAPIC, "running"),
    (FROZEN_REGISTERS, IDLE_LAPIC, "idle with nothing due"),
    (FROZEN_REGISTERS.replace("RFL=00000202", "RFL=00000002"), FROZEN_LAPIC, "IF clear"),
    (FROZEN_REGISTERS, FROZEN_LAPIC.replace("PPR 0x10", "PPR 0xf0"), "masked by priority"),
])
def test_states_that_are_not_lost_wakeups(registers: str, lapic: str, why: str) -> None:
    assert not watchdog.parse_state(registers, lapic).lost_wakeup(), why


def test_an_answer_without_the_fields_is_refused() -> None:
    with pytest.raises(ValueError) as caught:
        watchdog.parse_state("CPU#0\nRIP=1 RFL=2", FROZEN_LAPIC)
    assert str(caught.value) == "QEMU monitor answer without HLT: 'CPU#0\\nRIP=1 RFL=2'"


class ScriptedMonitor(watchdog.Monitor):
    """The monitor's answers in order (a fake for the wiring; parse_state is real)."""

    def __init__(self, states: list[tuple[str, str]]) -> None:
        super().__init__(Path("/nonexistent"))
        self.states = states

    def cpu_state(self) -> watchdog.CpuState:
        registers, lapic = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return watchdog.parse_state(registers, lapic)


def _serial_server(path: Path, received: list[bytes]) -> socket.socket:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                received.append(conn.recv(16))

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.parametrize(("states", "kicks"), [
    ([(FROZEN_REGISTERS, FROZEN_LAPIC)], 1),
    # a halted CPU with the timer just fired is normal for an instant: not kicked
    ([(FROZEN_REGISTERS, FROZEN_LAPIC), (AWAKE_REGISTERS, IDLE_LAPIC)], 0),
    ([(AWAKE_REGISTERS, IDLE_LAPIC)], 0),
])
def test_watchdog_kicks_only_a_confirmed_lost_wakeup(
        tmp_path: Path, states: list[tuple[str, str]], kicks: int) -> None:
    received: list[bytes] = []
    server = _serial_server(tmp_path / "serial.sock", received)
    serial = tmp_path / "serial.log"
    serial.write_text("(XEN) d5v0: upcall vector f3\n")  # silent from here on
    notes: list[str] = []
    dog = watchdog.Watchdog(ScriptedMonitor(list(states)), tmp_path / "serial.sock", serial,
                            notes.append, period=0.05, confirm_after=0.01)
    dog.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(received) < kicks:
        time.sleep(0.02)
    time.sleep(0.3 if kicks == 0 else 0)
    dog.stop()
    dog.join(timeout=5)
    server.close()
    assert received[:1] == [b"\0"] * min(kicks, 1)
    if kicks:
        assert dog.kicks[0].endswith(
            "lost wakeup (CPU halted=1 IF=1 RIP=ffff82d0402f9c06, LAPIC IRR [250] PPR 0x10, "
            "deliverable vector 0xfa): kicked")
        assert notes[0] == f"watchdog: {dog.kicks[0]}"
    else:
        assert dog.kicks == [] and notes == []


def test_watchdog_leaves_a_talking_machine_alone(tmp_path: Path) -> None:
    serial = tmp_path / "serial.log"
    serial.write_text("")
    asked: list[int] = []

    class Counting(ScriptedMonitor):
        def cpu_state(self) -> watchdog.CpuState:
            asked.append(1)
            return super().cpu_state()

    dog = watchdog.Watchdog(Counting([(FROZEN_REGISTERS, FROZEN_LAPIC)]),
                            tmp_path / "serial.sock", serial, print, period=0.5)
    dog.start()
    for i in range(200):  # the log grows ~50 times between two polls
        with serial.open("a") as handle:
            handle.write(f"line {i}\n")
        time.sleep(0.01)
    dog.stop()
    dog.join(timeout=5)
    assert len(asked) <= 1  # at most the first poll, before it saw the log grow


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                    reason="needs qemu-system-x86_64 (the lane's host tool)")
def test_real_qemu_monitor_answers_parse(tmp_path: Path) -> None:
    """The monitor client and the parser against QEMU itself (a stopped machine)."""
    monitor = tmp_path / "monitor.sock"
    proc = subprocess.Popen(
        ["qemu-system-x86_64", "-S", "-nodefaults", "-display", "none", "-accel", "tcg",
         "-monitor", f"unix:{monitor},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not monitor.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        state = watchdog.Monitor(monitor).cpu_state()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert state == watchdog.CpuState(halted=False, interrupts_enabled=False, irr=(), ppr=0,
                                      rip="0000fff0")
    assert not state.lost_wakeup()
