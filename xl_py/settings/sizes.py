"""Memory sizes as xl reads them on its command line (``mem-set``,
``mem-max``, ...): xl_parse.c's ``parse_mem_size_kb``.

    SIZE := decimal-integer [unit]      unit: b k m g t (any case); none = m

The result is in KiB (``b`` divides by 1024, rounding down).  One unit
character at most; anything else is an error, and so is a size without
digits (xl reads "" or "m" as 0).
"""

from __future__ import annotations

from xl_py.settings._spec import SpecSite, strtol_parts

SHIFTS = {"t": 30, "g": 20, "m": 10, "": 10, "k": 0}
SIZE_FORM = "a whole number with an optional unit: b, k, m (default), g or t"


def parse_mem_size_kb(text: str, where: SpecSite | None = None) -> int:
    """``"512"``, ``"1g"``, ``"2048k"`` -> KiB; raises ConfigValueError."""
    site = (where or SpecSite.standalone(text, "size")).named("size")
    magnitude, used, negative = strtol_parts(text, 10)
    value = -magnitude if negative else magnitude
    unit = text[used:] if used else text
    if len(unit) > 1 or (unit.lower() not in SHIFTS and unit.lower() != "b"):
        raise site.error(f"'{text}' is not a memory size", 0, len(text), expected=SIZE_FORM)
    if not used:
        # xl reads "", "m" or "k" as 0 KiB: a typo that would shrink a guest
        # to nothing.  xl_py refuses it (docs: differences from xl).
        raise site.error(f"'{text}' has no number", 0, len(text), expected=SIZE_FORM)
    if unit.lower() == "b":
        return value >> 10
    return value << SHIFTS[unit.lower()]
