"""vdispl specs: ``backend=DOM,be-alloc=0|1,connectors=ID:WxH;ID:WxH``."""

from __future__ import annotations

import re

from xl_py.model.devices import ConnectorParam, DeviceVdispl
from xl_py.settings._spec import SpecSite, Token, did_you_mean, strtok, strtoul

# sscanf "%ux%u": blanks, a sign (a negative number wraps), strtoul's overflow
_RESOLUTION = re.compile(r"\s*([+-]?\d+)x\s*([+-]?\d+)")
_NUMBER = re.compile(r"\s*[+-]?\d")
KEYS = "backend=, be-alloc=, connectors="


def _connectors(value: Token, site: SpecSite) -> tuple[ConnectorParam, ...]:
    """``ID:WxH;ID:WxH``.  When a resolution has no number at all, xl 4.17
    reports it but carries on (a bug): that connector and every later one
    keep 0x0 and the later ones lose their ids.  We do the same and warn."""
    items = strtok(value.text, ";", skip_blanks=False)
    result = [ConnectorParam() for _ in items]
    for index, item in enumerate(items):
        parts = strtok(item.text, ":", skip_blanks=False)
        where = Token(item.text, value.start + item.start)
        if len(parts) < 2:
            raise site.error(f"connector '{item.text}' has no resolution", where.start,
                             where.end, expected="ID:WIDTHxHEIGHT, e.g. c0:1920x1080")
        result[index] = ConnectorParam(unique_id=parts[0].text)
        m = _RESOLUTION.match(parts[1].text)
        if m is None:
            if _NUMBER.match(parts[1].text):
                raise site.error(f"can't parse connector resolution '{parts[1].text}'",
                                 where.start, where.end, expected="WIDTHxHEIGHT, e.g. 1920x1080")
            site.warn(f"can't parse connector resolution '{parts[1].text}': xl keeps this "
                      "connector and the ones after it at 0x0", where.start, where.end,
                      expected="WIDTHxHEIGHT, e.g. 1920x1080")
            break
        width, height = (strtoul(g, 10)[0] & 0xFFFFFFFF for g in m.groups())
        result[index] = ConnectorParam(unique_id=parts[0].text, width=width, height=height)
    return tuple(result)


def parse_vdispl(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceVdispl:
    """One ``vdispl=[...]`` item -> libxl_device_vdispl."""
    site = (where or SpecSite.standalone(spec, "vdispl")).named("vdispl")
    backend: str | None = None
    be_alloc = False
    connectors: tuple[ConnectorParam, ...] = ()
    for tok in strtok(spec):
        pair = tok.split_pair("=")
        key = tok.text if pair is None else pair[0].text
        if pair is None or key not in ("backend", "be-alloc", "connectors"):
            bad = tok if pair is None else pair[0]
            raise site.error(f"unknown option '{bad.text}'", bad.start, bad.end,
                             expected=KEYS,
                             hint=did_you_mean(bad.text, ("backend", "be-alloc", "connectors")))
        value = pair[1]
        if key == "backend":
            backend = value.text
        elif key == "be-alloc":
            be_alloc = strtoul(value.text, 0)[0] != 0
        else:
            connectors = _connectors(value, site)
    if not connectors:
        raise site.error("at least one connector must be given", 0, len(spec),
                         expected="connectors=ID:WIDTHxHEIGHT[;...]")
    return DeviceVdispl(backend_domname=backend, devid=devid, be_alloc=be_alloc,
                        connectors=connectors)
