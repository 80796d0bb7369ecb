"""MAC addresses the way libxl draws them, checked against those in use.

libxl_nic's setdefault (libxl_nic.c) fills an all-zero MAC with Xen's OUI
``00:16:3e`` and three random bytes, the first of them masked with 0x7f::

    00:16:3e:(r0 & 0x7f):r1:r2

xl_py draws the same way and, before using one, checks it against every MAC
on the host (running domains through a backend and, optionally, the configs
of a directory), drawing again on a collision.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container

from xl_py.errors import OperationError

XEN_OUI = (0x00, 0x16, 0x3E)
_MAC = re.compile(r"^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$")
MAX_DRAWS = 1000


def format_mac(octets: bytes | tuple[int, ...]) -> str:
    return ":".join(f"{b:02x}" for b in octets)


def draw_mac(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """One MAC as libxl draws it (00:16:3e, then r0 & 0x7f, r1, r2)."""
    r = random_bytes(3)
    return format_mac((*XEN_OUI, r[0] & 0x7F, r[1], r[2]))


def random_mac(in_use: Container[str], random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A fresh MAC not in ``in_use`` (lower-case ``aa:bb:..`` strings)."""
    for _ in range(MAX_DRAWS):
        mac = draw_mac(random_bytes)
        if mac not in in_use:
            return mac
    raise OperationError(f"no free MAC address found in 00:16:3e after {MAX_DRAWS} draws")


def validate_mac(text: str) -> str:
    """xl's MAC syntax (six colon-separated hex octets) -> canonical lower case."""
    if not _MAC.match(text):
        raise OperationError(f"invalid MAC address '{text}' (expected six hex octets "
                             "like 00:16:3e:12:34:56)")
    return format_mac(tuple(int(part, 16) for part in text.split(":")))


def is_multicast(mac: str) -> bool:
    return bool(int(mac.split(":")[0], 16) & 1)
