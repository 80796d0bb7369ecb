"""An HVM guest's <video> for migrate-config (libvirt XML -> xl.cfg).

libvirt's xen-xl converter writes no video key, but libvirt's libxl driver
does give the guest the card and video memory the XML names (libxl_conf.c:
vga -> stdvga, cirrus, qxl, none; vram -> video_memkb).  So migrate-config
carries them as xl's ``vga=`` and ``videoram=`` -- xl's default card is
cirrus, and libvirt's default vram (cirrus 8 MiB, vga 16 MiB) is xl's too, so
those are left out -- and reports every <video> it cannot carry.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, NamedTuple

from xl_py.settings.legacy import ReportItem
from xl_py.settings.legacy_base import Status


class Card(NamedTuple):
    vga: str | None  # xl's vga= (None: xl's default, cirrus)
    default_vram_kib: int


#: libvirt video model -> xl's card
CARDS: dict[str, Card] = {
    "cirrus": Card(None, 8192),
    "vga": Card("stdvga", 16384),
    "qxl": Card("qxl", 16384),
    "none": Card("none", 0),
}


def video_keys(devices: ET.Element | None, pos: str,
               hvm: bool) -> tuple[list[tuple[str, Any]], list[ReportItem]]:
    """xl keys for the first <video> of an HVM guest, and a report item per <video>."""
    entries: list[tuple[str, Any]] = []
    items: list[ReportItem] = []
    videos = devices.findall("video") if devices is not None else []
    for index, video in enumerate(videos):
        model = video.find("model")
        el = model if model is not None else video
        kind = model.get("type", "cirrus") if model is not None else "cirrus"

        def add(status: Status, detail: str, keys: tuple[str, ...] = (),
                _el: ET.Element = el, _kind: str = kind) -> None:
            start = int(_el.get(pos, "0"))
            items.append(ReportItem(f"<video><model type='{_kind}'>", status, keys, detail,
                                    start, start + 1))

        if not hvm:
            add("ignored", "a PV guest's display is its vfb (libvirt's 'xen' video)")
        elif index > 0:
            add("dropped", "xl gives an HVM guest one emulated card")
        elif kind not in CARDS:
            add("dropped", f"xl has no {kind} card (stdvga, cirrus, qxl or none)")
        else:
            entries.extend(_card(CARDS[kind], model, add))
    return entries, items


def _card(card: Card, model: ET.Element | None, add: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if card.vga is not None:
        out.append(("vga", card.vga))
    vram = model.get("vram") if model is not None else None
    small = vram is not None and card.vga in _FLOORED and int(vram) < card.default_vram_kib
    if vram is not None and card.default_vram_kib and int(vram) != card.default_vram_kib \
            and not small:
        out.append(("videoram", max(1, int(vram) // 1024)))
    if small:
        add("changed", f"vram='{vram}' is below what libxl takes for this "
            f"card on qemu-xen ({card.default_vram_kib // 1024} MB; xend's qemu-dm had 4 MB "
            "for cirrus): xl's default" + (f"; {_said(out)}" if out else ""),
            tuple(k for k, _ in out))
    elif out:
        add("changed", f"libvirt's libxl driver gives the guest this card; libvirt's xen-xl "
            f"converter writes no key for it: {_said(out)}", tuple(k for k, _ in out))
    else:
        add("kept", "cirrus with its default video memory: xl's default card")
    return out


#: cards whose video memory libxl refuses below the default on qemu-xen (None: cirrus)
_FLOORED = (None, "stdvga")


def _said(out: list[tuple[str, Any]]) -> str:
    return ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in out)
