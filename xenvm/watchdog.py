"""Lost-wakeup watchdog for the lane's QEMU (TCG): finds the frozen machine and wakes it.

What it works around (found with ``xenvm/hvm-soak.sh`` and the QEMU monitor, see
docs/xenvm.md): now and then, mostly while an HVM guest boots, QEMU 7.2's TCG leaves
the one emulated CPU asleep although an interrupt is due.  The monitor then shows Xen's
idle loop (``sti; hlt``: ``HLT=1``, ``IF`` set in ``RFL``), the local APIC's one-shot
timer expired (``current_count = 0``) and its vector pending in the ``IRR`` above the
processor priority (``PPR``): on real hardware the CPU would have taken it at once.
Nothing else is due, so the whole machine (Xen, dom0, the guests) sleeps until the
lane's timeout.  Any other interrupt wakes it, and everything goes on where it stopped
(Xen then notes "Platform timer appears to have unexpectedly wrapped").

So: while QEMU runs, every few seconds of serial silence the watchdog asks the monitor
for the CPU and local APIC state; when the CPU is halted with interrupts enabled and a
deliverable vector pending, twice a second apart, it sends one NUL byte down the
serial line.  Xen keeps the serial input to itself (``conswitch=ax`` on its command
line) and has no debug key 0, so the byte only raises the UART's receive interrupt,
which wakes the CPU; the pending timer interrupt is taken right after.  Every kick is
logged with the state that justified it.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Xen's command line addition that keeps serial input with Xen (no dom0 echo of kicks)
XEN_KEEPS_SERIAL_INPUT = "conswitch=ax"
KICK_BYTE = b"\0"
IF_FLAG = 0x200


@dataclass(frozen=True, slots=True)
class CpuState:
    """What the monitor says about CPU 0: halted, IF, and the local APIC's IRR and PPR."""

    halted: bool
    interrupts_enabled: bool
    irr: tuple[int, ...]
    ppr: int
    rip: str

    def pending_vector(self) -> int | None:
        """The highest IRR vector whose priority class beats the PPR (None: none)."""
        deliverable = [v for v in self.irr if (v & 0xF0) > (self.ppr & 0xF0)]
        return max(deliverable) if deliverable else None

    def lost_wakeup(self) -> bool:
        """Halted with interrupts on and a deliverable interrupt pending: cannot last."""
        return self.halted and self.interrupts_enabled and self.pending_vector() is not None

    def describe(self) -> str:
        vector = self.pending_vector()
        pending = f"0x{vector:02x}" if vector is not None else "none"
        return (f"CPU halted={int(self.halted)} IF={int(self.interrupts_enabled)} "
                f"RIP={self.rip}, LAPIC IRR {list(self.irr)} PPR 0x{self.ppr:02x}, "
                f"deliverable vector {pending}")


_HLT = re.compile(r"\bHLT=(\d)")
_RFL = re.compile(r"\b[RE]FL=([0-9a-fA-F]+)")  # RFL in long mode, EFL before
_RIP = re.compile(r"\b[RE]IP=([0-9a-fA-F]+)")
_IRR = re.compile(r"^IRR\s+(.*)$", re.M)
_PPR = re.compile(r"\bPPR 0x([0-9a-fA-F]+)")


def parse_state(registers: str, lapic: str) -> CpuState:
    """``info registers`` and ``info lapic`` (HMP) of CPU 0 -> :class:`CpuState`.

    Raises ValueError naming what is missing (another QEMU's format, a cut answer)."""
    vectors = tuple(int(v) for v in _field(_IRR, lapic, "IRR").split() if v.isdigit())
    return CpuState(halted=_field(_HLT, registers, "HLT") == "1",
                    interrupts_enabled=bool(int(_field(_RFL, registers, "RFL"), 16) & IF_FLAG),
                    irr=vectors, ppr=int(_field(_PPR, lapic, "PPR"), 16),
                    rip=_field(_RIP, registers, "RIP"))


def _field(pattern: re.Pattern[str], text: str, name: str) -> str:
    match = pattern.search(text)
    if match is None:
        raise ValueError(f"QEMU monitor answer without {name}: {text.strip()[-200:]!r}")
    return match.group(1)


class Monitor:
    """QEMU's human monitor on a unix socket: one connection per question."""

    PROMPT = b"(qemu) "

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout

    def ask(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.path))
            self._until_prompt(sock)  # the banner
            sock.sendall(command.encode() + b"\n")
            return self._until_prompt(sock).decode(errors="replace")

    def _until_prompt(self, sock: socket.socket) -> bytes:
        data = b""
        while not data.endswith(self.PROMPT):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def cpu_state(self) -> CpuState:
        return parse_state(self.ask("info registers"), self.ask("info lapic"))


def kick(serial_socket: Path, timeout: float = 5.0) -> None:
    """One NUL byte on the serial line: the UART's receive interrupt wakes the CPU."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(str(serial_socket))
        sock.sendall(KICK_BYTE)
        time.sleep(0.2)  # let QEMU read it before the client goes away


class Watchdog(threading.Thread):
    """Polls while QEMU runs; kicks on a lost wakeup; ``kicks`` lists what it did."""

    def __init__(self, monitor: Monitor, serial_socket: Path, serial_log: Path,
                 report: Callable[[str], None], *, period: float = 5.0,
                 confirm_after: float = 1.0) -> None:
        super().__init__(name="lane-watchdog", daemon=True)
        self.monitor = monitor
        self.serial_socket = serial_socket
        self.serial_log = serial_log
        self.report = report
        self.period = period
        self.confirm_after = confirm_after
        self.kicks: list[str] = []
        self._quit = threading.Event()
        self._since = time.monotonic()

    def stop(self) -> None:
        self._quit.set()

    def run(self) -> None:
        size = -1
        while not self._quit.wait(self.period):
            now = self._size()
            if now != size:  # the machine talks: it is not asleep
                size = now
                continue
            try:
                self._check()
            except (OSError, ValueError) as exc:  # QEMU gone or an odd answer: keep going
                self.report(f"watchdog: cannot read the CPU state: {exc}")

    def _check(self) -> None:
        first = self.monitor.cpu_state()
        if not first.lost_wakeup():
            return
        time.sleep(self.confirm_after)
        second = self.monitor.cpu_state()
        if not second.lost_wakeup():
            return
        at = time.monotonic() - self._since
        kick(self.serial_socket)
        note = f"+{at:.0f} s: lost wakeup ({second.describe()}): kicked"
        self.kicks.append(note)
        self.report(f"watchdog: {note}")

    def _size(self) -> int:
        try:
            return self.serial_log.stat().st_size
        except OSError:
            return -1
