"""Units of the runtime commands: xl's size, cpu-list and uptime rules, device
numbers, the command table rows, cheap imports, and xl's save/migration framing.

The rules are xl 4.17's (tools/xl/xl_parse.c parse_mem_size_kb, xl_info.c
uptime_to_string, libxl_device.c libxl__device_disk_dev_number, xl.h).
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import threading
from importlib import import_module

import pytest

from xl_py.backends import migration
from xl_py.backends.devnum import disk_devid
from xl_py.cli.commands._runtime import format_cpulist, parse_cpulist, parse_mem_size_kb
from xl_py.cli.commands.list import row
from xl_py.cli.commands.migrate import rune
from xl_py.cli.commands.uptime import uptime_to_string
from xl_py.cli.table import COMMANDS, RUNTIME_COMMANDS, lookup
from xl_py.errors import OperationError


@pytest.mark.parametrize(("text", "kb"), [
    ("512", 512 * 1024), ("512m", 512 * 1024), ("512M", 512 * 1024), ("2g", 2 << 20),
    ("1t", 1 << 30), ("4096k", 4096), ("1048576b", 1024), ("0", 0),
])
def test_mem_sizes_as_xl(text: str, kb: int) -> None:
    assert parse_mem_size_kb(text) == kb


@pytest.mark.parametrize("text", ["", "12x", "1gb", "-", "1.5g", "g"])
def test_bad_mem_sizes(text: str) -> None:
    with pytest.raises(OperationError, match=rf"^invalid memory size: {re.escape(text)}$"):
        parse_mem_size_kb(text)


@pytest.mark.parametrize(("text", "cpus"), [
    ("all", None), ("3", (3,)), ("0-3", (0, 1, 2, 3)), ("0-3,^2", (0, 1, 3)),
    ("1,5-6", (1, 5, 6)), ("all,^0", (1, 2, 3, 4, 5, 6, 7)),
])
def test_cpu_lists(text: str, cpus: tuple[int, ...] | None) -> None:
    assert parse_cpulist(text, 8) == cpus


def test_cpu_list_errors_and_formatting() -> None:
    with pytest.raises(OperationError, match=r"^cpu 9 does not exist \(the host has 8\)$"):
        parse_cpulist("9", 8)
    with pytest.raises(OperationError, match=r"^invalid cpu range '3-1' in '3-1'$"):
        parse_cpulist("3-1", 8)
    assert format_cpulist((0, 1, 2, 5, 7, 8), 16) == "0-2,5,7-8"
    assert format_cpulist(tuple(range(4)), 4) == "all"
    assert format_cpulist(None) == "all"
    assert format_cpulist(()) == "none"


@pytest.mark.parametrize(("seconds", "short", "text"), [
    (59, False, " 0:00:59"), (3723, False, " 1:02:03"), (86400 + 60, False, "1 day,  0:01:00"),
    (3 * 86400 + 7200, True, "3 days,  2:00"), (45 * 60, True, " 0:45"),
])
def test_uptime_strings(seconds: int, short: bool, text: str) -> None:
    assert uptime_to_string(seconds, short) == text


@pytest.mark.parametrize(("vdev", "devid"), [
    ("xvda", 51712), ("xvdb", 51728), ("xvda1", 51713), ("xvdp15", 51967),
    ("xvdq", (1 << 28) | (16 << 8)), ("xvdaa", (1 << 28) | (26 << 8)), ("d0p1", 51713),
    ("hda", 768), ("hdb", 832), ("hdc", 5632), ("hdd", 5696), ("sda", 2048), ("sdb2", 2066),
    ("51712", 51712),
])
def test_disk_device_numbers(vdev: str, devid: int) -> None:
    assert disk_devid(vdev) == devid


@pytest.mark.parametrize("vdev", ["xvd", "xvda0", "hde", "sdq", "vda", "xvdA", ""])
def test_bad_disk_names(vdev: str) -> None:
    with pytest.raises(OperationError, match=r"^invalid virtual disk name"):
        disk_devid(vdev)


def test_list_row_matches_xls_printf() -> None:
    from xl_py.backends.base import DomainInfo

    d = DomainInfo(domid=12, name="guest", uuid="3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d001",
                   current_memkb=1024 * 1024, vcpu_online=2, blocked=True, shutdown=True,
                   shutdown_reason=3, cpu_time_ns=123_456_000_000, ssid_label="system_u")
    # "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" then " uuid %8x %16s"
    assert row(d, False, False, False, False) == (
        "guest" + " " * 35 + "    12  1024     2     -b-sc-     123.5")
    assert row(d, True, False, False, False).endswith(
        " 3b9c9ad3-5d2c-4bf0-9a0e-8d7fa9a4d001        3         system_u")


def test_every_runtime_command_is_a_table_row_with_a_module() -> None:
    names = {c.name for c in RUNTIME_COMMANDS}
    assert names >= {"list", "info", "uptime", "domid", "domname", "rename", "destroy",
                     "shutdown", "reboot", "pause", "unpause", "mem-set", "mem-max",
                     "vcpu-list", "vcpu-set", "vcpu-pin", "sched-credit", "console",
                     "vncviewer", "block-attach", "block-detach", "block-list",
                     "network-attach", "network-detach", "network-list", "cd-insert",
                     "cd-eject", "save", "restore", "migrate", "dmesg", "vm-list"}
    assert len({c.name for c in COMMANDS}) == len(COMMANDS), "a command is listed twice"
    for command in RUNTIME_COMMANDS:
        assert callable(import_module(f"xl_py.cli.commands.{command.module}").run)
    assert lookup("vm-") is not None and lookup("vm-").name == "vm-list"  # type: ignore[union-attr]
    assert lookup("mem-s").name == "mem-set"  # type: ignore[union-attr]


def test_query_commands_do_not_import_heavy_modules() -> None:
    code = ("import sys, json, importlib\n"
            "for m in ('list', 'info', 'domctl', 'vcpu', 'mem', 'uptime', 'block', 'network'):\n"
            "    importlib.import_module('xl_py.cli.commands.' + m)\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                           text=True, check=True).stdout))
    assert not loaded & {"libvirt", "pyxs", "ctypes", "lark", "click",
                         "xl_py.backends.libvirt", "xl_py.backends.libxl"}


def test_migration_rune_as_xl_builds_it() -> None:
    assert rune("ssh", "host2", "xl", no_wait=False, debug=False, paused=False) == \
        "exec ssh host2 xl migrate-receive"
    assert rune("ssh -p 2222", "root@h", "xl", no_wait=True, debug=True, paused=True) == \
        "exec ssh -p 2222 root@h xl migrate-receive -e -d -p"
    assert rune("", "nc h 9000", "xl", no_wait=False, debug=False, paused=False) == "nc h 9000"


def test_save_header_is_xls_layout() -> None:
    header = migration.SaveHeader(config=b'{"c_info": {}}')
    data = header.pack()
    assert data[:32] == b"Xen saved domain, xl format\n \x00 \r"  # exactly 32, no NUL
    assert struct.unpack("=IIII", data[32:48]) == (0x01020304, 3, 0, 4 + 14)
    assert struct.unpack("=I", data[48:52]) == (14,)
    assert data[52:] == b'{"c_info": {}}'
    assert migration.read_header(io.BytesIO(data + b"stream"), "f") == header
    assert header.describe("x.save") == "Saving to x.save new xl format (info 0x3/0x0/18)"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: b"Y" + d[1:], "File has wrong magic number - corrupt or for a different tool?"),
    (lambda d: d[:32] + struct.pack(">I", 0x01020304) + d[36:], "File has wrong byte order"),
    (lambda d: d[:36] + struct.pack("=I", 7) + d[40:],
     "Savefile has mandatory flag(s) 0x4 which are not supported; need newer xl"),
    (lambda d: d[:60], "f: unexpected end of file reading the optional data"),
])
def test_bad_save_headers(mutate: object, message: str) -> None:
    data = migration.SaveHeader(config=b"{}" * 10).pack()
    with pytest.raises(OperationError) as info:
        migration.read_header(io.BytesIO(mutate(data)), "f")  # type: ignore[operator]
    assert str(info.value).startswith(message)


def _pipes() -> tuple[io.BufferedReader, io.BufferedWriter]:
    r, w = os.pipe()
    return os.fdopen(r, "rb"), os.fdopen(w, "wb")


@pytest.mark.parametrize("target_fails", [False, True])
def test_migration_handshake_both_ends(target_fails: bool) -> None:
    """Sender and receiver of xl's protocol talk over pipes (the domain parts are
    callbacks here: this checks the framing and the order of the messages)."""
    to_recv_r, to_recv_w = _pipes()
    to_send_r, to_send_w = _pipes()
    events: list[str] = []
    result: dict[str, object] = {}

    def receiver() -> None:
        def restore(header: migration.SaveHeader) -> int:
            events.append(f"restore {header.config.decode()} {to_recv_r.read(6).decode()}")
            return 42

        def start(domid: int) -> None:
            if target_fails:
                raise OperationError("unpause failed")
            events.append(f"start {domid}")

        try:
            result["domid"] = migration.receive(to_recv_r, to_send_w, restore=restore,
                                                start=start, destroy=lambda d: events.append(
                                                    f"target destroy {d}"), log=lambda _: None)
        except OperationError as exc:
            result["error"] = str(exc)

    thread = threading.Thread(target=receiver)
    thread.start()

    def suspend() -> None:
        to_recv_w.write(b"STREAM")
        to_recv_w.flush()

    log: list[str] = []
    try:
        migration.send(to_send_r, to_recv_w, migration.SaveHeader(config=b"{}"), suspend=suspend,
                       rename_away=lambda: events.append("rename away"),
                       destroy=lambda: events.append("source destroy"),
                       resume=lambda: events.append("source resume"), log=log.append)
    except OperationError as exc:
        result["sender"] = str(exc)
    thread.join(10)
    if target_fails:
        assert events == ["restore {} STREAM", "rename away", "target destroy 42",
                          "source resume"]
        assert result["sender"] == "Migration failed due to problems at target."
        assert log[-1] == "migration sender: Trying to resume at our end."
    else:
        assert events == ["restore {} STREAM", "rename away", "start 42", "source destroy"]
        assert result["domid"] == 42
        assert log[-1] == "Migration successful."


def test_dash_h_prints_usage_and_exits_zero() -> None:
    proc = subprocess.run([sys.executable, "-m", "xl_py.cli.main", "mem-set", "-h"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[0] == (
        "Usage: xl-py [-v] mem-set <Domain> <MemMB['b'[bytes]|'k'[KB]|'m'[MB]|'g'[GB]|'t'[TB]]>")
