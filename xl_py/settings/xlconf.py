"""/etc/xen/xl.conf: xl's global settings (same language as xl.cfg).

Only the settings that change what ``create`` builds matter to the core;
see xl.conf(5) and ``parse_global_config`` in Xen 4.17's tools/xl/xl.c.
``XlConf()`` is what xl uses when the file is missing or empty.

xl reads xl.conf leniently (a bad value is a warning and the default stays);
:func:`from_text` does the same and returns the warnings as diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xl_py._record import Record, replace
from xl_py.errors import ConfigValueError, Diagnostic

if TYPE_CHECKING:
    from xl_py.settings.raw import RawDomain

INT_MAX = 2**31 - 1
DEFAULT_PATH = "/etc/xen/xl.conf"


class XlConf(Record):
    autoballoon: str = "auto"  # "on" | "off" | "auto"
    run_hotplug_scripts: bool = True
    lockfile: str = "/var/lock/xl"
    default_vifscript: str | None = None  # vif.default.script (vifscript)
    default_bridge: str | None = None  # vif.default.bridge (defaultbridge)
    default_gatewaydev: str | None = None  # vif.default.gatewaydev
    default_vifbackend: str | None = None  # vif.default.backend
    default_remus_netbufscript: str | None = None  # remus.default.netbufscript
    default_colo_proxy_script: str | None = None  # colo.default.proxyscript
    output_format: str = "json"  # "json" | "sxp"
    blkdev_start: str | None = None
    claim_mode: bool | None = None  # None: xl's default (on)
    max_grant_frames: int | None = None
    max_maptrack_frames: int | None = None
    max_grant_version: int | None = None
    global_vm_affinity_mask: str | None = None  # vm.cpumask
    global_hvm_affinity_mask: str | None = None  # vm.hvm.cpumask
    global_pv_affinity_mask: str | None = None  # vm.pv.cpumask
    domid_policy: str = "xen"  # "xen" | "random"


Apply = Callable[["RawDomain", str, dict[str, Any], list[Diagnostic]], None]


def _string(field: str) -> Apply:
    def apply(raw: RawDomain, key: str, out: dict[str, Any], warns: list[Diagnostic]) -> None:
        text = raw.get_string(key, lenient=True)
        if text is not None:
            out[field] = text
    return apply


def _deprecated_string(field: str, instead: str) -> Apply:
    def apply(raw: RawDomain, key: str, out: dict[str, Any], warns: list[Diagnostic]) -> None:
        text = raw.get_string(key, lenient=True)
        if text is not None:
            warns.append(_warning(raw, key, f"{key}: deprecated", f"use {instead}"))
            out.setdefault(field, text)
    return apply


def _choice(field: str, choices: dict[str, str]) -> Apply:
    def apply(raw: RawDomain, key: str, out: dict[str, Any], warns: list[Diagnostic]) -> None:
        text = raw.get_string(key, lenient=True)
        if text is None:
            return
        if text in choices:
            out[field] = choices[text]
        else:
            warns.append(_warning(raw, key, f"{key}: invalid value {text!r}, ignored",
                                  "one of " + ", ".join(choices)))
    return apply


def _number(field: str, lo: int | None = None, hi: int | None = None,
            as_bool: bool = False) -> Apply:
    def apply(raw: RawDomain, key: str, out: dict[str, Any], warns: list[Diagnostic]) -> None:
        if lo is None or hi is None:
            number = raw.get_long(key, lenient=True)
        else:
            number = raw.get_bounded_long(key, lo, hi, lenient=True)
        if number is not None:
            out[field] = (number != 0) if as_bool else number
    return apply


# one row per xl.conf key xl 4.17 reads, in xl.c's order; deprecated
# spellings come first so that the new key wins when both are given
XLCONF_KEYS: tuple[tuple[str, Apply], ...] = (
    ("autoballoon", _choice("autoballoon", {"on": "on", "1": "on", "off": "off",
                                            "0": "off", "auto": "auto"})),
    ("run_hotplug_scripts", _number("run_hotplug_scripts", as_bool=True)),
    ("lockfile", _string("lockfile")),
    ("vif.default.script", _string("default_vifscript")),
    ("vifscript", _deprecated_string("default_vifscript", "vif.default.script")),
    ("vif.default.bridge", _string("default_bridge")),
    ("defaultbridge", _deprecated_string("default_bridge", "vif.default.bridge")),
    ("vif.default.gatewaydev", _string("default_gatewaydev")),
    ("vif.default.backend", _string("default_vifbackend")),
    ("output_format", _choice("output_format", {"json": "json", "sxp": "sxp"})),
    ("blkdev_start", _string("blkdev_start")),
    ("claim_mode", _number("claim_mode", as_bool=True)),
    ("remus.default.netbufscript", _string("default_remus_netbufscript")),
    ("colo.default.proxyscript", _string("default_colo_proxy_script")),
    ("max_grant_frames", _number("max_grant_frames", 0, INT_MAX)),
    ("max_maptrack_frames", _number("max_maptrack_frames", 0, INT_MAX)),
    ("max_grant_version", _number("max_grant_version", 0, INT_MAX)),
    ("vm.cpumask", _string("global_vm_affinity_mask")),
    ("vm.hvm.cpumask", _string("global_hvm_affinity_mask")),
    ("vm.pv.cpumask", _string("global_pv_affinity_mask")),
    ("domid_policy", _choice("domid_policy", {"xen": "xen", "random": "random"})),
)

KNOWN_KEYS = frozenset(k for k, _ in XLCONF_KEYS)


def from_raw(raw: RawDomain) -> tuple[XlConf, tuple[Diagnostic, ...]]:
    """Apply xl.conf's keys the way xl does; unknown keys are reported."""
    values: dict[str, Any] = {}
    warns: list[Diagnostic] = []
    for key, apply in XLCONF_KEYS:
        if key in raw:
            apply(raw, key, values, warns)
    warns.extend(raw.warnings)
    for setting in raw.unused():
        warns.append(_warning(raw, setting.key, f"unknown xl.conf key '{setting.key}'",
                              None, at_key=True))
    return replace(XlConf(), **values), tuple(warns)


def from_text(text: str | bytes, name: str = DEFAULT_PATH) -> tuple[XlConf, tuple[Diagnostic,
                                                                                 ...]]:
    """Parse xl.conf text (syntax errors raise ConfigSyntaxError)."""
    from xl_py.settings.raw import RawDomain
    from xl_py.syntax import parse_xlcfg

    return from_raw(RawDomain.from_document(parse_xlcfg(text, name)))


def _warning(raw: RawDomain, key: str, message: str, hint: str | None,
             at_key: bool = False) -> Diagnostic:
    statement = raw.statement(key)
    source = raw.document.source
    if statement is None:
        return Diagnostic("warning", message, hint=hint)
    start, end = statement.key_span if at_key else statement.value.span
    return Diagnostic("warning", message, source, start, end, hint=hint)


__all__ = ["DEFAULT_PATH", "KNOWN_KEYS", "ConfigValueError", "XlConf", "from_raw", "from_text"]
