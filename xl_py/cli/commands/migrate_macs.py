"""migrate-config and the vifs that have no ``mac=``.

xend drew a random MAC for such a vif at every ``xm create``, and xl does the
same, so the guest sees a new NIC at each start (RHEL's ifcfg-eth0 names its
HWADDR and renames the interface).  migrate-config reports each such vif as a
decision; with ``--fixed-macs`` it writes a MAC drawn once, the way libxl
draws them (Xen's OUI 00:16:3e), that no source of the run names.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from xl_py.backends.macs import random_mac, validate_mac
from xl_py.errors import OperationError

if TYPE_CHECKING:
    from xl_py.cli.commands.migrate_config import FileResult

# Anything that looks like a MAC in any source format (mac=..., (mac ...),
# <mac address='...'/>): a superset, so a drawn MAC never equals one of them.
_MAC_TOKEN = re.compile(rb"(?<![0-9A-Fa-f:])[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}"
                        rb"(?![0-9A-Fa-f:])")


class MacPool:
    """The MACs of one migrate-config run: those the sources name, and those drawn."""

    def __init__(self, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self.used: set[str] = set()
        self.random_bytes = random_bytes

    def note(self, data: bytes) -> None:
        for token in _MAC_TOKEN.findall(data):
            self.used.add(validate_mac(token.decode("ascii")))

    def draw(self) -> str:
        mac = random_mac(self.used, self.random_bytes)
        self.used.add(mac)
        return mac


def _has_mac(spec: str) -> bool:
    return any(part.split("=", 1)[0].strip() == "mac" for part in spec.split(","))


def vif_macs(vifs: Any) -> tuple[str, ...]:
    """The MACs a vif= list names, as xl reads them (backends.macs.validate_mac:
    lower case, two digits an octet); a malformed one is not a MAC."""
    found = []
    for spec in vifs if isinstance(vifs, list) else ():
        for part in str(spec).split(","):
            key, _, value = part.partition("=")
            if key.strip() == "mac":
                with contextlib.suppress(OperationError):
                    found.append(validate_mac(value.strip()))
    return tuple(found)


def report_shared_macs(results: Sequence[FileResult]) -> None:
    """A 'decision' item on each converted file whose MAC another one of the run
    also uses: two guests with one MAC cannot run on one host."""
    owners: dict[str, list[FileResult]] = {}
    for r in results:
        if r.status == "ok":
            for mac in dict.fromkeys(r.macs):
                owners.setdefault(mac, []).append(r)
    for mac, users in owners.items():
        for r in users:
            for other in (u for u in users if u is not r):
                line, col = r.vif_at
                same = r.uuid and r.uuid == other.uuid
                why = (f"{other.source} is the same guest (uuid {r.uuid}): keep one of the two"
                       if same else f"also used by {other.source} ({other.guest}): two guests "
                       "with one MAC cannot run on one host")
                r.items.append({"key": "vif", "status": "decision", "xl": ["vif"],
                                "line": line, "col": col, "detail": f"MAC {mac}: {why}"})


def fix_vif_macs(entries: Iterable[tuple[str, Any]], pool: MacPool | None,
                 origin: tuple[int, int]) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    """The entries with a MAC for every vif that has none (``pool`` given), and
    a report item per such vif.  ``origin``: the (line, col) of the source's vif."""
    out: list[tuple[str, Any]] = []
    items: list[dict[str, Any]] = []
    line, col = origin
    for key, value in entries:
        if key == "vif" and isinstance(value, list):
            specs = []
            for index, spec in enumerate(value):
                if not isinstance(spec, str) or _has_mac(spec):
                    specs.append(spec)
                    continue
                item = {"key": "vif", "xl": ["vif"], "line": line, "col": col}
                if pool is None:
                    item.update(status="decision", detail=(
                        f"vif {index} has no mac=: xend drew a new random MAC at every start "
                        "and so will xl; if the guest's network setup names its MAC (HWADDR= "
                        "in ifcfg-eth0), --fixed-macs writes one drawn once"))
                    specs.append(spec)
                else:
                    mac = pool.draw()
                    item.update(status="added", detail=(
                        f"vif {index}: mac={mac}: xend drew a new one at every start; this "
                        "one is drawn once (Xen's OUI 00:16:3e, named by no source of this "
                        "run) so the guest keeps its NIC"))
                    specs.append(f"mac={mac},{spec}" if spec.strip() else f"mac={mac}")
                items.append(item)
            value = specs
        out.append((key, value))
    return out, items
