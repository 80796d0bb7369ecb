"""A xenstore client: pipelined reads, retried transactions, watches.

It speaks xenstore's wire protocol (xs_wire.h: a 16-byte header, then the
payload) over a transport: a plain unix socket (XENSTORED_PATH, the default,
so ``xl-py list`` does not pay for importing pyxs), or pyxs's connection
classes, always for ``/dev/xen/xenbus`` and on request for the socket
(``XL_PY_XS_TRANSPORT=pyxs``).  On top it adds what the toolstack needs:

* :meth:`XsClient.batch` sends many requests before reading the replies (a
  window at a time, so neither side's socket buffer can fill up), which is how
  ``xl-py list`` reads a thousand domains quickly;
* :meth:`XsClient.transaction` runs a function inside a xenstore transaction
  and runs it again from scratch when the commit answers ``EAGAIN`` (another
  writer got there first, or oxenstored's ``test-eagain``), so no write is lost;
* :meth:`XsClient.watch` / :meth:`XsClient.next_event` wait for a path to change.

pyxs is imported here and only here.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from xl_py.errors import BackendError, BackendUnavailable

T = TypeVar("T")

_HEADER = struct.Struct("<IIII")  # xsd_sockmsg: type, req_id, tx_id, len
WINDOW = 64  # requests in flight at once (xenstored reads them one by one)
TX_RETRIES = 100

# xs_wire.h operation numbers (pyxs.Op spells the same)
DIRECTORY, READ, WATCH, UNWATCH, TX_START, TX_END = 1, 2, 4, 5, 6, 7
INTRODUCE, RELEASE, WRITE, MKDIR, RM, SET_PERMS, WATCH_EVENT, ERROR = 8, 9, 11, 12, 13, 14, 15, 16


class XsError(BackendError):
    """xenstored answered a request with an error (``ENOENT``, ``EACCES``...)."""

    def __init__(self, name: str, path: str = "") -> None:
        self.name = name
        self.errno = getattr(errno, name, 0)
        where = f" ({path})" if path else ""
        super().__init__(f"xenstore: {name}{where}")


def default_socket_path(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("XENSTORED_PATH") or os.path.join(
        env.get("XENSTORED_RUNDIR", "/var/run/xenstored"), "socket")


class XsClient:
    """One connection to xenstored; not thread-safe (one per command)."""

    def __init__(self, socket_path: str | None = None, xenbus_path: str | None = None,
                 transport: str | None = None) -> None:
        """``transport``: "pyxs" or "socket" (default: pyxs for xenbus, the stdlib
        socket for a unix socket unless XL_PY_XS_TRANSPORT=pyxs; same wire bytes,
        but ``xl-py list`` starts faster without importing pyxs)."""
        self.path = xenbus_path or socket_path or default_socket_path()
        kind = transport or ("pyxs" if xenbus_path else
                             os.environ.get("XL_PY_XS_TRANSPORT", "socket"))
        try:
            self._transport, self._close = (_pyxs_transport(self.path, bool(xenbus_path))
                                            if kind == "pyxs" else _socket_transport(self.path))
        except OSError as exc:
            raise BackendUnavailable(
                f"cannot connect to xenstored at {self.path}: is xenstored running? "
                f"({_reason(exc)})") from exc
        self.transport_name = kind
        self._buf = bytearray()
        self._rq = 0
        self.tx = 0
        self.retries = 0  # transactions re-run after EAGAIN, over this client's life
        self._events: list[tuple[str, str]] = []

    # -- wire ----------------------------------------------------------------
    def close(self) -> None:
        self._close()

    def _send(self, packets: Sequence[tuple[int, bytes, int]]) -> list[int]:
        out = bytearray()
        ids = []
        for op, payload, tx in packets:
            self._rq = (self._rq + 1) & 0xFFFFFFFF
            ids.append(self._rq)
            out += _HEADER.pack(op, self._rq, tx, len(payload)) + payload
        try:
            self._transport.send(bytes(out))
        except OSError as exc:
            raise BackendError(f"xenstore connection lost: {exc}") from exc
        return ids

    def _recv_exact(self, size: int) -> bytes:
        sock = self._transport
        while len(self._buf) < size:
            chunk = sock.sock.recv(max(65536, size - len(self._buf))) if hasattr(
                sock, "sock") else sock.recv(size - len(self._buf))
            if not chunk:
                raise BackendError("xenstore connection closed by xenstored")
            self._buf += chunk
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    def _packet(self) -> tuple[int, int, bytes]:
        op, rq, _tx, size = _HEADER.unpack(self._recv_exact(_HEADER.size))
        payload = self._recv_exact(size) if size else b""
        if op == WATCH_EVENT:
            path, _, token = payload.rstrip(b"\0").partition(b"\0")
            self._events.append((path.decode(), token.decode()))
        return op, rq, payload

    def _recv(self) -> tuple[int, int, bytes]:
        """The next reply; watch events met on the way are queued."""
        while True:
            op, rq, payload = self._packet()
            if op != WATCH_EVENT:
                return op, rq, payload

    def batch(self, requests: Sequence[tuple[int, str | bytes]],
              tx: int | None = None) -> list[bytes | XsError]:
        """Send requests ``(op, payload)`` pipelined; replies in request order."""
        tid = self.tx if tx is None else tx
        results: list[bytes | XsError] = []
        for start in range(0, len(requests), WINDOW):
            chunk = requests[start:start + WINDOW]
            ids = self._send([(op, _enc(p), tid) for op, p in chunk])
            by_id: dict[int, bytes | XsError] = {}
            for _ in ids:
                op, rq, payload = self._recv()
                by_id[rq] = (XsError(payload.rstrip(b"\0").decode(errors="replace"))
                             if op == ERROR else payload)
            for (_op, p), rq in zip(chunk, ids, strict=True):
                got = by_id[rq]
                if isinstance(got, XsError):
                    got = XsError(got.name, _path_of(p))
                results.append(got)
        return results

    def request(self, op: int, payload: str | bytes, tx: int | None = None) -> bytes:
        (got,) = self.batch([(op, payload)], tx)
        if isinstance(got, XsError):
            raise got
        return got

    # -- operations ------------------------------------------------------------
    def read(self, path: str) -> str | None:
        try:
            return self.request(READ, path).decode()
        except XsError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise

    def directory(self, path: str) -> list[str]:
        try:
            raw = self.request(DIRECTORY, path)
        except XsError as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise
        return [p.decode() for p in raw.split(b"\0") if p]

    def read_many(self, paths: Sequence[str]) -> list[str | None]:
        """Pipelined reads; a missing node reads as None."""
        out: list[str | None] = []
        for got in self.batch([(READ, p) for p in paths]):
            out.append(_value_or_none(got))
        return out

    def directory_many(self, paths: Sequence[str]) -> list[list[str]]:
        out: list[list[str]] = []
        for got in self.batch([(DIRECTORY, p) for p in paths]):
            value = _value_or_none(got)
            out.append([] if value is None else [x for x in value.split("\0") if x])
        return out

    def write(self, path: str, value: str) -> None:
        self.request(WRITE, path.encode() + b"\0" + value.encode())

    def write_many(self, items: Sequence[tuple[str, str]]) -> None:
        for got in self.batch([(WRITE, p.encode() + b"\0" + v.encode()) for p, v in items]):
            if isinstance(got, XsError):
                raise got

    def mkdir(self, path: str) -> None:
        self.request(MKDIR, path)

    def rm(self, path: str) -> None:
        try:
            self.request(RM, path)
        except XsError as exc:
            if exc.errno != errno.ENOENT:
                raise

    def set_perms(self, path: str, perms: Sequence[str]) -> None:
        self.request(SET_PERMS, path.encode() + b"\0" + b"".join(p.encode() + b"\0" for p in perms))

    # -- transactions ------------------------------------------------------------
    @contextmanager
    def _in_transaction(self) -> Iterator[int]:
        self.tx = int(self.request(TX_START, b"\0", tx=0).rstrip(b"\0"))
        try:
            yield self.tx
        except BaseException:
            tid, self.tx = self.tx, 0
            with suppress(XsError):
                self.request(TX_END, b"F\0", tx=tid)
            raise

    def transaction(self, body: Callable[[XsClient], T], retries: int = TX_RETRIES) -> T:
        """Run ``body(self)`` in a transaction; re-run it whole on EAGAIN.

        ``body`` must only read and write through this client and must not
        have effects outside xenstore (it may run several times)."""
        for attempt in range(retries):
            if attempt:
                self.retries += 1
                _backoff(attempt)
            try:
                with self._in_transaction() as tid:
                    result = body(self)
            except XsError as exc:
                if exc.errno == errno.EAGAIN:
                    continue  # a read or write inside answered EAGAIN: start over
                raise
            self.tx = 0
            try:
                self.request(TX_END, b"T\0", tx=tid)
            except XsError as exc:
                if exc.errno == errno.EAGAIN:
                    continue
                raise
            return result
        raise BackendError(f"xenstore transaction still conflicting after {retries} tries")

    # -- watches -------------------------------------------------------------------
    def watch(self, path: str, token: str) -> None:
        self.request(WATCH, path.encode() + b"\0" + token.encode() + b"\0", tx=0)

    def unwatch(self, path: str, token: str) -> None:
        self.request(UNWATCH, path.encode() + b"\0" + token.encode() + b"\0", tx=0)

    def next_event(self, timeout: float | None = None) -> tuple[str, str] | None:
        """The next watch event (path, token), or None after ``timeout`` seconds."""
        if self._events:
            return self._events.pop(0)
        sock = self._transport.sock
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self._events:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                sock.settimeout(left)
                try:
                    self._packet()
                except TimeoutError:
                    return None
        finally:
            sock.settimeout(None)
        return self._events.pop(0)


class _Socket:
    """A unix stream socket with the two methods the client uses."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


def _socket_transport(path: str) -> tuple[Any, Callable[[], None]]:
    transport = _Socket(path)
    return transport, transport.sock.close


def _pyxs_transport(path: str, xenbus: bool) -> tuple[Any, Callable[[], None]]:
    """pyxs's connection classes: /dev/xen/xenbus (with its zero-length-read quirk
    handled) or the unix socket."""
    try:
        from pyxs.connection import UnixSocketConnection, XenBusConnection
        from pyxs.exceptions import PyXSError
    except ImportError as exc:
        raise BackendUnavailable(
            "the xenstore backend needs pyxs for /dev/xen/xenbus: "
            "pip install 'xl_py[runtime]'") from exc
    conn: Any = XenBusConnection(path) if xenbus else UnixSocketConnection(path)
    try:
        conn.connect()
    except PyXSError as exc:
        raise OSError(str(exc)) from exc
    return conn.transport, conn.close


def _backoff(attempt: int) -> None:
    """Randomised exponential back-off between retries, so that writers racing
    for the same nodes stop colliding (up to 50 ms)."""
    import random

    time.sleep(random.uniform(0, min(0.05, 0.0005 * (2 ** min(attempt, 10)))))


def _enc(payload: str | bytes) -> bytes:
    if isinstance(payload, str):
        return payload.encode() + b"\0"
    return payload


def _path_of(payload: str | bytes) -> str:
    if isinstance(payload, str):
        return payload
    return payload.split(b"\0", 1)[0].decode(errors="replace")


def _value_or_none(got: bytes | XsError) -> str | None:
    if isinstance(got, XsError):
        if got.errno == errno.ENOENT:
            return None
        raise got
    return got.decode()


def _reason(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.strip("()'\",") or type(exc).__name__


RELEASE_DOMAIN = "@releaseDomain"


class ReleaseWatch:
    """A watch on xenstored's ``@releaseDomain``, which fires whenever a domain
    shuts down or is destroyed (libxl's domain death events are this same watch).

    It has a connection of its own, so that a waiter's queries on another one
    never meet its events.  The watch is set when it is made: a change after
    that wakes :meth:`wait`, even one that happens before the first wait.
    Registering fires the watch once, so the first wait returns at once."""

    def __init__(self, client: XsClient, token: str = "xlpy-release") -> None:
        self.xs = client
        self.token = token
        self.events = 0  # events received, for measurement
        client.watch(RELEASE_DOMAIN, token)

    def wait(self, timeout: float) -> bool:
        got = self.xs.next_event(timeout=max(0.0, timeout))
        if got is None:
            return False
        self.events += 1
        return True

    def close(self) -> None:
        with suppress(BackendError, OSError):
            self.xs.unwatch(RELEASE_DOMAIN, self.token)
        self.xs.close()
