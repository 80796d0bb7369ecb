"""Value types for libxl's special IDL types, shared by every model struct.

Conventions the generic JSON renderer relies on (docs/ARCHITECTURE.md):
a struct is a frozen record (xl_py._record) with fields in IDL order whose
default is libxl's init value; scalar fields equal to their default
are left out of the JSON, nested structs always appear.
"""

from __future__ import annotations

import enum

from xl_py._record import Record

# libxl.h: LIBXL_MEMKB_DEFAULT = ~0ULL, and friends.  JSON leaves them out.
MEMKB_DEFAULT = 2**64 - 1
TIMER_MODE_DEFAULT = -1
RDM_MEM_BOUNDARY_MEMKB_DEFAULT = 2**64 - 1


class Defbool(enum.Enum):
    """libxl_defbool: unset, or explicitly true/false (JSON "True"/"False")."""

    DEFAULT = "<default>"
    TRUE = "True"
    FALSE = "False"

    @classmethod
    def of(cls, value: bool | None) -> Defbool:
        if value is None:
            return cls.DEFAULT
        return cls.TRUE if value else cls.FALSE

    def is_default(self) -> bool:
        return self is Defbool.DEFAULT

    def val(self, default: bool) -> bool:
        """libxl_defbool_val with a fallback for the unset case."""
        if self is Defbool.DEFAULT:
            return default
        return self is Defbool.TRUE


class Bitmap(Record):
    """libxl_bitmap; JSON is the list of set bit indices."""

    bits: frozenset[int] = frozenset()

    @classmethod
    def of(cls, bits: object) -> Bitmap:
        return cls(frozenset(int(b) for b in bits))  # type: ignore[attr-defined]

    def __bool__(self) -> bool:
        return bool(self.bits)

    def to_json(self) -> list[int]:
        return sorted(self.bits)

    def ranges(self) -> str:
        """The bits as a range list, ``0-3,5`` (xl's cpus= and libvirt's cpuset)."""
        runs: list[tuple[int, int]] = []
        for n in sorted(self.bits):
            if runs and runs[-1][1] == n - 1:
                runs[-1] = (runs[-1][0], n)
            else:
                runs.append((n, n))
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class KeyValueList(Record):
    """libxl_key_value_list; JSON object, insertion order kept."""

    items: tuple[tuple[str, str | None], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)


class CpuidPolicy(Record):
    """libxl_cpuid_policy_list as xl builds it from ``cpuid=``.

    ``entries``: (leaf, subleaf or None, ((register, 32-char mask), ...));
    JSON: {"cpuid": [...], "msr": [...]} the way libxl prints it.
    """

    entries: tuple[tuple[int, int | None, tuple[tuple[str, str], ...]], ...] = ()
    msrs: tuple[tuple[int, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries) or bool(self.msrs)
