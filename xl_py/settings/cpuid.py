"""``cpuid=`` in its two forms, as libxl 4.17 reads them.

libxl form, a string::    cpuid = "host,tm=0,sse3=0,family=6"
    first word "host", then NAME=VALUE; VALUE is a number (written in
    binary into the field) or one of x (default), k (keep host), s (same as
    k), 0/1 for single bits.  NAME is a field of :data:`FIELDS` or a feature
    of :mod:`xl_py.settings.cpuid_features`.
xend form, a list::       cpuid = [ "0x1:ecx=xxxxxxxx...,edx=...", "7,0:ebx=..." ]
    LEAF[,SUBLEAF]:REG=32 characters of 0 1 x k s, ... per register.

xl reports a bad item and carries on; so do we, as positioned warnings.
"""

from __future__ import annotations

from typing import Any

from xl_py._record import Record, field
from xl_py.errors import Diagnostic, Source
from xl_py.model._base import CpuidPolicy
from xl_py.settings._spec import SpecSite, Token, strtok, strtoul
from xl_py.settings.cpuid_features import FEATURES
from xl_py.syntax.document import Atom, ListValue

UNUSED = 0xFFFFFFFF
REGS = ("eax", "ebx", "ecx", "edx")
NA = None


class Field(Record):
    """A named bit field: leaf, subleaf (None = unused), register, bit, length."""

    leaf: int
    subleaf: int | None
    reg: str
    bit: int
    length: int


# libxl_cpuid.c's cpuid_flags[]: the named fields beyond the feature bits.
FIELDS: dict[str, Field] = {
    "maxleaf": Field(0x0, NA, "eax", 0, 32),
    "stepping": Field(0x1, NA, "eax", 0, 4),
    "model": Field(0x1, NA, "eax", 4, 8),
    "family": Field(0x1, NA, "eax", 8, 8),
    "brandid": Field(0x1, NA, "ebx", 0, 8),
    "clflush": Field(0x1, NA, "ebx", 8, 8),
    "proccount": Field(0x1, NA, "ebx", 16, 8),
    "localapicid": Field(0x1, NA, "ebx", 24, 8),
    "est": Field(0x1, NA, "ecx", 7, 1),
    "cntxid": Field(0x1, NA, "ecx", 10, 1),
    "cmpxchg16": Field(0x1, NA, "ecx", 13, 1),
    "sse4_1": Field(0x1, NA, "ecx", 19, 1),
    "sse4.1": Field(0x1, NA, "ecx", 19, 1),
    "sse4_2": Field(0x1, NA, "ecx", 20, 1),
    "sse4.2": Field(0x1, NA, "ecx", 20, 1),
    "aes": Field(0x1, NA, "ecx", 25, 1),
    "cmpxchg8": Field(0x1, NA, "edx", 8, 1),
    "sysenter": Field(0x1, NA, "edx", 11, 1),
    "psn": Field(0x1, NA, "edx", 18, 1),
    "clfsh": Field(0x1, NA, "edx", 19, 1),
    "tm": Field(0x1, NA, "edx", 29, 1),
    "ia64": Field(0x1, NA, "edx", 30, 1),
    "pbe": Field(0x1, NA, "edx", 31, 1),
    "arat": Field(0x6, NA, "eax", 2, 1),
    "tsc_adjust": Field(0x7, 0, "ebx", 1, 1),
    "cmt": Field(0x7, 0, "ebx", 12, 1),
    "lahfsahf": Field(0x80000001, NA, "ecx", 0, 1),
    "cmplegacy": Field(0x80000001, NA, "ecx", 1, 1),
    "altmovcr8": Field(0x80000001, NA, "ecx", 4, 1),
    "nodeid": Field(0x80000001, NA, "ecx", 19, 1),
    "perfctr_core": Field(0x80000001, NA, "ecx", 23, 1),
    "perfctr_nb": Field(0x80000001, NA, "ecx", 24, 1),
    "procpkg": Field(0x4, 0, "eax", 26, 6),
    "invtsc": Field(0x80000007, NA, "edx", 8, 1),
    "ppin": Field(0x80000008, NA, "ebx", 23, 1),
    "btc-no": Field(0x80000008, NA, "ebx", 29, 1),
    "nc": Field(0x80000008, NA, "ecx", 0, 8),
    "apicidsize": Field(0x80000008, NA, "ecx", 12, 4),
    "svm_npt": Field(0x8000000A, NA, "edx", 0, 1),
    "svm_lbrv": Field(0x8000000A, NA, "edx", 1, 1),
    "svm_nrips": Field(0x8000000A, NA, "edx", 3, 1),
    "svm_tscrate": Field(0x8000000A, NA, "edx", 4, 1),
    "svm_vmcbclean": Field(0x8000000A, NA, "edx", 5, 1),
    "svm_decode": Field(0x8000000A, NA, "edx", 7, 1),
    "svm_pausefilt": Field(0x8000000A, NA, "edx", 10, 1),
    "lfence+": Field(0x80000021, NA, "eax", 2, 1),
    "maxhvleaf": Field(0x40000000, NA, "eax", 0, 8),
}

# Featureset word -> where its 32 bits live: ("cpuid", leaf, subleaf, reg)
# or ("msr", index, register half).
WORDS: tuple[tuple[Any, ...], ...] = (
    ("cpuid", 0x1, NA, "edx"), ("cpuid", 0x1, NA, "ecx"),
    ("cpuid", 0x80000001, NA, "edx"), ("cpuid", 0x80000001, NA, "ecx"),
    ("cpuid", 0xD, 1, "eax"), ("cpuid", 0x7, 0, "ebx"), ("cpuid", 0x7, 0, "ecx"),
    ("cpuid", 0x80000007, NA, "edx"), ("cpuid", 0x80000008, NA, "ebx"),
    ("cpuid", 0x7, 0, "edx"), ("cpuid", 0x7, 1, "eax"), ("cpuid", 0x80000021, NA, "eax"),
    ("cpuid", 0x7, 1, "ebx"), ("cpuid", 0x7, 2, "edx"), ("cpuid", 0x7, 1, "ecx"),
    ("cpuid", 0x7, 1, "edx"), ("msr", 0x10A, "eax"), ("msr", 0x10A, "edx"),
)


class _Policy(Record, frozen=False):
    """The policy being built, in libxl's insertion order."""

    cpuid: dict[tuple[int, int | None], dict[str, str]] = field(default_factory=dict)
    msr: dict[int, list[str]] = field(default_factory=dict)

    def entry(self, leaf: int, subleaf: int | None) -> dict[str, str]:
        return self.cpuid.setdefault((leaf, subleaf), {})

    def freeze(self) -> CpuidPolicy:
        # libxl's list ends at the first leaf XEN_CPUID_INPUT_UNUSED (~0): an
        # entry for that leaf is invisible and the next new entry takes its slot
        entries = tuple((leaf, sub, tuple((r, regs[r]) for r in REGS if r in regs))
                        for (leaf, sub), regs in self.cpuid.items() if leaf != UNUSED)
        return CpuidPolicy(entries, tuple((i, "".join(p)) for i, p in self.msr.items()))


def _field_bits(name: str, spec: Field, value: Token, site: SpecSite) -> str | None:
    """The new value of a field as ``length`` chars, or None (warned)."""
    number, used = strtoul(value.text, 0)
    if used:
        return "".join("01"[(number >> i) & 1] for i in reversed(range(spec.length)))
    if value.text[:1] in ("x", "k", "s"):
        return value.text[0] * spec.length
    site.warn(f"illegal value '{value.text}' for {name}", value.start, value.end,
              expected="a number, or x (default), k (host), s (same as host)")
    return None


def _set_field(policy: _Policy, name: str, spec: Field, value: Token, site: SpecSite) -> None:
    regs = policy.entry(spec.leaf, spec.subleaf)  # libxl adds the leaf even on error
    bits = _field_bits(name, spec, value, site)
    if bits is None:
        return
    reg = list(regs.get(spec.reg, "x" * 32))
    if name == "family":
        number, used = strtoul(value.text, 0)
        if not used or number < 16:
            reg[28 - spec.bit:32 - spec.bit] = bits[4:8]
            reg[4:12] = "00000000"
        else:
            reg[28 - spec.bit:32 - spec.bit] = "1111"
            ext = number - 15
            reg[4:12] = bits[0] + "".join("01"[(ext >> i) & 1] for i in reversed(range(7)))
    elif name == "model":
        reg[12:16] = bits[0:4]
        reg[28 - spec.bit:32 - spec.bit] = bits[4:8]
    else:
        start = 32 - spec.length - spec.bit
        reg[start:start + spec.length] = bits
    regs[spec.reg] = "".join(reg)


def _set_feature(policy: _Policy, name: str, value: Token, site: SpecSite) -> None:
    word, bit = FEATURES[name]
    where = WORDS[word]
    if where[0] == "cpuid":
        _set_field(policy, name, Field(where[1], where[2], where[3], bit, 1), value, site)
        return
    bits = policy.msr.setdefault(where[1], ["x"] * 64)  # added even on error
    if len(value.text) != 1 or value.text not in "01xks":
        site.warn(f"illegal value '{value.text}' for MSR feature {name}", value.start,
                  value.end, expected="one of 0 1 x k s")
        return
    index = bit + (32 if where[2] == "edx" else 0)
    bits[63 - index] = "k" if value.text == "s" else value.text


def parse_cpuid_string(spec: str, where: SpecSite, policy: _Policy | None = None) -> _Policy:
    """``host,NAME=VALUE,...`` (libxl_cpuid_parse_config per item)."""
    site = where.named("cpuid")
    policy = policy or _Policy()
    words = strtok(spec, ",", skip_blanks=False)
    if not words:
        return policy
    if words[0].text != "host":
        site.warn('the first word must be "host"; xl ignores this cpuid setting',
                  words[0].start, words[0].end, expected='"host,FLAG=VALUE,..."')
        return policy
    for word in words[1:]:
        pair = word.split_pair("=")
        if pair is None:
            site.warn(f"missing '=' in '{word.text}' (ignored)", word.start, word.end,
                      expected="FLAG=VALUE")
            continue
        name, value = pair
        if name.text in FIELDS:
            _set_field(policy, name.text, FIELDS[name.text], value, site)
        elif name.text in FEATURES:
            _set_feature(policy, name.text, value, site)
        else:
            site.warn(f"unknown CPUID flag name '{name.text}' (ignored)", name.start,
                      name.end, expected="a CPUID feature name, e.g. sse3, tm, aes")
    return policy


def parse_cpuid_xend(item: str, where: SpecSite, policy: _Policy) -> None:
    """``LEAF[,SUBLEAF]:REG=32CHARS,...`` (libxl_cpuid_parse_config_xend)."""
    site = where.named("cpuid")
    leaf, used = strtoul(item, 0)
    if not used:
        site.warn("illegal leaf number (item ignored)", 0, len(item),
                  expected="LEAF[,SUBLEAF]:REG=BITS,...")
        return
    pos, subleaf = used, None
    if item[pos:pos + 1] == ",":
        subleaf, more = strtoul(item[pos + 1:], 0)
        if not more:
            site.warn("illegal subleaf number (item ignored)", pos + 1, len(item))
            return
        pos += 1 + more
    if item[pos:pos + 1] != ":":
        site.warn("missing colon after the leaf (item ignored)", pos, pos + 1,
                  expected="LEAF[,SUBLEAF]:REG=BITS,...")
        return
    regs = policy.entry(leaf & 0xFFFFFFFF, None if subleaf is None else subleaf & 0xFFFFFFFF)
    _xend_registers(item, pos + 1, regs, site)


def _xend_registers(item: str, pos: int, regs: dict[str, str], site: SpecSite) -> None:
    while pos < len(item):
        name = item[pos:pos + 3]
        equals = item.find("=", pos)
        if name not in REGS or equals < 0:
            site.warn("invalid register name (rest of the item ignored)", pos, len(item),
                      expected="eax= ebx= ecx= edx=")
            return
        end = item.find(",", equals + 1)
        end = len(item) if end < 0 else end
        if end - equals - 1 != 32:
            site.warn("a register policy must be exactly 32 characters (rest ignored)",
                      equals + 1, end, expected="32 of 0 1 x k s")
            return
        regs[name] = item[equals + 1:end]
        if end == len(item):
            return
        pos = end + 1
        while pos < len(item) and item[pos] in " \n":
            pos += 1


def parse_cpuid(value: Atom | ListValue, source: Source | None,
                warnings: list[Diagnostic]) -> CpuidPolicy:
    """A ``cpuid`` value (either form) -> CpuidPolicy; problems as warnings."""
    policy = _Policy()
    if isinstance(value, Atom):
        start = value.span[0] + (1 if value.quoted else 0)
        parse_cpuid_string(value.text, SpecSite(source, start, "cpuid", warnings), policy)
        return policy.freeze()
    for item in value.items:
        if isinstance(item, ListValue):
            break
        start = item.span[0] + (1 if item.quoted else 0)
        parse_cpuid_xend(item.text, SpecSite(source, start, "cpuid", warnings), policy)
    return policy.freeze()


def parse_cpuid_config(cur: Any, key: Any) -> None:
    """Hook for settings.domain_rules.rule_cpuid."""
    value = cur.value("cpuid")
    if value is None:
        return
    policy = parse_cpuid(value, cur.source, cur.warnings)
    if policy:
        cur.set("b.cpuid", policy)
