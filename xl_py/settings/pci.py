"""PCI passthrough specs (xl-pci-configuration(5)) and the ``rdm=`` spec.

Grammar, as libxlutil's ``xlu_pci_parse_spec_string`` reads it::

    spec := [bdf ["@" vslot] ","] key=value ("," key=value)*
    bdf  := [DDDD:]BB:DD.(F | "*")        hex; F <= 7, DD <= 1f, BB <= ff
    key  := bdf | vslot | permissive | msitranslate | seize | power_mgmt
            | rdm_policy | name            (exactly one of bdf / name)

``rdm`` := ``strategy=host`` / ``policy=strict|relaxed`` pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xl_py._record import Record, replace
from xl_py.errors import ConfigValueError
from xl_py.model.devices import (
    PCI_FUNC_ALL,
    DevicePci,
    RdmReserve,
    RdmReservePolicy,
    RdmReserveStrategy,
)
from xl_py.settings._spec import SpecSite, Token, atoi, did_you_mean, strtoul

BDF_FORM = "[DDDD:]BB:DD.F or [DDDD:]BB:DD.* (hex)"
RDM_POLICIES = {"strict": RdmReservePolicy.STRICT, "relaxed": RdmReservePolicy.RELAXED,
                "invalid": RdmReservePolicy.INVALID}


class _Bad(Exception):
    """A positioned complaint inside the pci spec: (message, start, end)."""

    def __init__(self, message: str, start: int, end: int, expected: str | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.start, self.end, self.expected, self.hint = start, end, expected, hint


def _scan_hex(text: str, pos: int) -> tuple[int, int] | None:
    """sscanf ``%x`` at pos: (value as unsigned int, new pos) or None."""
    value, used = strtoul(text[pos:], 16)
    if used == 0:
        return None
    end = pos + used
    # unlike strtoul, scanf also swallows the "x" of a "0x" without hex digits
    if text[end:end + 1] in ("x", "X") and text[pos:end].strip().lstrip("+-") == "0":
        end += 1
    return value & 0xFFFFFFFF, end


def _expect(text: str, pos: int, char: str) -> int | None:
    return pos + 1 if text[pos:pos + 1] == char else None


def parse_bdf(text: str, base: int = 0) -> tuple[dict[str, int], int]:
    """``[DDDD:]BB:DD.F`` -> (fields, end offset); raises :class:`_Bad`."""
    run = 0
    while run < len(text) and (text[run] in "0123456789abcdefABCDEF:"):
        run += 1
    colons = text[:run].count(":")
    if colons not in (1, 2):
        raise _Bad(f"'{text}' is not a PCI address", base, base + max(run, 1), BDF_FORM)
    numbers: list[int] = []
    pos: int | None = 0
    for index in range(colons + 1):
        got = _scan_hex(text, pos) if pos is not None else None
        if got is None:
            raise _Bad(f"'{text}' is not a PCI address", base, base + max(run, 1), BDF_FORM)
        value, pos = got
        numbers.append(value)
        pos = _expect(text, pos, ":" if index < colons else ".")
    if pos is None:
        raise _Bad(f"'{text}' is not a PCI address", base, base + max(run, 1), BDF_FORM)
    domain, bus, dev = ([0, *numbers] if colons == 1 else numbers)
    for label, value, limit in (("domain", domain, 0xFFFF), ("bus", bus, 0xFF),
                                ("device", dev, 0x1F)):
        if value > limit:
            raise _Bad(f"PCI {label} {value:#x} is out of range (max {limit:#x})",
                       base, base + pos, BDF_FORM)
    fields = {"domain": domain, "bus": bus, "dev": dev}
    if text[pos:pos + 1] == "*":
        fields.update(func=0, vfunc_mask=PCI_FUNC_ALL)
        return fields, pos + 1
    got = _scan_hex(text, pos)
    if got is None or got[0] > 7:
        raise _Bad("PCI function must be 0-7 or '*'", base + pos, base + pos + 1, BDF_FORM)
    fields.update(func=got[0], vfunc_mask=1)
    return fields, got[1]


def parse_vslot(text: str, base: int = 0) -> tuple[int, int]:
    """``vslot`` (hex <= 1f) -> (vdevfn, end offset)."""
    got = _scan_hex(text, 0)
    if got is None or got[0] > 0x1F:
        raise _Bad(f"invalid virtual slot '{text}'", base, base + max(1, len(text)),
                   "a hex slot number 0-1f")
    return got[0] << 3, got[1]


def _flag(name: str) -> Callable[[Token, dict[str, Any]], None]:
    def handle(value: Token, fields: dict[str, Any]) -> None:
        fields[name] = atoi(value.text) != 0
    return handle


def _bdf_option(value: Token, fields: dict[str, Any]) -> None:
    got, _ = parse_bdf(value.text, value.start)
    fields.update(got)
    fields["_bdf"] = True


def _vslot_option(value: Token, fields: dict[str, Any]) -> None:
    fields["vdevfn"], _ = parse_vslot(value.text, value.start)


def _rdm_policy_option(value: Token, fields: dict[str, Any]) -> None:
    policy = RDM_POLICIES.get(value.text.lower())
    if policy is None:
        raise _Bad(f"unknown rdm_policy '{value.text}'", value.start, value.end,
                   "strict | relaxed")
    fields["rdm_policy"] = policy


def _name_option(value: Token, fields: dict[str, Any]) -> None:
    fields["name"] = value.text
    fields["_name"] = True


class PciOption(Record):
    name: str
    handle: Callable[[Token, dict[str, Any]], None]


PCI_OPTIONS = {row.name: row for row in (
    PciOption("bdf", _bdf_option),
    PciOption("vslot", _vslot_option),
    PciOption("permissive", _flag("permissive")),
    PciOption("msitranslate", _flag("msitranslate")),
    PciOption("seize", _flag("seize")),
    PciOption("power_mgmt", _flag("power_mgmt")),
    PciOption("rdm_policy", _rdm_policy_option),
    PciOption("name", _name_option),
)}


_NO_DEFAULTS = DevicePci()


def parse_pci(spec: str, where: SpecSite | None = None,
              defaults: DevicePci | Mapping[str, Any] = _NO_DEFAULTS) -> DevicePci:
    """One ``pci=[...]`` item -> libxl_device_pci.  ``defaults`` carries the
    pci_* top-level settings xl copies into every device first (a DevicePci,
    or its non-default fields as a mapping)."""
    site = (where or SpecSite.standalone(spec, "pci")).named("pci")
    try:
        fields = _parse_pci_fields(spec)
    except _Bad as bad:
        raise site.error(bad.args[0], bad.start, bad.end, expected=bad.expected,
                         hint=bad.hint) from None
    has_bdf, has_name = fields.pop("_bdf", False), fields.pop("_name", False)
    if has_bdf == has_name:
        message = ("both a PCI address and name= given" if has_bdf
                   else "no PCI address (BDF) or name= given")
        raise site.error(message, 0, len(spec),
                         expected=f"exactly one of {BDF_FORM} / bdf= and name=")
    if isinstance(defaults, DevicePci):
        return replace(defaults, **fields)
    return DevicePci(**{**defaults, **fields})


def _parse_pci_fields(spec: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    pos = 0
    try:
        got, pos = parse_bdf(spec)
    except _Bad:
        if "=" not in spec.split(",", 1)[0]:
            raise
        pos = 0
    else:
        fields.update(got, _bdf=True)
        if spec[pos:pos + 1] == "@":
            fields["vdevfn"], used = parse_vslot(spec[pos + 1:], pos + 1)
            pos += 1 + used
        if spec[pos:pos + 1] == ",":
            pos += 1
        elif pos < len(spec):
            raise _Bad(f"unexpected '{spec[pos:]}' after the PCI address", pos, len(spec),
                       "'@VSLOT' or ',key=value'")
    while pos < len(spec):
        equals = spec.find("=", pos)
        if equals < 0:
            raise _Bad(f"'{spec[pos:]}' is not key=value", pos, len(spec),
                       "key=value: " + ", ".join(PCI_OPTIONS))
        comma = spec.find(",", equals)
        comma = len(spec) if comma < 0 else comma
        key = Token(spec[pos:equals], pos)
        value = Token(spec[equals + 1:comma], equals + 1)
        option = PCI_OPTIONS.get(key.text)
        if option is None:
            raise _Bad(f"unknown option '{key.text}'", key.start, key.end,
                       ", ".join(PCI_OPTIONS), did_you_mean(key.text, PCI_OPTIONS))
        option.handle(value, fields)
        pos = comma + 1 if comma < len(spec) else comma
    return fields


def parse_rdm(spec: str, where: SpecSite | None = None) -> RdmReserve | None:
    """``rdm="strategy=host,policy=relaxed"`` as Xen 4.17's xl applies it.

    xl ignores the whole setting when libxlutil reports an error, and 4.17's
    ``xlu_rdm_parse`` inverts its policy check: a *valid* policy is an error
    (so the setting is dropped) and an unknown one is skipped, leaving the
    policy uninitialised (xl_py: INVALID, xl's JSON: null).  We reproduce the
    rest and say so in warnings; a None result means "xl ignores rdm=".
    """
    site = (where or SpecSite.standalone(spec, "rdm")).named("rdm")
    strategy = RdmReserveStrategy.IGNORE
    pos = 0
    for part in spec.split(","):
        tok = Token(part, pos)
        pos += len(part) + 1
        pair = tok.split_pair("=")
        if pair is None:
            site.warn(f"'{tok.text}' is not key=value; xl ignores the whole rdm setting",
                      tok.start, tok.end, expected="strategy=host, policy=strict|relaxed")
            return None
        key, value = pair
        if key.text == "strategy":
            if value.text != "host":
                site.warn(f"unknown strategy '{value.text}'; xl ignores the whole rdm "
                          "setting", value.start, value.end, expected="host")
                return None
            strategy = RdmReserveStrategy.HOST
        elif key.text == "policy":
            if value.text.lower() in RDM_POLICIES:
                site.warn("xl 4.17 drops the whole rdm setting when it names a valid "
                          "policy (libxlutil bug); set rdm_policy= on each pci device",
                          value.start, value.end)
                return None
            site.warn(f"unknown policy '{value.text}' is ignored", value.start, value.end,
                      expected="strict | relaxed")
        else:
            site.warn(f"unknown rdm option '{key.text}'; xl ignores the whole rdm setting",
                      key.start, key.end, expected="strategy=, policy=")
            return None
    site.warn("xl 4.17 leaves the rdm policy uninitialised here (its dry run prints null, "
              "xl_py keeps 'invalid') and copies it into every pci device", 0, len(spec),
              hint="give each pci device its own rdm_policy=")
    return RdmReserve(strategy=strategy)


__all__ = ["ConfigValueError", "parse_bdf", "parse_pci", "parse_rdm", "parse_vslot"]
