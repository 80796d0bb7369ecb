"""vfb and vkb specs.

``vfb=["vnc=1,vnclisten=...,sdl=0,keymap=de"]``: key=value items; xl stops
reading an item at the first word without '=' and skips unknown keys (we
warn for both).  Numbers are read with atoi.

``vkb=["backend-type=linux,unique-id=...,width=...,..."]``: key=value items;
unknown keys and a missing backend-type are errors, as in xl.
"""

from __future__ import annotations

from typing import Any

from xl_py._record import replace
from xl_py.model._base import Defbool
from xl_py.model.devices import DeviceVfb, DeviceVkb, SdlInfo, VkbBackend, VncInfo
from xl_py.settings._spec import (
    Option,
    OptionTable,
    SpecSite,
    Token,
    atoi,
    is_c_number,
    strtok,
    strtoul,
)


def _defbool(group: str, name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        _warn_not_number(value, site)
        fields[group][name] = Defbool.of(atoi(value.text) != 0)
    return handle


def _text(group: str, name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[group][name] = value.text
    return handle


def _int(group: str, name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        _warn_not_number(value, site)
        fields[group][name] = atoi(value.text)
    return handle


def _warn_not_number(value: Token, site: SpecSite) -> None:
    if not is_c_number(value.text):
        site.warn(f"'{value.text}' is not a number; xl reads it as {atoi(value.text)}",
                  value.start, value.end, expected="an integer (0 = off, 1 = on)")


VFB_OPTIONS = OptionTable((
    Option("vnc", _defbool("vnc", "enable")),
    Option("vnclisten", _text("vnc", "listen")),
    Option("vncpasswd", _text("vnc", "passwd")),
    Option("vncdisplay", _int("vnc", "display")),
    Option("vncunused", _defbool("vnc", "findunused")),
    Option("keymap", _text("top", "keymap")),
    Option("sdl", _defbool("sdl", "enable")),
    Option("opengl", _defbool("sdl", "opengl")),
    Option("display", _text("sdl", "display")),
    Option("xauthority", _text("sdl", "xauthority")),
))


def parse_vfb(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceVfb:
    """One ``vfb=[...]`` item -> libxl_device_vfb."""
    site = (where or SpecSite.standalone(spec, "vfb")).named("vfb")
    fields: dict[str, dict[str, Any]] = {"vnc": {}, "sdl": {}, "top": {}}
    for tok in strtok(spec):
        pair = tok.split_pair("=")
        if pair is None:
            site.warn(f"'{tok.text}' is not key=value; xl ignores it and the rest of "
                      "this vfb", tok.start, len(spec), expected=VFB_OPTIONS.accepted())
            break
        option = VFB_OPTIONS.get(pair[0].text)
        if option is None:
            site.warn(f"unknown option '{pair[0].text}' (xl ignores it)", pair[0].start,
                      pair[0].end, expected=VFB_OPTIONS.accepted(),
                      hint=VFB_OPTIONS.hint(pair[0].text))
            continue
        option.handle(pair[1], fields, site)
    return DeviceVfb(devid=devid, vnc=VncInfo(**fields["vnc"]), sdl=SdlInfo(**fields["sdl"]),
                     **fields["top"])


VKB_BACKENDS = {"unknown": VkbBackend.UNKNOWN, "qemu": VkbBackend.QEMU,
                "linux": VkbBackend.LINUX}


def _vkb_backend(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
    backend = VKB_BACKENDS.get(value.text.lower())
    if backend is None:
        raise site.error(f"unknown backend-type '{value.text}'", value.start, value.end,
                         expected="qemu | linux")
    fields["backend_type"] = backend


def _vkb_uint(name: str, as_bool: bool = False) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        number = strtoul(value.text, 0)[0]  # xl: unsigned long into a bool or uint32
        fields[name] = number != 0 if as_bool else number & 0xFFFFFFFF
    return handle


def _vkb_text(name: str) -> Any:
    def handle(value: Token, fields: dict[str, Any], site: SpecSite) -> None:
        fields[name] = value.text
    return handle


VKB_OPTIONS = OptionTable((
    Option("backend", _vkb_text("backend_domname")),
    Option("backend-type", _vkb_backend),
    Option("unique-id", _vkb_text("unique_id")),
    Option("feature-disable-keyboard", _vkb_uint("feature_disable_keyboard", True)),
    Option("feature-disable-pointer", _vkb_uint("feature_disable_pointer", True)),
    Option("feature-abs-pointer", _vkb_uint("feature_abs_pointer", True)),
    Option("feature-raw-pointer", _vkb_uint("feature_raw_pointer", True)),
    Option("feature-multi-touch", _vkb_uint("feature_multi_touch", True)),
    Option("multi-touch-width", _vkb_uint("multi_touch_width")),
    Option("multi-touch-height", _vkb_uint("multi_touch_height")),
    Option("multi-touch-num-contacts", _vkb_uint("multi_touch_num_contacts")),
    Option("width", _vkb_uint("width")),
    Option("height", _vkb_uint("height")),
))


def parse_vkb(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceVkb:
    """One ``vkb=[...]`` item -> libxl_device_vkb."""
    site = (where or SpecSite.standalone(spec, "vkb")).named("vkb")
    fields: dict[str, Any] = {}
    for tok in strtok(spec):
        pair = tok.split_pair("=")
        option = None if pair is None else VKB_OPTIONS.get(pair[0].text)
        if pair is None or option is None:
            key = tok if pair is None else pair[0]
            raise site.error(f"unknown option '{key.text}'", key.start, key.end,
                             expected=VKB_OPTIONS.accepted(), hint=VKB_OPTIONS.hint(key.text))
        option.handle(pair[1], fields, site)
    vkb = replace(DeviceVkb(devid=devid), **fields)
    if vkb.backend_type is VkbBackend.UNKNOWN:
        raise site.error("backend-type must be set", 0, len(spec),
                         expected="backend-type=qemu | backend-type=linux")
    touch = vkb.multi_touch_width or vkb.multi_touch_height or vkb.multi_touch_num_contacts
    if touch:
        vkb = replace(vkb, feature_multi_touch=True)
    elif vkb.feature_multi_touch:
        raise site.error("feature-multi-touch needs multi-touch-width, multi-touch-height "
                         "and multi-touch-num-contacts", 0, len(spec))
    return vkb
