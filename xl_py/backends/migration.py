"""xl's save-file header and migration handshake (tools/xl/xl.h, xl_migrate.c).

A save file (and a migration stream) starts with::

    char     magic[32]          "Xen saved domain, xl format\\n \\0 \\r"
    uint32_t byteorder          0x01020304 in the writer's byte order
    uint32_t mandatory_flags    bit 0: config is JSON, bit 1: stream v2
    uint32_t optional_flags
    uint32_t optional_data_len  then: uint32 config length + the config bytes

followed by libxl's domain stream.  Migration wraps that in fixed messages:
the receiver sends the banner, the sender the header and the stream, the
receiver "ready", the sender "go", the receiver the report and one status
byte.  xl sends the ready/go/report messages with their terminating NUL
(``sizeof``), the banner without.  This module is pure: it works on binary
file objects, and the backend does the domain part through callbacks.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping
from typing import IO, Any

from xl_py._record import Record
from xl_py.errors import OperationError

SAVEFILE_MAGIC = b"Xen saved domain, xl format\n \0 \r".ljust(32, b"\0")
BYTEORDER = 0x01020304
FLAG_JSON = 1 << 0
FLAG_STREAMV2 = 1 << 1
FLAGS_KNOWN = FLAG_JSON | FLAG_STREAMV2

BANNER = b"xl migration receiver ready, send binary domain data.\n"
READY = b"domain received, ready to unpause\0"
GO = b"domain is yours, you are cleared to unpause\0"
REPORT = b"my copy unpause results are as follows\0"

_HEAD = struct.Struct("=32sIIII")

INVALID_DOMID = 0xFFFFFFFF  # libxl.h: ~0, "libxl chooses" (domid_policy = "xen")
RANDOM_DOMID = INVALID_DOMID - 1  # domid_policy = "random"
DOMID_FIRST_RESERVED = 0x7FF0
DOMID_POLICY = {"xen": INVALID_DOMID, "random": RANDOM_DOMID}
INCOMING_SUFFIX = "--incoming"


class SaveHeader(Record):
    config: bytes  # the domain config (libxl JSON when FLAG_JSON)
    mandatory_flags: int = FLAG_STREAMV2 | FLAG_JSON
    optional_flags: int = 0

    def pack(self) -> bytes:
        flags = self.mandatory_flags | (FLAG_JSON if self.config else 0)
        optional = struct.pack("=I", len(self.config)) + self.config
        return _HEAD.pack(SAVEFILE_MAGIC, BYTEORDER, flags, self.optional_flags,
                          len(optional)) + optional

    @property
    def stream_version(self) -> int:
        """libxl_domain_restore_params.stream_version as xl sets it."""
        return 2 if self.mandatory_flags & FLAG_STREAMV2 else 1

    def describe(self, source: str) -> str:
        """xl's "Saving to ... new xl format (info 0x3/0x0/N)" line."""
        optional_len = 4 + len(self.config)
        flags = self.mandatory_flags | (FLAG_JSON if self.config else 0)
        return (f"Saving to {source} new xl format (info 0x{flags:x}/0x{self.optional_flags:x}"
                f"/{optional_len})")


def _c_info(config: Mapping[str, Any]) -> dict[str, Any]:
    c_info = config.get("c_info")
    return dict(c_info) if isinstance(c_info, Mapping) else {}


def with_domid_policy(config: Mapping[str, Any], policy: str) -> dict[str, Any]:
    """xl's create: a config naming no valid guest domid gets xl.conf's domid_policy
    (INVALID_DOMID for "xen", RANDOM_DOMID for "random") as c_info.domid."""
    c_info = _c_info(config)
    domid = c_info.get("domid")
    if isinstance(domid, int) and 0 < domid < DOMID_FIRST_RESERVED:
        return dict(config)
    c_info["domid"] = DOMID_POLICY[policy]
    return {**config, "c_info": c_info}


def saved_config(config: Mapping[str, Any] | None, domid: int, *,
                 preserve_domid: bool) -> bytes:
    """The config xl puts in a save image: the domain's retrieved configuration
    with c_info.domid = 0 (or the domid itself with -D), NUL-terminated (xl
    stores strlen + 1 bytes)."""
    if not config:
        return b""
    c_info = _c_info(config)
    c_info["domid"] = domid if preserve_domid else 0
    return json.dumps({**config, "c_info": c_info}, indent=4).encode() + b"\0"


def incoming_config(config_json: bytes) -> tuple[bytes, str]:
    """migrate-receive: the domain is received as '<name>--incoming'
    (xl_vmcontrol.c) and renamed once it may start; returns the config with
    that name and the name to rename to."""
    config = json.loads(config_json.rstrip(b"\0") or b"{}")
    c_info = _c_info(config)
    name = str(c_info.get("name") or "")
    if not name:
        return config_json, ""
    c_info["name"] = name + INCOMING_SUFFIX
    return json.dumps({**config, "c_info": c_info}).encode(), name


def read_header(stream: IO[bytes], source: str) -> SaveHeader:
    """Read and check a header as xl's restore does; raise with xl's messages."""
    raw = _exactly(stream, _HEAD.size, source, "header")
    magic, order, mandatory, optional, optional_len = _HEAD.unpack(raw)
    if magic != SAVEFILE_MAGIC:
        raise OperationError(f"File has wrong magic number - corrupt or for a different "
                             f"tool? ({source})")
    if order != BYTEORDER:
        raise OperationError(f"File has wrong byte order ({source})")
    unknown = mandatory & ~FLAGS_KNOWN
    if unknown:
        raise OperationError(f"Savefile has mandatory flag(s) 0x{unknown:x} which are not "
                             f"supported; need newer xl ({source})")
    data = _exactly(stream, optional_len, source, "optional data")
    config = b""
    if len(data) >= 4:
        (length,) = struct.unpack("=I", data[:4])
        if length > len(data) - 4:
            raise OperationError(f"Savefile truncated. ({source})")
        config = data[4:4 + length]
    return SaveHeader(config=config, mandatory_flags=mandatory, optional_flags=optional)


def _exactly(stream: IO[bytes], size: int, source: str, what: str) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise OperationError(f"{source}: unexpected end of file reading the {what}")
        data += chunk
    return data


def expect(stream: IO[bytes], message: bytes, what: str, source: str) -> None:
    got = _exactly(stream, len(message), source, what)
    if got != message:
        raise OperationError(f"{source}: expected the {what}, got {got[:40]!r}")


Log = Callable[[str], None]


def send(recv: IO[bytes], send_: IO[bytes], header: SaveHeader, *, suspend: Callable[[], None],
         rename_away: Callable[[], None], destroy: Callable[[], None],
         resume: Callable[[], None], log: Log, rune: str = "migration") -> None:
    """The sender side of xl's migration (migrate_domain)."""
    expect(recv, BANNER, "banner", rune)
    send_.write(header.pack())
    send_.flush()
    log(header.describe("migration stream"))
    try:
        suspend()  # the backend writes libxl's stream to send_
        expect(recv, READY, "ready message", rune)
    except OperationError:
        log("Migration failed, resuming at sender.")
        resume()
        raise
    log("migration sender: Target has acknowledged transfer.")
    rename_away()
    log("migration sender: Giving target permission to start.")
    send_.write(GO)
    send_.flush()
    expect(recv, REPORT, "success/failure report message", rune)
    status = _exactly(recv, 1, rune, "status byte")[0]
    if status:
        log(f"migration sender: Target reports startup failure (status code {status}).")
        expect(recv, GO, "permission for sender to resume", rune)
        log("migration sender: Trying to resume at our end.")
        resume()
        raise OperationError("Migration failed due to problems at target.")
    log("migration sender: Target reports successful startup.")
    destroy()
    log("Migration successful.")


def receive(recv: IO[bytes], send_: IO[bytes], *, restore: Callable[[SaveHeader], int],
            start: Callable[[int], None], destroy: Callable[[int], None], log: Log) -> int:
    """The receiver side (migrate_receive); returns the new domid."""
    log("migration target: Ready to receive domain.")
    send_.write(BANNER)
    send_.flush()
    header = read_header(recv, "migration stream")
    domid = restore(header)  # reads libxl's stream from recv, leaves the domain paused
    log("migration target: Transfer complete, requesting permission to start domain.")
    send_.write(READY)
    send_.flush()
    expect(recv, GO, "GO message", "migration stream")
    log("migration target: Got permission, starting domain.")
    status = 0
    try:
        start(domid)
        log("migration target: Domain started successsfully.")
    except OperationError as exc:
        log(f"migration target: {exc}")
        status = 1
    send_.write(REPORT + bytes([status]))
    send_.flush()
    if status:
        log("migration target: Failure, destroying our copy.")
        destroy(domid)
        log("migration target: Cleanup OK, granting sender permission to resume.")
        send_.write(GO)
        send_.flush()
        raise OperationError("migration target: the domain could not be started")
    return domid
