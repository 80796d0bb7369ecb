"""xl.cfg device keys -> libvirt <devices> (libvirt's xen-xl reader and the
devices libvirt's post-parse adds: xenbus and IDE controllers, inputs,
console, video, memballoon)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from xl_py.errors import ConfigValueError
from xl_py.model.devices import DeviceDisk
from xl_py.render.libvirt_common import (
    Cfg,
    as_list,
    boolean,
    get,
    integer,
    kv,
    os_type,
    specs,
    sub,
)
from xl_py.render.libvirt_disk import disk_element

#: xl's vga= -> libvirt's video model and libvirt's default vram (KiB) for it
#: (libvirt's libxl driver: no <video> at all is xl's vga="none", nographic)
_CARDS = {"stdvga": ("vga", 16384), "cirrus": ("cirrus", 8192), "qxl": ("qxl", 16384),
          "none": ("none", 0)}


def _driver_card(cfg: Cfg) -> tuple[str, int] | None:
    """An HVM guest's card as xl.cfg says (vga=, stdvga=, videoram=), for libvirt's
    libxl driver, which honours <video> (its xen-xl converter reads none of them);
    None when the config leaves the card to xl's default."""
    vga = get(cfg, "vga") or ("stdvga" if integer(cfg, "stdvga", 0) else None)
    videoram = get(cfg, "videoram")
    if vga is None and videoram is None:
        return None
    model, vram = _CARDS.get(str(vga or "cirrus"), _CARDS["cirrus"])
    if videoram is not None and model != "none":
        vram = integer(cfg, "videoram", 0) * 1024  # numbers as xl reads them
    return model, vram


def devices(root: ET.Element, cfg: Cfg, disks: Sequence[DeviceDisk], names: Sequence[str],
            hvm: bool, for_libxl_driver: bool = False) -> None:
    """``disks``: the disk= items, parsed; ``names``: how messages name them;
    ``for_libxl_driver``: see :func:`xl_py.render.libvirt_xml.to_xml`."""
    devs = sub(root, "devices")
    emulator = get(cfg, "device_model_override")  # xl 4.17 ignores device_model
    if emulator:
        sub(devs, "emulator", str(emulator))
    for index, disk in enumerate(disks):
        disk_element(devs, disk, names[index] if index < len(names) else disk.vdev or "", hvm,
                     leave_to_libxl=for_libxl_driver)
    xenbus = sub(devs, "controller", type="xenbus", index="0")
    for key, attr in (("max_event_channels", "maxEventChannels"),
                      ("max_grant_frames", "maxGrantFrames")):
        if get(cfg, key):
            xenbus.set(attr, str(cfg[key]))
    if hvm and any((d.vdev or "").startswith("hd") for d in disks):  # PV hdX are xen-bus
        sub(devs, "controller", type="ide", index="0")
    for spec in specs(cfg, "usbctrl"):
        _usbctrl(devs, spec, len(devs.findall("controller[@type='usb']")))
    for spec in specs(cfg, "vif"):
        _interface(devs, spec, hvm)
    _chardevs(devs, cfg, hvm)
    for spec in specs(cfg, "channel"):
        _channel(devs, spec)
    _inputs(devs, cfg, hvm)
    has_graphics = _graphics(devs, cfg, hvm)
    for model in str(get(cfg, "soundhw", "")).split(",") if hvm and get(cfg, "soundhw") else ():
        sub(devs, "sound", model=SOUND_MODELS.get(model, model))
    card = _driver_card(cfg) if hvm and for_libxl_driver else None
    if card is not None:
        if card[0] != "none":  # no <video>: the driver gives no card (vga="none")
            sub(sub(devs, "video"), "model", type=card[0], vram=str(card[1]), heads="1",
                primary="yes")
    elif has_graphics:
        video = sub(devs, "video")
        if hvm:
            sub(video, "model", type="cirrus", vram="8192", heads="1", primary="yes")
        elif os_type(cfg) == "pvh":  # libvirt's default video for xenpvh
            sub(video, "model", type="cirrus", vram="16384", heads="1", primary="yes")
        else:
            sub(video, "model", type="xen", vram="4096", heads="1", primary="yes")
    for spec in specs(cfg, "pci"):
        _hostdev_pci(devs, spec)
    for spec in specs(cfg, "usbdev"):
        _hostdev_usb(devs, spec)
    sub(devs, "memballoon", model="xen")


# xl's soundhw (QEMU's names) -> libvirt's <sound model>
SOUND_MODELS = {"hda": "ich6"}


def _usbctrl(devs: ET.Element, spec: str, index: int) -> None:
    """xenParseXLUSBController: qusb1/qusb2 by version (default 2), 8 ports by default."""
    fields = kv(spec)
    if fields.get("type", "qusb")[:4] != "qusb":
        return
    version = int(fields.get("version", "2"), 16)
    ports = int(fields.get("ports", "8"), 16)
    sub(devs, "controller", type="usb", index=str(index),
         model="qusb1" if version == 1 else "qusb2", ports=str(ports))


def _interface(devs: ET.Element, spec: str, hvm: bool) -> None:
    fields = kv(spec)
    script = fields.get("script")
    bridge = fields.get("bridge")
    kind = "bridge" if bridge or script in ("vif-bridge", "vif-vnic") else "ethernet"
    net = sub(devs, "interface", type=kind)
    mac = _mac(fields.get("mac", ""))
    if mac:
        sub(net, "mac", address=mac)
    tags: list[str] = []
    trunk = False
    if bridge:
        if "." in bridge:
            bridge, tag = bridge.split(".", 1)
            tags = [tag]
        elif ":" in bridge:
            bridge, *tags = bridge.split(":")
            trunk = True
        sub(net, "source", bridge=bridge)
    if tags:
        vlan = sub(net, "vlan", **({"trunk": "yes"} if trunk else {}))
        for tag in tags:
            sub(vlan, "tag", id=tag)
        port = sub(net, "virtualport", type="openvswitch")
        del port
    if fields.get("rate"):
        bandwidth = sub(net, "bandwidth")
        sub(bandwidth, "outbound", average=str(_rate_kbytes(fields["rate"])))
    for ip in fields.get("ip", "").split():
        sub(net, "ip", address=ip, family="ipv6" if ":" in ip else "ipv4")
    if script:
        sub(net, "script", path=script)
    if fields.get("vifname"):
        sub(net, "target", dev=fields["vifname"])
    if fields.get("model"):
        sub(net, "model", type=fields["model"])
    elif fields.get("type") == "vif":
        sub(net, "model", type="netfront")


def _mac(text: str) -> str | None:
    """xl's mac=: six hex octets of one or two digits (xl pads them); anything
    else xl ignores with a warning and generates a MAC, so no <mac> here."""
    octets = text.split(":")
    if len(octets) != 6 or not all(re.fullmatch(r"[0-9a-fA-F]{1,2}", o) for o in octets):
        return None
    return ":".join(o.lower().rjust(2, "0") for o in octets)


def _rate_kbytes(rate: str) -> int:
    m = re.fullmatch(r"(\d+)([GMK]?)([Bb])/s(@.*)?", rate)
    if not m:
        raise ConfigValueError.at(f"Invalid rate '{rate}' specified")
    value = int(m.group(1)) * {"G": 1024 * 1024, "M": 1024, "K": 1, "": 1}[m.group(2)]
    return value // 8 if m.group(3) == "b" else value


def _chr(devs: ET.Element, tag: str, value: str, port: int) -> ET.Element:
    """xenParseSxprChar: 'pty', 'file:/x', 'tcp:host:port,server,nowait', '/dev/ttyS0' ..."""
    if value.startswith("/"):
        el = sub(devs, tag, type="dev")
        sub(el, "source", path=value)
    else:
        prefix, _, rest = value.partition(":")
        kind = "tcp" if prefix.startswith("telnet") else prefix
        el = sub(devs, tag, type=kind)
        if kind in ("file", "pipe"):
            sub(el, "source", path=rest)
        elif kind == "tcp":
            host, _, service = rest.partition(":")
            service, _, opts = service.partition(",")
            attrs = {"mode": "bind" if "server" in opts else "connect", "service": service}
            if host:
                attrs = {"mode": attrs["mode"], "host": host, "service": service}
            sub(el, "source", **attrs)
            sub(el, "protocol", type="telnet" if prefix.startswith("telnet") else "raw")
        elif kind == "unix":
            path, _, opts = rest.partition(",")
            sub(el, "source", mode="bind" if "server" in opts else "connect", path=path)
        elif kind == "udp":
            connect, _, bind = rest.partition("@")
            c_host, _, c_svc = connect.partition(":")
            b_host, _, b_svc = bind.partition(":")
            sub(el, "source", mode="bind", host=b_host, service=b_svc)
            sub(el, "source", mode="connect", host=c_host, service=c_svc)
    sub(el, "target", port=str(port))
    return el


def _chardevs(devs: ET.Element, cfg: Cfg, hvm: bool) -> None:
    if not hvm:
        console = sub(devs, "console", type="pty")
        sub(console, "target", type="xen", port="0")
        return
    serials = as_list(cfg.get("serial"))
    first: str | None = None
    for port, value in enumerate(serials):
        if value != "none":
            _chr(devs, "serial", value, port)
            first = first or value
    parallel = get(cfg, "parallel")
    if parallel and parallel != "none":
        _chr(devs, "parallel", str(parallel), 0)
    if first is not None:
        kind = "tcp" if first.startswith("telnet") else first.partition(":")[0]
        console = sub(devs, "console", type="dev" if first.startswith("/") else kind)
        el = devs.find("serial")
        if el is not None:
            for child in el:
                if child.tag != "target":
                    console.append(child)
        sub(console, "target", type="serial", port="0")


def _channel(devs: ET.Element, spec: str) -> None:
    fields = kv(spec)
    connection = fields.get("connection", "pty")
    if connection.startswith("socket"):
        ch = sub(devs, "channel", type="unix")
        sub(ch, "source", mode="bind", path=fields.get("path", ""))
    else:
        ch = sub(devs, "channel", type="pty")
    sub(ch, "target", type="xen", name=fields.get("name", ""))


def _inputs(devs: ET.Element, cfg: Cfg, hvm: bool) -> None:
    if (hvm and boolean(cfg, "usb", 0)) or get(cfg, "usbdevice"):
        for dev in as_list(cfg.get("usbdevice")):
            if dev in ("mouse", "tablet", "keyboard"):
                sub(devs, "input", type=dev, bus="usb")
    bus = "ps2" if hvm else "xen"
    sub(devs, "input", type="mouse", bus=bus)
    sub(devs, "input", type="keyboard", bus=bus)


def _graphics(devs: ET.Element, cfg: Cfg, hvm: bool) -> bool:
    if hvm and boolean(cfg, "spice", 0):
        _spice(devs, cfg)
        return True
    if hvm:
        if boolean(cfg, "vnc", 0):
            _vnc(devs, {k: str(v) for k, v in cfg.items() if isinstance(v, str | int)})
            return True
        if boolean(cfg, "sdl", 0):
            _sdl(devs, cfg.get("display"), cfg.get("xauthority"))
            return True
        return False
    vfbs = specs(cfg, "vfb")
    if not vfbs:
        return False
    fields = kv(vfbs[0])
    if "type=sdl" in vfbs[0] or fields.get("sdl") == "1":
        _sdl(devs, fields.get("display"), fields.get("xauthority"))
    elif fields.get("vnc", "1") == "0":  # vnc=0 and no sdl: no display at all
        return False
    else:
        _vnc(devs, fields, pv=True)
    return True


def _vnc(devs: ET.Element, f: Mapping[str, str], pv: bool = False) -> None:
    # a PV vfb's vncdisplay= without vncunused= is libvirt's fixed port (xl starts
    # looking there); an HVM guest's vncdisplay counts only with vncunused=0
    listen = f.get("vnclisten")
    host, colon, display = (listen or "").partition(":")
    if colon and display.isdigit() and ":" not in display:
        # xl's 'vnclisten = "HOST:N"' is display N on HOST: libvirt's listen is an address
        f = {**f, "vnclisten": host, "vncdisplay": display}
        listen = host
    auto = f.get("vncunused", "0" if pv and f.get("vncdisplay") else "1") == "1"
    port = "-1" if auto else str(int(f.get("vncdisplay", "0") or 0) + 5900)
    attrs = {"type": "vnc", "port": port, "autoport": "yes" if auto else "no"}
    if listen:
        attrs["listen"] = listen
    if f.get("vncpasswd"):
        attrs["passwd"] = f["vncpasswd"]
    if f.get("keymap"):
        attrs["keymap"] = f["keymap"]
    g = sub(devs, "graphics", **attrs)
    # libvirt always appends a listen, with no address when vnclisten is unset
    sub(g, "listen", **({"type": "address", "address": listen} if listen
                         else {"type": "address"}))


def _sdl(devs: ET.Element, display: Any, xauth: Any) -> None:
    attrs = {"type": "sdl"}
    if display:
        attrs["display"] = str(display)
    if xauth:
        attrs["xauth"] = str(xauth)
    sub(devs, "graphics", **attrs)


def _spice(devs: ET.Element, cfg: Cfg) -> None:
    port, tls = integer(cfg, "spiceport", 0), integer(cfg, "spicetls_port", 0)
    attrs = {"type": "spice"}
    if port or tls:
        attrs.update({k: str(v) for k, v in (("port", port), ("tlsPort", tls)) if v})
        attrs["autoport"] = "no"
    else:
        attrs["autoport"] = "yes"
    host = get(cfg, "spicehost")
    if host:
        attrs["listen"] = str(host)
    if not boolean(cfg, "spicedisable_ticketing", 0) and get(cfg, "spicepasswd"):
        attrs["passwd"] = str(cfg["spicepasswd"])
    g = sub(devs, "graphics", **attrs)
    if host:
        sub(g, "listen", type="address", address=str(host))
    sub(g, "mouse", mode="client" if boolean(cfg, "spiceagent_mouse", 0) else "server")
    sub(g, "clipboard", copypaste="yes" if boolean(cfg, "spice_clipboard_sharing", 0) else "no")


_BDF = re.compile(r"(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})"
                  r"\.([0-7])(?:@[0-9a-fA-F]+)?")


def _hostdev_pci(devs: ET.Element, spec: str) -> None:
    """``[DDDD:]BB:SS.F[@VSLOT][,permissive=N,...]`` or ``bdf=...`` (libvirt's
    hostdev takes one function of a device, named by its address)."""
    fields = [f.strip() for f in spec.split(",")]
    keyed = {k: v for k, eq, v in (f.partition("=") for f in fields) if eq}
    bdf = keyed.get("bdf", fields[0])
    m = _BDF.fullmatch(bdf)
    if m is None:
        raise ConfigValueError.at(
            f"pci '{spec}': libvirt's <hostdev> needs one device function by address "
            "([DDDD:]BB:SS.F); all functions (.*) and name= have no libvirt form")
    domain, bus, slot, func = m.groups()
    source_attrs = {}
    if keyed.get("permissive", "").isdigit():
        source_attrs["writeFiltering"] = "no" if int(keyed["permissive"]) else "yes"
    hostdev = sub(devs, "hostdev", mode="subsystem", type="pci", managed="no")
    sub(hostdev, "driver", name="xen")
    source = sub(hostdev, "source", **source_attrs)
    sub(source, "address", domain=f"0x{int(domain or '0', 16):04x}",
         bus=f"0x{int(bus, 16):02x}", slot=f"0x{int(slot, 16):02x}",
         function=f"0x{int(func, 16):x}")


def _hostdev_usb(devs: ET.Element, spec: str) -> None:
    fields = kv(spec)
    hostdev = sub(devs, "hostdev", mode="subsystem", type="usb", managed="no")
    source = sub(hostdev, "source")
    sub(source, "address", bus=str(int(fields.get("hostbus", "0"), 16)),
         device=str(int(fields.get("hostaddr", "0"), 16)))
