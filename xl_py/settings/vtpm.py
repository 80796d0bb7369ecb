"""vtpm, p9 and pvcalls specs: ``key=value`` items split on ','.

xl stops reading an item at the first word without '=' (we warn); unknown
keys are errors.  vtpm needs backend=; p9 needs tag=, path= and
security_model=.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from xl_py.model.devices import DeviceP9, DevicePvcallsif, DeviceVtpm
from xl_py.settings._spec import SpecSite, Token, did_you_mean, strtok

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}")


def _check_uuid(value: Token, site: SpecSite) -> None:
    if _UUID.fullmatch(value.text) is None:
        raise site.error(f"invalid uuid '{value.text}'", value.start, value.end,
                         expected="xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex)")


def _pairs(spec: str, keys: tuple[str, ...], site: SpecSite,
           checks: dict[str, Callable[[Token, SpecSite], None]] | None = None,
           ) -> dict[str, Token]:
    """key=value items until the first item without '=' (as xl's loops);
    ``checks`` validate a key's value where it appears (as xl does)."""
    found: dict[str, Token] = {}
    for tok in strtok(spec):
        pair = tok.split_pair("=")
        if pair is None:
            site.warn(f"'{tok.text}' is not key=value; xl ignores it and the rest of "
                      "the spec", tok.start, len(spec))
            break
        key, value = pair
        if key.text not in keys:
            raise site.error(f"unknown option '{key.text}'", key.start, key.end,
                             expected=", ".join(k + "=" for k in keys),
                             hint=did_you_mean(key.text, keys))
        if checks and key.text in checks:
            checks[key.text](value, site)
        found[key.text] = value
    return found


def parse_vtpm(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceVtpm:
    """One ``vtpm=[...]`` item: ``backend=DOM[,uuid=UUID]``."""
    site = (where or SpecSite.standalone(spec, "vtpm")).named("vtpm")
    found = _pairs(spec, ("backend", "uuid"), site, {"uuid": _check_uuid})
    uuid = found.get("uuid")
    if "backend" not in found:
        raise site.error("missing required backend=", 0, len(spec),
                         expected="backend=DOMAIN[,uuid=UUID]")
    return DeviceVtpm(backend_domname=found["backend"].text, devid=devid,
                      uuid=None if uuid is None else uuid.text.lower())


def parse_p9(spec: str, where: SpecSite | None = None,
             carry: dict[str, str] | None = None) -> DeviceP9:
    """One ``p9=[...]`` item: ``tag=,path=,security_model=[,backend=]``.

    xl 4.17 keeps these values from one p9 item to the next (its variables
    live outside the loop): pass the same ``carry`` dict for every item of a
    list to get that; an inherited value is reported as a warning."""
    site = (where or SpecSite.standalone(spec, "p9")).named("p9")
    found = {k: v.text for k, v in _pairs(spec, ("security_model", "path", "tag", "backend"),
                                          site).items()}
    if carry is not None:
        inherited = sorted(k for k in carry if k not in found)
        if inherited:
            site.warn("xl reuses " + ", ".join(k + "=" for k in inherited) + " of an "
                      "earlier p9 item here", 0, len(spec),
                      hint="give every p9 item all its keys")
        found = {**carry, **found}
        carry.update(found)
    missing = [k for k in ("tag", "path", "security_model") if k not in found]
    if missing:
        raise site.error("missing required " + ", ".join(k + "=" for k in missing), 0,
                         len(spec), expected="tag=TAG,path=PATH,security_model=none")
    return DeviceP9(backend_domname=found.get("backend"), tag=found["tag"],
                    path=found["path"], security_model=found["security_model"])


def parse_pvcalls(spec: str, where: SpecSite | None = None, devid: int = -1
                  ) -> DevicePvcallsif:
    """One ``pvcalls=[...]`` item: ``[backend=DOM]``."""
    site = (where or SpecSite.standalone(spec, "pvcalls")).named("pvcalls")
    found = _pairs(spec, ("backend",), site)
    backend = found.get("backend")
    return DevicePvcallsif(backend_domname=None if backend is None else backend.text,
                           devid=devid)
