"""Virtual disk names -> xenstore device numbers (libxl__device_disk_dev_number).

``xvda`` is 51712, ``xvdq`` and beyond use the extended scheme
``(1 << 28) | disk << 8 | partition``, ``hda`` is 768, ``sda`` is 2048, a plain
number is taken as it is, ``d<disk>p<part>`` is the generic spelling.
"""

from __future__ import annotations

import re

from xl_py.errors import OperationError

_GENERIC = re.compile(r"^d([0-9]+)p([0-9]+)$")

# prefix -> (max disk index, max partition, encoder)
_FAMILIES: tuple[tuple[str, int, int], ...] = (
    ("xvd", (1 << 20) - 1, 255),
    ("hd", 3, 63),
    ("sd", 15, 15),
)


def _letters(rest: str, max_index: int) -> tuple[int, str] | None:
    """Bijective base-26 drive letters at the start of ``rest`` -> (index, tail)."""
    index = -1
    i = 0
    while i < len(rest) and "a" <= rest[i] <= "z":
        index = (index + 1) * 26 + (ord(rest[i]) - ord("a"))
        if index > max_index:
            return None
        i += 1
    if index < 0:
        return None
    return index, rest[i:]


def _partition(tail: str, max_partition: int) -> int | None:
    if not tail:
        return 0
    if not tail.isdigit() or tail.startswith("0"):
        return None
    value = int(tail)
    return value if value <= max_partition else None


def _split(vdev: str, prefix: str, max_index: int, max_partition: int) -> tuple[int, int] | None:
    if not vdev.startswith(prefix):
        return None
    found = _letters(vdev[len(prefix):], max_index)
    if found is None:
        return None
    disk, tail = found
    part = _partition(tail, max_partition)
    return None if part is None else (disk, part)


def _xvd(disk: int, part: int) -> int:
    if disk <= 15 and part <= 15:
        return (202 << 8) | (disk << 4) | part
    return (1 << 28) | (disk << 8) | part


def _hd(disk: int, part: int) -> int:
    return ((3 if disk < 2 else 22) << 8) | ((disk & 1) << 6) | part


def _sd(disk: int, part: int) -> int:
    return (8 << 8) | (disk << 4) | part


_ENCODERS = {"xvd": _xvd, "hd": _hd, "sd": _sd}


def disk_devid(vdev: str) -> int:
    """The device number libxl uses as the vbd's devid; raise on a bad name."""
    m = _GENERIC.match(vdev)
    if m and int(m.group(1)) < (1 << 20) and int(m.group(2)) < 256:
        return _xvd(int(m.group(1)), int(m.group(2)))
    found = _split(vdev, "xvd", (1 << 20) - 1, 255)
    if found:
        return _xvd(*found)
    if vdev.isdigit():
        value = int(vdev)
        if value <= 0x7FFFFFFF:
            return value
    for prefix, max_index, max_part in _FAMILIES[1:]:
        found = _split(vdev, prefix, max_index, max_part)
        if found:
            return _ENCODERS[prefix](*found)
    raise OperationError(f"invalid virtual disk name '{vdev}' (expected e.g. xvda, hdc, sdb1)")
