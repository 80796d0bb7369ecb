"""vif specs (xl-network-configuration(5)): ``key=value`` items split on ','.

xl 4.17 prints a message and carries on for an unknown or malformed item
(except ``rate=``, ``devid=`` and ``mtu=``, which stop it); xl_py builds the
same device and reports those items as positioned warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xl_py._record import replace
from xl_py.model._base import Defbool
from xl_py.model.devices import DeviceNic, NicType
from xl_py.settings._spec import (
    ULONG_MAX,
    Option,
    OptionTable,
    SpecSite,
    Token,
    set_const,
    set_field,
    strtok,
    strtoul,
)
from xl_py.settings.rate import parse_rate

NIC_TYPES = {"vif": NicType.VIF, "ioemu": NicType.VIF_IOEMU}


def _nictype(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    if value.text in NIC_TYPES:
        fields["nictype"] = NIC_TYPES[value.text]
    else:
        site.warn(f"invalid type '{value.text}' (xl ignores it)", value.start, value.end,
                  expected="vif | ioemu")


def _mac(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    """Six hex octets; xl reads each with strtoul and skips one separator.

    With fewer than six octets xl reads on past the end of the item into the
    rest of the spec (the next items), so ``mac=0:1:2,foo`` gives
    00:01:02:0f:00:00.  We read the same bytes and warn."""
    octets = [int(x, 16) for x in (fields.get("mac") or "00:00:00:00:00:00").split(":")]
    buffer = value.text + "\0" + fields.get("_after", "") + "\0"
    pos = 0
    for index in range(6):
        text = buffer[pos:].split("\0", 1)[0] if pos < len(buffer) else ""
        number, used = strtoul(text, 16)
        if used == 0 or number > 255:
            site.warn(f"invalid mac '{value.text}' (xl keeps only the octets before the error)",
                      value.start, value.end, expected="six hex octets, e.g. 00:16:3e:12:34:56")
            break
        octets[index] = number
        pos += used + 1
    else:
        if pos - 1 > len(value.text):
            site.warn(f"mac '{value.text}' has fewer than six octets: xl reads the rest from "
                      "the next items", value.start, value.end,
                      expected="six hex octets, e.g. 00:16:3e:12:34:56")
    fields["mac"] = None if not any(octets) else ":".join(f"{o:02x}" for o in octets)


def _rate(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    per_interval, usecs = parse_rate(value.text, site.shifted(value.start))
    fields["rate_bytes_per_interval"] = per_interval
    fields["rate_interval_usecs"] = usecs


def _ulong(name: str, label: str) -> Any:
    """xl's parse_ulong: base-10 prefix; no digits or ULONG_MAX stops xl."""

    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        number, used = strtoul(value.text, 10)
        if used == 0 or number == ULONG_MAX:
            raise site.error(f"{label}: '{value.text}' is not a number", value.start,
                             value.end, expected="a decimal number")
        if used != len(value.text):
            site.warn(f"{label}: junk after the number in '{value.text}' (xl reads "
                      f"{number & 0xFFFFFFFF})", value.start, value.end)
        number &= 0xFFFFFFFF
        fields[name] = number - 2**32 if number >= 2**31 else number

    return handle


def _accel(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    site.warn("the accel parameter for vifs is not supported (ignored)", value.start - 6,
              value.end)


COLO_KEYS = (
    "colo_sock_mirror_id", "colo_sock_mirror_ip", "colo_sock_mirror_port",
    "colo_sock_compare_sec_in_id", "colo_sock_compare_sec_in_ip",
    "colo_sock_compare_sec_in_port", "colo_sock_redirector0_id", "colo_sock_redirector0_ip",
    "colo_sock_redirector0_port", "colo_sock_redirector1_id", "colo_sock_redirector1_ip",
    "colo_sock_redirector1_port", "colo_sock_redirector2_id", "colo_sock_redirector2_ip",
    "colo_sock_redirector2_port", "colo_sock_compare_pri_in_id",
    "colo_sock_compare_pri_in_ip", "colo_sock_compare_pri_in_port",
    "colo_sock_compare_notify_id", "colo_sock_compare_notify_ip",
    "colo_sock_compare_notify_port", "colo_filter_mirror_queue", "colo_filter_mirror_outdev",
    "colo_filter_redirector0_queue", "colo_filter_redirector0_indev",
    "colo_filter_redirector0_outdev", "colo_filter_redirector1_queue",
    "colo_filter_redirector1_indev", "colo_filter_redirector1_outdev",
    "colo_compare_pri_in", "colo_compare_sec_in", "colo_compare_out",
    "colo_compare_notify_dev", "colo_sock_sec_redirector0_id",
    "colo_sock_sec_redirector0_ip", "colo_sock_sec_redirector0_port",
    "colo_sock_sec_redirector1_id", "colo_sock_sec_redirector1_ip",
    "colo_sock_sec_redirector1_port", "colo_filter_sec_redirector0_queue",
    "colo_filter_sec_redirector0_indev", "colo_filter_sec_redirector0_outdev",
    "colo_filter_sec_redirector1_queue", "colo_filter_sec_redirector1_indev",
    "colo_filter_sec_redirector1_outdev", "colo_filter_sec_rewriter0_queue",
    "colo_checkpoint_host", "colo_checkpoint_port",
)

VIF_OPTIONS = OptionTable((
    Option("mac", _mac),
    Option("bridge", set_field("bridge")),
    Option("ip", set_field("ip")),
    Option("type", _nictype),
    Option("model", set_field("model")),
    Option("vifname", set_field("ifname")),
    Option("script", set_field("script")),
    Option("backend", set_field("backend_domname")),
    Option("rate", _rate),
    Option("gatewaydev", set_field("gatewaydev")),
    Option("netdev", set_field("gatewaydev"), deprecated="gatewaydev"),
    Option("mtu", _ulong("mtu", "mtu")),
    Option("devid", _ulong("devid", "devid")),
    Option("trusted", set_const("trusted", Defbool.TRUE), flag=True),
    Option("untrusted", set_const("trusted", Defbool.FALSE), flag=True),
    Option("accel", _accel, deprecated="nothing: xl does not support it"),
    Option("forwarddev", set_field("coloft_forwarddev"), listed=False),
    *(Option(key, set_field(key), listed=False) for key in COLO_KEYS),
), unlisted="and the colo_*= options of COLO")


def parse_vif(spec: str, where: SpecSite | None = None,
              defaults: DeviceNic | Mapping[str, Any] | None = None) -> DeviceNic:
    """One ``vif=[...]`` item -> libxl_device_nic, starting from ``defaults``
    (devid and xl.conf's vif.default.* values: a DeviceNic, or its non-default
    fields as a mapping, which is cheaper)."""
    site = (where or SpecSite.standalone(spec, "vif")).named("vif")
    fields: dict[str, Any] = {}
    for tok in strtok(spec):
        fields["_after"] = spec[tok.end + 1:]
        apply_vif_item(tok, fields, site)
    fields.pop("_after", None)
    if isinstance(defaults, DeviceNic):
        return replace(defaults, **fields)
    return DeviceNic(**{**(defaults or {}), **fields})


def apply_vif_item(tok: Token, fields: dict[str, Any], site: SpecSite) -> None:
    pair = tok.split_pair("=")
    option = VIF_OPTIONS.get(tok.text if pair is None else pair[0].text)
    if option is None or option.flag != (pair is None):
        site.warn(f"unrecognized argument '{tok.text}' (xl ignores it)", tok.start, tok.end,
                  expected=VIF_OPTIONS.accepted(),
                  hint=VIF_OPTIONS.hint(tok.text if pair is None else pair[0].text))
        return
    if option.deprecated and option.name != "accel":
        site.warn(f"{option.name}= is deprecated, use {option.deprecated}=", tok.start,
                  tok.end)
    option.handle(tok if pair is None else pair[1], fields, site)
