"""libvirt domain XML (``<domain type='xen'>``) -> xl.cfg keys.

Follows libvirt's own xen-xl converter (``src/libxl/xen_xl.c`` xenFormatXL and
``xen_common.c`` xenFormatConfigCommon, libvirt 9.0): the same keys, in the
same order, with the same value spellings, so ``virsh domxml-to-native
xen-xl`` and this module write the same file.  One function per section, run
in libvirt's order; each fills an ordered dict (setting a key again keeps its
first position, as virConfSetValue does).

The XML is read with ElementTree on expat, keeping each element's line and
column for positioned errors; malformed XML is a ConfigSyntaxError.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from xl_py.errors import ConfigSyntaxError, ConfigValueError, Diagnostic, Source
from xl_py.model._base import Bitmap
from xl_py.settings.legacy import Migration, ReportItem

Cfg = dict[str, Any]  # key -> int | str | list[str] | list[list[str]]
_POS = "{xl-py}pos"  # attribute holding "offset" of an element's start tag


# --------------------------------------------------------------------------- reading


def parse_xml(text: str | bytes, name: str) -> tuple[Source, ET.Element]:
    """ElementTree with each element's source offset; positioned syntax errors."""
    import xml.parsers.expat as expat

    src = Source(name, text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    starts = src.line_starts()

    def start(tag: str, attrs: dict[str, str]) -> None:
        line, col = parser.CurrentLineNumber, parser.CurrentColumnNumber
        offset = starts[line - 1] + col if line - 1 < len(starts) else 0
        builder.start(tag, {**attrs, _POS: str(offset)})

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(src.text, True)
    except expat.ExpatError as exc:
        line, col = exc.lineno, exc.offset
        offset = starts[line - 1] + col if line - 1 < len(starts) else len(src.text)
        raise ConfigSyntaxError.at(f"malformed XML: {expat.ErrorString(exc.code)}", src,
                                   offset, offset + 1) from None
    return src, builder.close()


def _text(el: ET.Element | None) -> str | None:
    return el.text.strip() if el is not None and el.text is not None else None


_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024**2, "mib": 1024**2,
          "mb": 1000**2, "g": 1024**3, "gib": 1024**3, "gb": 1000**3, "t": 1024**4,
          "tib": 1024**4, "tb": 1000**4}


def _kib(el: ET.Element | None) -> int | None:
    """<memory unit='...'>N</memory> in KiB (libvirt rounds up)."""
    value = _text(el)
    if el is None or value is None:
        return None
    scale = _UNITS.get(el.get("unit", "KiB").lower())
    if scale is None or not value.isdigit():
        raise _bad(el, f"<{el.tag}> '{value}' {el.get('unit', '')} is not a memory size")
    return math.ceil(int(value) * scale / 1024)


class _Bad(Exception):
    def __init__(self, el: ET.Element | None, message: str) -> None:
        super().__init__(message)
        self.el = el


def _bad(el: ET.Element | None, message: str) -> _Bad:
    return _Bad(el, message)


def _on(el: ET.Element | None) -> bool:
    """A feature element that is present and not state='off'."""
    return el is not None and el.get("state", "on") == "on"


def _bitmap(spec: str) -> set[int]:
    """libvirt cpuset syntax: '0-3,^2,5'."""
    bits: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        neg = part.startswith("^")
        lo, _, hi = part.lstrip("^").partition("-")
        rng = set(range(int(lo), int(hi or lo) + 1))
        bits = bits - rng if neg else bits | rng
    return bits


# --------------------------------------------------------------------------- sections


class _Domain:
    """The parsed <domain>, with the few derived facts every section needs."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.os = root.find("os")
        os_type = _text(self.os.find("type")) if self.os is not None else None
        self.os_type = os_type or "xen"
        self.hvm = self.os_type == "hvm"
        self.devices = root.find("devices")
        if self.devices is None:
            self.devices = ET.Element("devices")

    def devs(self, tag: str) -> list[ET.Element]:
        assert self.devices is not None
        return self.devices.findall(tag)


def s_general(d: _Domain, cfg: Cfg, new_uuid: Callable[[], str]) -> None:
    name = _text(d.root.find("name"))
    if not name:
        raise _bad(d.root, "<domain> has no <name>")
    cfg["name"] = name
    cfg["uuid"] = _text(d.root.find("uuid")) or new_uuid()


def s_memory(d: _Domain, cfg: Cfg) -> None:
    total = _kib(d.root.find("memory"))
    cells = d.root.findall("cpu/numa/cell")
    if cells:
        total = sum(math.ceil(int(c.get("memory", "0")) * _UNITS.get(
            c.get("unit", "KiB").lower(), 1024) / 1024) for c in cells)
    if total is None:
        raise _bad(d.root, "<domain> has no <memory>")
    current = _kib(d.root.find("currentMemory")) or total
    cfg["maxmem"] = math.ceil(total / 1024)
    cfg["memory"] = math.ceil(current / 1024)


def s_cpu_allocation(d: _Domain, cfg: Cfg) -> None:
    vcpu = d.root.find("vcpu")
    maximum = int(_text(vcpu) or "1")
    current = int(vcpu.get("current", maximum)) if vcpu is not None else maximum
    if current < maximum:
        cfg["maxvcpus"] = maximum
    cfg["vcpus"] = current
    if vcpu is not None and vcpu.get("cpuset"):
        cfg["cpus"] = Bitmap.of(_bitmap(vcpu.get("cpuset", ""))).ranges()


_TSC_MODES = {"native": "native", "paravirt": "native_paravirt", "emulate": "always_emulate"}


def s_features(d: _Domain, cfg: Cfg) -> None:
    feats = d.root.find("features")
    get = feats.find if feats is not None else (lambda _tag: None)
    if d.hvm:
        cfg["pae"] = int(_on(get("pae")))
        cfg["acpi"] = int(_on(get("acpi")))
        cfg["apic"] = int(_on(get("apic")))
        hap = get("hap")
        if hap is not None and hap.get("state") == "off":
            cfg["hap"] = 0
        cfg["viridian"] = int(_on(get("viridian")))
    else:
        e820 = get("xen/e820_host")
        if _on(get("xen")) and _on(e820) and e820 is not None:
            cfg["e820_host"] = 1
    passthrough = get("xen/passthrough")
    if passthrough is not None and _on(passthrough):
        cfg["passthrough"] = passthrough.get("mode", "enabled")
    for timer in d.root.findall("clock/timer"):
        s_timer(d, timer, cfg)


def s_timer(d: _Domain, timer: ET.Element, cfg: Cfg) -> None:
    name = timer.get("name")
    if name == "tsc":
        cfg["tsc_mode"] = _TSC_MODES.get(timer.get("mode", ""), "default")
    elif name == "hpet" and d.hvm:
        cfg["hpet"] = int(timer.get("present", "yes") != "no")
    else:
        raise _bad(timer, f"unsupported timer type (name) '{name}'")


def s_time_offset(d: _Domain, cfg: Cfg) -> None:
    clock = d.root.find("clock")
    offset = clock.get("offset", "utc") if clock is not None else "utc"
    reset = clock is not None and clock.get("adjustment") == "reset"
    if d.hvm:
        if offset == "variable" and clock is not None:
            local = int(clock.get("basis", "utc") == "localtime")
            rtc = int(clock.get("adjustment", "0"))
        elif offset in ("utc", "localtime") and not reset:
            local, rtc = int(offset == "localtime"), 0
        else:
            raise _bad(clock, "unsupported clock adjustment='reset'" if reset
                       else f"unsupported clock offset='{offset}'")
        cfg["rtc_timeoffset"] = rtc
    elif offset in ("utc", "localtime"):
        local = int(offset == "localtime")
    else:
        raise _bad(clock, f"unsupported clock offset='{offset}'")
    cfg["localtime"] = local


def s_events(d: _Domain, cfg: Cfg) -> None:
    for key, default in (("on_poweroff", "destroy"), ("on_reboot", "restart"),
                         ("on_crash", "destroy")):
        cfg[key] = _text(d.root.find(key)) or default


def s_emulator(d: _Domain, cfg: Cfg) -> None:
    emulator = _text(d.devices.find("emulator") if d.devices is not None else None)
    if emulator:
        cfg["device_model_override"] = emulator


def _listen(g: ET.Element) -> str | None:
    listen = g.find("listen")
    if listen is not None and listen.get("address"):
        return listen.get("address")
    return g.get("listen")


def _vnc_port(g: ET.Element) -> tuple[bool, int]:
    port = int(g.get("port", "-1"))
    return g.get("autoport") == "yes" or port == -1, port


def s_vfb(d: _Domain, cfg: Cfg) -> None:
    graphics = d.devs("graphics")
    if len(graphics) != 1 or graphics[0].get("type") == "spice":
        return
    g = graphics[0]
    if d.hvm:
        _hvm_graphics(g, cfg)
        return
    if g.get("type") == "sdl":
        parts = ["type=sdl"] + [f"{k}={g.get(a)}" for k, a in (("display", "display"),
                                                              ("xauthority", "xauth")) if g.get(a)]
    else:
        auto, port = _vnc_port(g)
        parts = ["type=vnc", f"vncunused={int(auto)}"]
        if not auto:
            parts.append(f"vncdisplay={port - 5900}")
        for key, value in (("vnclisten", _listen(g)), ("vncpasswd", g.get("passwd")),
                           ("keymap", g.get("keymap"))):
            if value:
                parts.append(f"{key}={value}")
    cfg["vfb"] = [",".join(parts)]


def _hvm_graphics(g: ET.Element, cfg: Cfg) -> None:
    if g.get("type") == "sdl":
        cfg["sdl"] = 1
        cfg["vnc"] = 0
        for key, attr in (("display", "display"), ("xauthority", "xauth")):
            if g.get(attr):
                cfg[key] = g.get(attr)
        return
    auto, port = _vnc_port(g)
    cfg["sdl"] = 0
    cfg["vnc"] = 1
    cfg["vncunused"] = int(auto)
    if not auto:
        cfg["vncdisplay"] = port - 5900
    for key, value in (("vnclisten", _listen(g)), ("vncpasswd", g.get("passwd")),
                       ("keymap", g.get("keymap"))):
        if value:
            cfg[key] = value


def s_vifs(d: _Domain, cfg: Cfg) -> None:
    vifs = [_vif(d, net) for net in d.devs("interface")]
    if vifs:
        cfg["vif"] = vifs


def _vif(d: _Domain, net: ET.Element) -> str:
    mac = net.find("mac")
    # libvirt generates a MAC when it defines such a domain; xl does at each start
    parts = [f"mac={mac.get('address')}"] if mac is not None and mac.get("address") else []
    kind = net.get("type")
    ips = " ".join(ip.get("address", "") for ip in net.findall("ip"))
    script_el = net.find("script")
    script = script_el.get("path") if script_el is not None else None
    if kind == "bridge":
        source = net.find("source")
        bridge = source.get("bridge", "") if source is not None else ""
        vport = net.find("virtualport")
        if vport is not None and vport.get("type") == "openvswitch":
            script = script or "vif-openvswitch"
            tags = [t.get("id", "") for t in net.findall("vlan/tag")]
            vlan = net.find("vlan")
            if tags and vlan is not None and vlan.get("trunk") == "yes":
                bridge += "".join(f":{t}" for t in tags)
            elif tags:
                bridge += f".{tags[0]}"
        parts.append(f"bridge={bridge}")
        if ips:
            parts.append(f"ip={ips}")
        parts.append(f"script={script or 'vif-bridge'}")
    elif kind == "ethernet":
        if script:
            parts.append(f"script={script}")
        if ips:
            parts.append(f"ip={ips}")
    else:
        raise _bad(net, f"Unsupported net type '{kind}'")
    model = net.find("model")
    if model is not None and model.get("type"):
        mtype = model.get("type")
        parts.append("type=vif" if d.hvm and mtype == "netfront" else f"model={mtype}")
    target = net.find("target")
    dev = target.get("dev") if target is not None else None
    if dev and not dev.startswith("vif"):  # libvirt's libxl driver names its own vifN.M
        parts.append(f"vifname={dev}")
    outbound = net.find("bandwidth/outbound")
    if outbound is not None and int(outbound.get("average", "0")):
        parts.append(f"rate={outbound.get('average')}KB/s")
    return ",".join(parts)


def s_pci(d: _Domain, cfg: Cfg) -> None:
    pcis = []
    for hostdev in d.devs("hostdev"):
        if hostdev.get("mode", "subsystem") != "subsystem" or hostdev.get("type") != "pci":
            continue
        addr = hostdev.find("source/address")
        if addr is None:
            raise _bad(hostdev, "PCI <hostdev> without <source><address>")
        dom, bus, slot, fn = (int(addr.get(k, "0"), 0) for k in
                              ("domain", "bus", "slot", "function"))
        spec = f"{dom:04x}:{bus:02x}:{slot:02x}.{fn:x}"
        source = hostdev.find("source")  # libvirt reads writeFiltering there
        filtering = source.get("writeFiltering") if source is not None else None
        if filtering in ("yes", "no"):
            spec += f",permissive={int(filtering == 'no')}"
        pcis.append(spec)
    if pcis:
        cfg["pci"] = pcis


def sxpr_chr(el: ET.Element) -> str:
    """xenFormatSxprChr: a character device as xend/xl spell it."""
    kind = el.get("type", "pty")
    source = el.find("source")
    attr = source.get if source is not None else (lambda _k, _d=None: None)
    if kind in ("null", "stdio", "vc", "pty"):
        return kind
    if kind in ("file", "pipe"):
        return f"{kind}:{attr('path') or ''}"
    if kind == "dev":
        return attr("path") or ""
    if kind == "tcp":
        proto = el.find("protocol")
        scheme = "telnet" if proto is not None and proto.get("type") == "telnet" else "tcp"
        listen = ",server,nowait" if attr("mode") == "bind" else ""
        return f"{scheme}:{attr('host') or ''}:{attr('service') or ''}{listen}"
    if kind == "udp":
        sources = el.findall("source")
        conn = next((s for s in sources if s.get("mode") == "connect"), None)
        bind = next((s for s in sources if s.get("mode") == "bind"), None)
        c_host, c_svc = (conn.get("host", ""), conn.get("service", "")) if conn is not None \
            else ("", "")
        b_host, b_svc = (bind.get("host", ""), bind.get("service", "")) if bind is not None \
            else ("", "")
        return f"udp:{c_host}:{c_svc}@{b_host}:{b_svc}"
    if kind == "unix":
        listen = ",server,nowait" if attr("mode") == "bind" else ""
        return f"unix:{attr('path') or ''}{listen}"
    raise _bad(el, f"unsupported chr device type '{kind}'")


def s_chardevs(d: _Domain, cfg: Cfg) -> None:
    if not d.hvm:
        return
    parallels = d.devs("parallel")
    cfg["parallel"] = sxpr_chr(parallels[0]) if parallels else "none"
    serials = d.devs("serial")
    ports = {int(_port(s)): s for s in serials}
    if not serials:
        cfg["serial"] = "none"
    elif len(serials) == 1 and 0 in ports:
        cfg["serial"] = sxpr_chr(serials[0])
    else:
        cfg["serial"] = [sxpr_chr(ports[p]) if p in ports else "none"
                         for p in range(max(ports) + 1)]


def _port(el: ET.Element) -> str:
    target = el.find("target")
    return target.get("port", "0") if target is not None else "0"


def s_sound(d: _Domain, cfg: Cfg) -> None:
    models = [s.get("model", "") for s in d.devs("sound")]
    if d.hvm and models:
        cfg["soundhw"] = ",".join(models)


_BOOT = {"fd": "a", "cdrom": "d", "network": "n", "hd": "c"}


def s_os(d: _Domain, cfg: Cfg) -> None:
    os_el = d.os if d.os is not None else ET.Element("os")
    if d.hvm:
        cfg["builder"] = "hvm"
        loader = os_el.find("loader")
        if loader is not None and loader.get("type") == "pflash":
            cfg["bios"] = "ovmf"
        slic = os_el.find("acpi/table[@type='slic']")
        if slic is not None and _text(slic):
            cfg["acpi_firmware"] = _text(slic)
        for key, tag in (("kernel", "kernel"), ("ramdisk", "initrd"), ("cmdline", "cmdline")):
            if _text(os_el.find(tag)):
                cfg[key] = _text(os_el.find(tag))
        boots = [_BOOT.get(b.get("dev", "hd"), "c") for b in os_el.findall("boot")]
        cfg["boot"] = "".join(boots) or "c"
        cpu = d.root.find("cpu")
        if cpu is not None and cpu.get("mode") == "host-passthrough":
            disabled = any(f.get("name") in ("vmx", "svm")
                           and f.get("policy") in ("disable", "forbid")
                           for f in cpu.findall("feature"))
            cfg["nestedhvm"] = int(not disabled)
        return
    if d.os_type == "xenpvh":
        cfg["type"] = "pvh"
    for key, el in (("bootloader", d.root.find("bootloader")),
                    ("bootargs", d.root.find("bootloader_args")),
                    ("kernel", os_el.find("kernel")), ("ramdisk", os_el.find("initrd")),
                    ("cmdline", os_el.find("cmdline"))):
        if _text(el):
            cfg[key] = _text(el)


# libvirt name -> libxl name (xenTranslateCPUFeature)
_CPUID_NAMES = {"cx16": "cmpxchg16", "cid": "cntxid", "ds_cpl": "dscpl",
                "pclmuldq": "pclmulqdq", "pni": "sse3", "ht": "htt", "pn": "psn",
                "clflush": "clfsh", "sep": "sysenter", "cx8": "cmpxchg8",
                "nodeid_msr": "nodeid", "cr8legacy": "altmovcr8", "lahf_lm": "lahfsahf",
                "cmp_legacy": "cmplegacy", "fxsr_opt": "ffxsr", "pdpe1gb": "page1gb",
                "spec-ctrl": "ibrsb"}
_POLICY = {"force": "1", "require": "1", "optional": "x", "disable": "0", "forbid": "0"}


def s_cpuid(d: _Domain, cfg: Cfg) -> None:
    cpu = d.root.find("cpu")
    if cpu is None or cpu.get("mode") != "host-passthrough":
        return
    pairs = ["host"]
    for feature in cpu.findall("feature"):
        name = _CPUID_NAMES.get(feature.get("name", ""), feature.get("name", ""))
        if name in ("vmx", "svm"):
            continue
        pairs.append(f"{name}={_POLICY.get(feature.get('policy', 'require'), '1')}")
    if len(pairs) > 1:
        cfg["cpuid"] = ",".join(pairs)


def s_vnuma(d: _Domain, cfg: Cfg) -> None:
    cells = d.root.findall("cpu/numa/cell")
    nodes = []
    for i, cell in enumerate(cells):
        size = math.ceil(int(cell.get("memory", "0")) * _UNITS.get(
            cell.get("unit", "KiB").lower(), 1024) / 1024) // 1024
        distances = {int(s.get("id", "0")): s.get("value", "10")
                     for s in cell.findall("distances/sibling")}
        row = ",".join(distances.get(j, "10" if j == i else "20") for j in range(len(cells)))
        nodes.append([f"pnode={i}", f"size={size}",
                      f"vcpus={Bitmap.of(_bitmap(cell.get('cpus', ''))).ranges()}",
                      f"vdistances={row}"])
    if nodes:
        cfg["vnuma"] = nodes


def s_xenbus(d: _Domain, cfg: Cfg) -> None:
    for ctrl in d.devs("controller"):
        if ctrl.get("type") != "xenbus":
            continue
        if int(ctrl.get("maxEventChannels", "0")) > 0:
            cfg["max_event_channels"] = int(ctrl.get("maxEventChannels", "0"))
        if int(ctrl.get("maxGrantFrames", "0")) > 0:
            cfg["max_grant_frames"] = int(ctrl.get("maxGrantFrames", "0"))


_DISK_FORMATS = {"raw": "raw", "vhd": "xvhd", "qcow": "qcow", "qcow2": "qcow2", "qed": "qed"}
_BACKENDS = {"qemu": "qdisk", "file": "qdisk", "tap": "tap", "phy": "phy"}


def s_disks(d: _Domain, cfg: Cfg) -> None:
    disks = [_disk(disk) for disk in d.devs("disk") if disk.get("device") != "floppy"]
    if disks:
        cfg["disk"] = disks


def _disk(disk: ET.Element) -> str:
    driver = disk.find("driver")
    target = disk.find("target")
    fmt = _DISK_FORMATS.get(driver.get("type", "raw") if driver is not None else "raw", "raw")
    parts = [f"format={fmt}", f"vdev={target.get('dev') if target is not None else ''}"]
    access = "ro" if disk.find("readonly") is not None else (
        "!" if disk.find("shareable") is not None else "rw")
    parts.append(f"access={access}")
    if driver is not None and driver.get("name") in _BACKENDS:
        parts.append(f"backendtype={_BACKENDS[driver.get('name', '')]}")
    if disk.get("device") == "cdrom":
        parts.append("devtype=cdrom")
    source = _disk_source(disk)
    if source:
        parts.append(f"target={source}")
    return ",".join(parts)


def _disk_source(disk: ET.Element) -> str | None:
    source = disk.find("source")
    if source is None:
        return None
    kind = disk.get("type", "file")
    if kind in ("file", "block", "dir"):
        return source.get({"file": "file", "block": "dev", "dir": "dir"}[kind])
    if kind == "network" and source.get("protocol") == "rbd":
        volume, _, path = source.get("name", "").partition("/")
        text = f"rbd:{volume}/{path}:auth_supported=none"
        hosts = [h.get("name", "") + (f"\\:{h.get('port')}" if h.get("port") else "")
                 for h in source.findall("host")]
        if hosts:  # qemu's rbd syntax escapes ':' and ';' with one backslash
            text += ":mon_host=" + "\\;".join(hosts)
        return text
    raise _bad(disk, f"unsupported disk source type '{kind}'")


def s_spice(d: _Domain, cfg: Cfg) -> None:
    graphics = d.devs("graphics")
    if not d.hvm or not graphics or graphics[0].get("type") != "spice":
        return
    g = graphics[0]
    cfg["sdl"] = 0
    cfg["vnc"] = 0
    cfg["spice"] = 1
    if _listen(g):
        cfg["spicehost"] = _listen(g)
    cfg["spiceport"] = int(g.get("port", "0"))
    cfg["spicetls_port"] = int(g.get("tlsPort", "0"))
    if g.get("passwd"):
        cfg["spicedisable_ticketing"] = 0
        cfg["spicepasswd"] = g.get("passwd")
    else:
        cfg["spicedisable_ticketing"] = 1
    mouse = g.find("mouse")
    if mouse is not None and mouse.get("mode") in ("server", "client"):
        cfg["spiceagent_mouse"] = int(mouse.get("mode") == "client")
        if mouse.get("mode") == "client":
            cfg["spicevdagent"] = 1
    clipboard = g.find("clipboard")
    if clipboard is not None and clipboard.get("copypaste") == "yes":
        cfg["spice_clipboard_sharing"] = 1
        cfg["spicevdagent"] = 1


_USB_INPUTS = {"mouse": "mouse", "tablet": "tablet", "keyboard": "keyboard"}


def s_inputs(d: _Domain, cfg: Cfg) -> None:
    if not d.hvm:
        return
    devices = []
    for inp in d.devs("input"):
        if inp.get("bus") == "usb":
            cfg["usb"] = 1
            if inp.get("type") in _USB_INPUTS:
                devices.append(_USB_INPUTS[inp.get("type", "")])
    if len(devices) == 1:
        cfg["usbdevice"] = devices[0]
    elif devices:
        cfg["usbdevice"] = devices


def s_usbdev(d: _Domain, cfg: Cfg) -> None:
    devs = []
    for hostdev in d.devs("hostdev"):
        if hostdev.get("type") == "usb":
            bus = hostdev.find("source/address")
            if bus is None:
                raise _bad(hostdev, "USB <hostdev> without <source><address bus= device=>")
            devs.append(f"hostbus={int(bus.get('bus', '0'), 0):x},"
                        f"hostaddr={int(bus.get('device', '0'), 0):x}")
    if devs:
        cfg["usbdev"] = devs


_USB_MODELS = {"qusb1": "type=qusb,version=1,", "qusb2": "type=qusb,version=2,"}


def s_usbctrl(d: _Domain, cfg: Cfg) -> None:
    ctrls = []
    for ctrl in d.devs("controller"):
        if ctrl.get("type") != "usb":
            continue
        text = ""
        if ctrl.get("model"):
            if ctrl.get("model") not in _USB_MODELS:
                raise _bad(ctrl, f"USB controller model '{ctrl.get('model')}' has no xl form")
            text = _USB_MODELS[ctrl.get("model", "")]
        if ctrl.get("ports"):
            text += f"ports={int(ctrl.get('ports', '0')):x}"
        ctrls.append(text)
    if ctrls:
        cfg["usbctrl"] = ctrls


def s_channels(d: _Domain, cfg: Cfg) -> None:
    channels = []
    for ch in d.devs("channel"):
        target = ch.find("target")
        if target is None or target.get("type") != "xen":
            continue
        source = ch.find("source")
        if ch.get("type") == "pty":
            text = "connection=pty,"
        elif ch.get("type") == "unix":
            path = source.get("path") if source is not None else None
            text = "connection=socket," + (f"path={path}," if path else "")
        else:
            raise _bad(ch, f"xen channel of type '{ch.get('type')}' has no xl form")
        channels.append(text + f"name={target.get('name')}")
    if channels:
        cfg["channel"] = channels


_XEN_NS = "{http://libvirt.org/schemas/domain/xen/1.0}"


def _xen_prefix(root: ET.Element) -> str:
    """The prefix the XML binds to libvirt's xen namespace (parsed without
    namespace processing, so tags keep their prefix: 'xen:commandline')."""
    for attr, value in root.attrib.items():
        if attr.startswith("xmlns:") and value == _XEN_NS.strip("{}"):
            return attr[len("xmlns:"):] + ":"
    return _XEN_NS


def s_dm_args(d: _Domain, cfg: Cfg) -> None:
    ns = _xen_prefix(d.root)  # ElementPath would read 'xen:' as its own prefix
    args = [a.get("value", "") for cmd in d.root if cmd.tag == f"{ns}commandline"
            for a in cmd if a.tag == f"{ns}arg"]
    if args:
        cfg["device_model_args"] = args


# --------------------------------------------------------------------------- entry points


_SECTIONS: tuple[Callable[[_Domain, Cfg], None], ...] = (
    s_memory, s_cpu_allocation, s_features, s_time_offset, s_events, s_emulator, s_vfb,
    s_vifs, s_pci, s_chardevs, s_sound, s_os, s_cpuid, s_vnuma, s_xenbus, s_disks, s_spice,
    s_inputs, s_usbdev, s_usbctrl, s_channels, s_dm_args,
)


def xml_to_cfg(text: str | bytes, name: str = "<xml>",
               new_uuid: Callable[[], str] | None = None) -> tuple[Source, Cfg]:
    """libvirt domain XML -> ordered xl.cfg keys (libvirt's xen-xl writer)."""
    src, _, cfg = _read(text, name, new_uuid)
    return src, cfg


def _read(text: str | bytes, name: str,
          new_uuid: Callable[[], str] | None) -> tuple[Source, ET.Element, Cfg]:
    """xml_to_cfg, with the parsed <domain> (the report reads it too)."""
    import uuid as _uuid

    src, root = parse_xml(text, name)
    if root.tag != "domain":
        raise ConfigValueError.at(f"<{root.tag}> is not a libvirt <domain>", src, 0, 1)
    if root.get("type") not in (None, "xen"):
        raise _at(src, root, f"<domain type='{root.get('type')}'> is not a Xen domain")
    cfg: Cfg = {}
    d = _Domain(root)
    try:
        s_general(d, cfg, new_uuid or (lambda: str(_uuid.uuid4())))
        for section in _SECTIONS:
            section(d, cfg)
    except _Bad as exc:
        raise _at(src, exc.el, str(exc)) from None
    except ValueError as exc:
        raise ConfigValueError.at(f"bad number in the XML: {exc}", src, 0, 1) from None
    return src, root, cfg


def _at(src: Source, el: ET.Element | None, message: str) -> ConfigValueError:
    start = int(el.get(_POS, "0")) if el is not None else 0
    return ConfigValueError((Diagnostic("error", message, src, start, start + 1),))


def format_virconf(cfg: Cfg) -> str:
    """libvirt's virConf writing style (the .cfg files libvirt's tests compare)."""
    lines = []
    for key, value in cfg.items():
        lines.append(f"{key} = {_virconf_value(value)}")
    return "\n".join(lines) + "\n"


def _virconf_value(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # libvirt writes its strings raw; the backslashes it holds are xl escapes
        # (\\: in an rbd target), so our unescaped values double them back
        value = value.replace("\\", "\\\\")
        return f"'{value}'" if '"' in value else f'"{value}"'
    return "[ " + ", ".join(_virconf_value(v) for v in value) + " ]" if value else "[ ]"


def xml_to_migration(text: str | bytes, name: str,
                     new_uuid: Callable[[], str] | None = None) -> Migration:
    """For migrate-config: XML -> xl.cfg entries plus a report (what became of
    each key, and every element left behind)."""
    from xl_py.settings.libvirt_report import left_behind, placed
    from xl_py.settings.libvirt_video import video_keys
    from xl_py.settings.libvirt_xl417 import for_xl

    src, root, libvirt_cfg = _read(text, name, new_uuid)
    had_uuid = bool(_text(root.find("uuid")))  # else s_general generated one
    cfg, respelled = for_xl(dict(libvirt_cfg), root)
    report = placed([respelled.pop(k) if k in respelled else ReportItem(
        k, "kept", (k,), "from the libvirt XML") for k in libvirt_cfg if had_uuid or k != "uuid"],
        root, _POS)
    if not had_uuid:
        report.append(ReportItem("uuid", "added", ("uuid",), "no <uuid> in the XML: generated"))
    video, video_items = video_keys(root.find("devices"), _POS, cfg.get("type") == "hvm")
    cfg.update(video)
    unread = [i for i in left_behind(root, _POS, _xen_prefix(root), cfg.get("type") == "hvm")
              if i.key not in respelled]  # elements for_xl read
    report.extend(sorted([*unread, *respelled.values(), *video_items], key=lambda i: i.start))
    return Migration(src, "xml", tuple(cfg.items()), (), tuple(report), ())


def xlcfg_values(text: str | bytes, name: str = "<xl.cfg>") -> dict[str, Any]:
    """An xl.cfg as a plain key -> value mapping (last assignment wins, ``+=``
    appends), the input of :func:`xl_py.render.libvirt_xml.to_xml`."""
    from xl_py.syntax import parse_xlcfg

    out: dict[str, Any] = {}
    for st in parse_xlcfg(text, name).statements:
        value = _plain(st.value)
        if st.op == "+=" and st.key in out:
            prev = out[st.key]
            value = prev + value if isinstance(prev, type(value)) else value
        out[st.key] = value
    return out


def _plain(value: Any) -> Any:
    items = getattr(value, "items", None)
    if items is not None:
        return [_plain(v) for v in items]
    text = value.text
    if not value.quoted:
        try:
            return int(text, 0)
        except ValueError:
            return text
    return text
