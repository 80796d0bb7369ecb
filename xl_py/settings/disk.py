"""Disk specs (xl-disk-configuration(5)), read exactly as libxlutil reads them.

libxlutil cuts a disk spec with a flex scanner: at every position the rule
with the *longest* match wins (trailing context counts), ties go to the
earlier rule.  :data:`RULES` is that scanner as a table, one row per rule;
:func:`parse_disk` runs it.  Grammar, in short::

    spec      := item ("," item)*
    item      := key=value | flag | deprecated-prefix: ... | positional
    positional:= target, [format], vdev[:cdrom|:disk], [access]
    target=   eats the rest of the spec, so it comes last

Unlike libxlutil, every problem is positioned inside the spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from xl_py._record import Record, field
from xl_py.errors import ConfigValueError, Diagnostic
from xl_py.model._base import Defbool
from xl_py.model.devices import DeviceDisk, DiskBackend, DiskFormat, DiskSpecification
from xl_py.settings._spec import SpecSite, Token, did_you_mean

FORMATS = {"": DiskFormat.RAW, "raw": DiskFormat.RAW, "qcow": DiskFormat.QCOW,
           "qcow2": DiskFormat.QCOW2, "vhd": DiskFormat.VHD, "empty": DiskFormat.EMPTY,
           "qed": DiskFormat.QED}
BACKENDS = {"phy": DiskBackend.PHY, "tap": DiskBackend.TAP, "qdisk": DiskBackend.QDISK,
            "standalone": DiskBackend.STANDALONE}
SPECIFICATIONS = {"xen": DiskSpecification.XEN, "virtio": DiskSpecification.VIRTIO}
ACCESS = {"r": 0, "ro": 0, "rw": 1, "w": 1, "": 1}
DEVTYPES = {"cdrom": 1, "disk": 0}


class _Scan(Record, frozen=False):
    """State of one scan: the fields built so far, the spec, its site."""

    spec: str
    site: SpecSite
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[Diagnostic] = field(default_factory=list)
    had_depr_prefix: bool = False
    access_set: bool = False

    def err(self, message: str, tok: Token, expected: str | None = None,
            hint: str | None = None) -> None:
        self.errors.append(self.site.diagnostic("error", message, tok.start, tok.end,
                                                expected, hint))

    def get(self, name: str) -> Any:
        return self.fields.get(name, getattr(_DEFAULT, name))


_DEFAULT = DeviceDisk()

Action = Callable[[_Scan, Token], bool]  # returns False to stop scanning


def _strip(tok: Token, delim: str = ",") -> Token:
    """STRIP(delim): drop one trailing delimiter."""
    return Token(tok.text[:-1], tok.start) if tok.text.endswith(delim) else tok


def _value(tok: Token) -> Token:
    """The part after the first '=' (FROMEQUALS), trailing comma dropped."""
    tok = _strip(tok)
    pair = tok.split_pair("=")
    assert pair is not None
    return pair[1]


def _set_enum(scan: _Scan, name: str, table: dict[str, Any], tok: Token, label: str) -> None:
    """DSET: set an enum, refusing a different earlier value."""
    if tok.text not in table:
        scan.err(f"unknown value for {label} '{tok.text}'", tok,
                 expected=" | ".join(k for k in table if k))
        return
    new, old = table[tok.text], scan.get(name)
    if old.value != "unknown" and old is not new:
        scan.err(f"{label} respecified ('{old.value}' earlier, now '{tok.text}')", tok)
        return
    scan.fields[name] = new


def _save(scan: _Scan, name: str, label: str, tok: Token) -> None:
    """savestring: a string may be set once (an empty one may be replaced)."""
    old = scan.fields.get(name)
    if old:
        scan.err(f"{label} respecified ('{old}' earlier, now '{tok.text}')", tok)
        return
    scan.fields[name] = tok.text


def _ignore(scan: _Scan, tok: Token) -> bool:
    return True


def _string(name: str, label: str) -> Action:
    def act(scan: _Scan, tok: Token) -> bool:
        _save(scan, name, label, _value(tok))
        return True
    return act


def _enum(name: str, table: dict[str, Any], label: str) -> Action:
    def act(scan: _Scan, tok: Token) -> bool:
        _set_enum(scan, name, table, _value(tok), label)
        return True
    return act


def _const(name: str, value: object) -> Action:
    def act(scan: _Scan, tok: Token) -> bool:
        scan.fields[name] = value
        return True
    return act


def _access(scan: _Scan, tok: Token) -> bool:
    value = _value(tok)
    _set_access(scan, value)
    return True


def _set_access(scan: _Scan, tok: Token) -> None:
    if tok.text not in ACCESS:
        scan.err(f"unknown value for access '{tok.text}'", tok, expected="r | ro | w | rw")
        return
    scan.fields["readwrite"] = ACCESS[tok.text]


def _bad_devtype(scan: _Scan, tok: Token) -> bool:
    value = _value(tok)
    scan.err(f"unknown value for devtype '{value.text}'", value, expected="cdrom | disk")
    return True


def _colo_port(scan: _Scan, tok: Token) -> bool:
    from xl_py.settings._spec import atoi

    value = _value(tok)
    port = atoi(value.text)
    if port:
        scan.fields["colo_port"] = port
    else:
        scan.err(f"unknown value for colo-port '{value.text}'", value,
                 expected="a non-zero port number")
    return True


def _target(scan: _Scan, tok: Token) -> bool:
    _save(scan, "pdev_path", "target", _value(tok))
    return True


def _unknown_param(scan: _Scan, tok: Token) -> bool:
    key = tok.text.split("=", 1)[0]
    scan.err(f"unknown parameter '{key}'", Token(key, tok.start),
             expected=", ".join(KNOWN_PARAMETERS),
             hint=did_you_mean(key, [k.rstrip("=") for k in KNOWN_PARAMETERS]))
    return True


def _format_prefix(scan: _Scan, tok: Token) -> bool:
    scan.had_depr_prefix = True
    _set_enum(scan, "format", FORMATS, _strip(tok, ":"), "format")
    return True


def _script_prefix(scan: _Scan, tok: Token) -> bool:
    scan.had_depr_prefix = True
    name = _strip(tok, ":")
    _save(scan, "script", "script", Token("block-" + name.text, name.start))
    return True


def _plain_prefix(scan: _Scan, tok: Token) -> bool:
    scan.had_depr_prefix = True
    return True


def _unknown_prefix(scan: _Scan, tok: Token) -> bool:
    prefix = Token(tok.text.split(":", 1)[0], tok.start)
    scan.err(f"unknown deprecated disk prefix '{prefix.text}:'", prefix,
             expected="phy: file: tap: tap2: tapdisk: aio: ioemu: raw: qcow: qcow2: vhd: "
                      "iscsi: nbd: enbd: drbd:")
    return False


def _positional(scan: _Scan, tok: Token) -> bool:
    """target, then format (unless a prefix said it), vdev, access."""
    tok = _strip(tok)
    if scan.errors:
        return True
    if "pdev_path" not in scan.fields:
        _save(scan, "pdev_path", "target", tok)
    elif not scan.had_depr_prefix and scan.get("format") is DiskFormat.UNKNOWN:
        if not scan.fields["pdev_path"] and _vdev_and_devtype(scan, tok):
            scan.fields["format"] = DiskFormat.EMPTY
        elif tok.text not in FORMATS:
            scan.err(f"unknown value for format '{tok.text}' (the 2nd positional item is "
                     "the format)", tok, expected=" | ".join(k for k in FORMATS if k),
                     hint="write TARGET,,VDEV,ACCESS (empty format), TARGET,raw,VDEV,ACCESS, "
                          "or phy:TARGET,VDEV,ACCESS")
        else:
            _set_enum(scan, "format", FORMATS, tok, "format")
    elif "vdev" not in scan.fields:
        if not _vdev_and_devtype(scan, tok):
            _save(scan, "vdev", "vdev", tok)
    elif not scan.access_set:
        scan.access_set = True
        _set_access(scan, tok)
    else:
        scan.err(f"too many positional parameters ('{tok.text}')", tok,
                 expected="target, format, vdev, access; then key=value")
        return False
    return True


def _vdev_and_devtype(scan: _Scan, tok: Token) -> bool:
    """``vdev:cdrom`` / ``vdev:disk`` (deprecated; use devtype=)."""
    colon = tok.text.rfind(":")
    if colon < 0:
        return False
    _save(scan, "vdev", "vdev", Token(tok.text[:colon], tok.start))
    kind = Token(tok.text[colon + 1:], tok.start + colon + 1)
    if kind.text in DEVTYPES:
        scan.fields["is_cdrom"] = DEVTYPES[kind.text]
    else:
        scan.err(f"unknown deprecated type '{kind.text}' after vdev", kind,
                 expected="cdrom | disk")
    return True


def _bad_syntax(scan: _Scan, tok: Token) -> bool:
    if tok.end >= len(scan.spec) and len(tok.text.encode()) == 1:
        # libxlutil's error rule needs one more byte after the bad one: a
        # stray last (one-byte) character slips through, so it is only a warning.
        scan.site.warn(f"stray '{tok.text}' at the end is ignored", tok.start, tok.end)
        return True
    rest = Token(scan.spec[tok.start:].split("\n", 1)[0], tok.start)
    scan.err(f"bad disk syntax near '{rest.text}'", rest)
    return False


class Rule(Record):
    """One flex rule: ``pattern`` (yytext) + ``context`` (trailing context)."""

    pattern: str
    action: Action
    context: str = ""

    def compiled(self) -> re.Pattern[str]:
        return re.compile(f"({self.pattern})(?:{self.context})" if self.context
                          else f"({self.pattern})")

    def first_chars(self) -> frozenset[str] | None:
        """The characters a match can start with, None when not a literal."""
        pattern = self.pattern
        if pattern.startswith("(?:") and pattern.find(")") > 0:
            alternatives = pattern[3:pattern.find(")")].split("|")
        else:
            alternatives = [pattern]
        firsts = set()
        for alt in alternatives:
            if not alt[:1].isalpha() or alt[1:2] in ("?", "*", "{"):
                return None
            firsts.add(alt[0])
        return frozenset(firsts)


_P = "[^,]*,?"
RULES: tuple[Rule, ...] = (
    Rule(r"[ \t\n]+", _ignore, r"(?:[^ \t\n].*)?"),
    Rule("format=" + _P, _enum("format", FORMATS, "format")),
    Rule("cdrom,?", _const("is_cdrom", 1)),
    Rule("devtype=cdrom,?", _const("is_cdrom", 1)),
    Rule("devtype=disk,?", _const("is_cdrom", 0)),
    Rule("devtype=" + _P, _bad_devtype),
    Rule("access=" + _P, _access),
    Rule("backend=" + _P, _string("backend_domname", "backend")),
    Rule("backendtype=" + _P, _enum("backend", BACKENDS, "backendtype")),
    Rule("specification=" + _P, _enum("specification", SPECIFICATIONS, "specification")),
    Rule("vdev=" + _P, _string("vdev", "vdev")),
    Rule("script=" + _P, _string("script", "script")),
    Rule("direct-io-safe,?", _const("direct_io_safe", True)),
    Rule("discard,?", _const("discard_enable", Defbool.TRUE)),
    Rule("no-discard,?", _const("discard_enable", Defbool.FALSE)),
    Rule("colo,?", _const("colo_enable", Defbool.TRUE)),
    Rule("no-colo,?", _const("colo_enable", Defbool.FALSE)),
    Rule("colo-host=" + _P, _string("colo_host", "colo-host")),
    Rule("colo-port=" + _P, _colo_port),
    Rule("colo-export=" + _P, _string("colo_export", "colo-export")),
    Rule("active-disk=" + _P, _string("active_disk", "active-disk")),
    Rule("hidden-disk=" + _P, _string("hidden_disk", "hidden-disk")),
    # libxlutil's source lists trusted/untrusted here, but the scanner Xen
    # 4.17 ships (the pre-generated libxlu_disk_l.c) lacks them: they are
    # positional words in the real tool, and so they are here.
    Rule("target=.*", _target),
    Rule("[a-z][-a-z0-9]*=[^,],?", _unknown_param),
    Rule("(?:raw|qcow2?|vhd):", _format_prefix, ".*"),
    Rule("(?:iscsi|e?nbd|drbd):", _script_prefix, ".*"),
    Rule("tapdisk:", _plain_prefix, ".*"),
    Rule("tap2?:", _plain_prefix, ".*"),
    Rule("aio:", _plain_prefix, ".*"),
    Rule("ioemu:", _plain_prefix, ".*"),
    Rule("file:", _plain_prefix, ".*"),
    Rule("phy:", _plain_prefix, ".*"),
    Rule("[a-z][a-z0-9]*:", _unknown_prefix, "(?:[^a-z0-9].*)?"),
    Rule("[^=,]*,|[^=,]+,?", _positional),
    Rule(".", _bad_syntax),
)
_COMPILED = tuple((rule.compiled(), rule.action, rule.first_chars()) for rule in RULES)
_BY_FIRST: dict[str, tuple[tuple[re.Pattern[str], Action], ...]] = {}


def _candidates(char: str) -> tuple[tuple[re.Pattern[str], Action], ...]:
    """The rules that can match at a ``char``, in rule order (cached)."""
    rules = _BY_FIRST.get(char)
    if rules is None:
        rules = tuple((rx, act) for rx, act, firsts in _COMPILED
                      if firsts is None or char in firsts)
        _BY_FIRST[char] = rules
    return rules

KNOWN_PARAMETERS = ("target=", "format=", "vdev=", "access=", "devtype=", "backend=",
                    "backendtype=", "specification=", "script=", "direct-io-safe",
                    "discard", "no-discard", "colo", "no-colo",
                    "colo-host=", "colo-port=", "colo-export=", "active-disk=",
                    "hidden-disk=")


def _scan(scan: _Scan) -> None:
    pos, spec = 0, scan.spec
    while pos < len(spec):
        best: tuple[int, re.Match[str], Action] | None = None
        for rx, action in _candidates(spec[pos]):
            m = rx.match(spec, pos)
            if m is not None and m.end() > pos and (best is None or m.end() > best[0]):
                best = (m.end(), m, action)
        if best is None:  # only a lone newline gets here
            pos += 1
            continue
        _, m, action = best
        tok = Token(m.group(1), pos)
        pos = m.end(1)
        if not action(scan, tok):
            return


def parse_disk(spec: str, where: SpecSite | None = None) -> DeviceDisk:
    """One ``disk=[...]`` item -> libxl_device_disk (as xlu_disk_parse)."""
    return parse_disk_multi((spec,), (where,))


def parse_disk_multi(specs: tuple[str, ...],
                     wheres: tuple[SpecSite | None, ...] | None = None) -> DeviceDisk:
    """Several specs describing one disk (``xl block-attach`` arguments)."""
    fields: dict[str, Any] = {"readwrite": 1}
    site = SpecSite()
    depr, access = False, False  # libxlutil keeps these across the specs
    for index, spec in enumerate(specs):
        site = (wheres[index] if wheres and index < len(wheres) else None) or \
            SpecSite.standalone(spec, "disk")
        site = site.named("disk")
        scan = _Scan(spec, site, fields, had_depr_prefix=depr, access_set=access)
        _scan(scan)
        if scan.errors:
            raise ConfigValueError(scan.errors)
        depr, access = scan.had_depr_prefix, scan.access_set
    return _finish(fields, site, specs[-1] if specs else "")


def _finish(fields: dict[str, Any], site: SpecSite, spec: str) -> DeviceDisk:
    """Defaults libxlutil applies after the scan, then the two checks."""
    if fields.get("format", DiskFormat.UNKNOWN) is DiskFormat.UNKNOWN:
        fields["format"] = DiskFormat.RAW
    if fields.get("is_cdrom"):
        fields["removable"] = 1
        fields["readwrite"] = 0
        if not fields.get("pdev_path"):
            fields["format"] = DiskFormat.EMPTY
    if "vdev" not in fields:
        raise site.error("no vdev specified", 0, len(spec),
                         expected="a virtual device: xvda, hda, sdb ... or vdev=NAME")
    if "pdev_path" not in fields and not fields.get("removable"):
        raise site.error("no target specified (and device not removable)", 0, len(spec),
                         expected="a target path, target=PATH, or devtype=cdrom")
    return DeviceDisk(**fields)
