"""usbctrl and usbdev specs: ``key=value`` items split on ','; unknown keys
and bad types are errors, as in xl."""

from __future__ import annotations

from typing import Any

from xl_py.model.devices import DeviceUsbctrl, DeviceUsbdev, UsbctrlType, UsbdevHostdev
from xl_py.settings._spec import Option, OptionTable, SpecSite, Token, atoi, strtok, strtoul

USBCTRL_TYPES = {t.value: t for t in UsbctrlType}


def _usbctrl_type(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    kind = USBCTRL_TYPES.get(value.text.lower())
    if kind is None:
        raise site.error(f"invalid usb controller type '{value.text}'", value.start,
                         value.end, expected=" | ".join(USBCTRL_TYPES))
    fields["type"] = kind


def _atoi(name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[name] = atoi(value.text)
    return handle


def _usbdev_type(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    if value.text.lower() != "hostdev":
        raise site.error(f"invalid usb device type '{value.text}'", value.start, value.end,
                         expected="hostdev")
    fields["type"] = True


def _uint8(name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[name] = strtoul(value.text, 0)[0] & 0xFF
    return handle


USBCTRL_OPTIONS = OptionTable((
    Option("type", _usbctrl_type),
    Option("version", _atoi("version")),
    Option("ports", _atoi("ports")),
))

USBDEV_OPTIONS = OptionTable((
    Option("type", _usbdev_type),
    Option("hostbus", _uint8("hostbus")),
    Option("hostaddr", _uint8("hostaddr")),
    Option("controller", _atoi("ctrl")),
    Option("port", _atoi("port")),
))


def _apply(spec: str, table: OptionTable, site: SpecSite) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for tok in strtok(spec):
        pair = tok.split_pair("=")
        option = None if pair is None else table.get(pair[0].text)
        if pair is None or option is None:
            key = tok if pair is None else pair[0]
            raise site.error(f"unknown option '{key.text}'", key.start, key.end,
                             expected=table.accepted(), hint=table.hint(key.text))
        option.handle(pair[1], fields, site)
    return fields


def parse_usbctrl(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceUsbctrl:
    """One ``usbctrl=[...]`` item -> libxl_device_usbctrl."""
    site = (where or SpecSite.standalone(spec, "usbctrl")).named("usbctrl")
    return DeviceUsbctrl(devid=devid, **_apply(spec, USBCTRL_OPTIONS, site))


def parse_usbdev(spec: str, where: SpecSite | None = None) -> DeviceUsbdev:
    """One ``usbdev=[...]`` item -> libxl_device_usbdev."""
    site = (where or SpecSite.standalone(spec, "usbdev")).named("usbdev")
    fields = _apply(spec, USBDEV_OPTIONS, site)
    host = {k: fields.pop(k) for k in ("hostbus", "hostaddr") if k in fields}
    u = None
    if fields.pop("type", False):
        u = UsbdevHostdev(**host)
    elif host:
        site.warn("hostbus=/hostaddr= without type=hostdev: xl's dry run leaves them out",
                  0, len(spec), expected="type=hostdev,hostbus=N,hostaddr=N")
    return DeviceUsbdev(u=u, **fields)
