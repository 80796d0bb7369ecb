"""vif ``rate=`` specs: ``RATE[@INTERVAL]`` as libxlutil's xlu_vif_parse_rate.

    RATE     := digits [G|M|K] (B|b) "/s"      b = bits (divided by 8)
    INTERVAL := digits [m|u] [s]               default unit s; default 50ms

Digits are read by strtoull base 0 (a leading 0 means octal, as in xl).
Result: (rate_bytes_per_interval, rate_interval_usecs).
"""

from __future__ import annotations

import re

from xl_py.settings._spec import SpecSite, strtoul

UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
DEFAULT_INTERVAL_USECS = 50_000
_RATE_RE = re.compile(r"[0-9]+[GMK]?[Bb]/s")
_INTERVAL_RE = re.compile(r"[0-9]+[mu]?s?")
_SCALE = {"G": 1000**3, "M": 1000**2, "K": 1000}
_INTERVAL_SCALE = {"s": 1000**2, "": 1000**2, "m": 1000, "u": 1}
RATE_FORM = "RATE[@INTERVAL], e.g. 10Mb/s@20ms (units B or b per s, with G/M/K)"


def parse_rate(spec: str, where: SpecSite | None = None) -> tuple[int, int]:
    site = (where or SpecSite.standalone(spec, "rate")).named("vif rate")
    at = spec.find("@")
    rate = spec if at < 0 else spec[:at]
    if not rate:
        raise site.error("no rate specified", 0, len(spec), expected=RATE_FORM)
    per_sec = _bytes_per_sec(rate, site)
    usecs = DEFAULT_INTERVAL_USECS
    if at >= 0:
        usecs = _interval_usecs(spec[at + 1:], site.shifted(at + 1))
    if usecs and per_sec > UINT64_MAX // usecs:
        raise site.error("rate overflow", 0, len(spec), expected=RATE_FORM)
    return per_sec * usecs // 1_000_000, usecs


def _bytes_per_sec(text: str, site: SpecSite) -> int:
    if _RATE_RE.fullmatch(text) is None:
        raise site.error(f"invalid rate '{text}'", 0, len(text), expected=RATE_FORM)
    value, used = strtoul(text, 0)
    if value == 0:
        raise site.error(f"rate '{text}' reads as zero", 0, len(text),
                         expected="a number from 1 to 4294967295",
                         hint="a leading 0 makes the number octal, as in C")
    if value > UINT32_MAX:
        raise site.error(f"rate overflow in '{text}'", 0, len(text),
                         expected="a number from 1 to 4294967295")
    unit = text[used:]
    value *= _SCALE.get(unit[:1], 1)
    if unit[:1] == "b" or unit[1:2] == "b":
        value //= 8
    return value


def _interval_usecs(text: str, site: SpecSite) -> int:
    if _INTERVAL_RE.fullmatch(text) is None:
        raise site.error(f"invalid replenishment interval '{text}'", 0, len(text),
                         expected="digits with an optional unit: s, ms or us")
    value, used = strtoul(text, 0)
    if value == 0:
        raise site.error(f"replenishment interval '{text}' reads as zero", 0, len(text),
                         expected="a number from 1 to 4294967295 with s, ms or us",
                         hint="a leading 0 makes the number octal, as in C")
    if value > UINT32_MAX:
        raise site.error(f"replenishment interval overflow in '{text}'", 0, len(text),
                         expected="a number from 1 to 4294967295 with s, ms or us")
    value *= _INTERVAL_SCALE.get(text[used:used + 1], 1)
    if value > UINT32_MAX:
        raise site.error(f"replenishment interval overflow in '{text}'", 0, len(text),
                         expected="at most 4294967295 microseconds")
    return value
