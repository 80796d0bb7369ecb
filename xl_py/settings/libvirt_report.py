"""What a running guest's XML (``virsh dumpxml``) says about the running guest.

A config written from such XML leaves these out on purpose: the domain id,
device aliases, the pty a console got, the port an autoport display got, the
name libvirt gave a vif, an empty <backingStore/>, libvirt's default
partition and a 'none' security label.  Each is reported as runtime state
(``ignored``), with its position, rather than as a loss.  So is the child
element of a device that the conversion does not read (:func:`unread_children`:
a ``<shareable/>`` disk, an ``<interface><driver>``): dropped, with its
position; and so is every other element the conversion leaves behind
(:func:`left_behind`).  The keys it does carry are placed at the element they
came from (:func:`placed`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from xl_py._record import replace
from xl_py.settings.legacy import ReportItem

#: top-level elements runtime_state reports (so left_behind does not call them lost)
RUNTIME_TOP = frozenset({"seclabel", "resource"})
_RUNTIME = "runtime state of the running guest"
_VIF_NAME = re.compile(r"vif\d+\.\d+(-emu)?")


class _Items:
    def __init__(self, pos: str) -> None:
        self.pos = pos
        self.items: list[ReportItem] = []

    def __call__(self, key: str, el: ET.Element, detail: str, lost: bool = False) -> None:
        start = int(el.get(self.pos, "0"))
        self.items.append(ReportItem(key, "dropped" if lost else "ignored", (), detail,
                                     start, start + 1))


def runtime_state(root: ET.Element, pos: str) -> list[ReportItem]:
    """One item per runtime-only attribute or element, in document order."""
    add = _Items(pos)
    if root.get("id") is not None:
        add(f"<domain id='{root.get('id')}'>", root,
            f"{_RUNTIME}: its domain id (xl gives each start a new one)")
    for el in root.iter():
        _element(el, add)
    return add.items


def _element(el: ET.Element, add: _Items) -> None:
    tag = el.tag
    if tag == "alias":
        add(f"<alias name='{el.get('name', '')}'>", el, f"{_RUNTIME}: libvirt's device alias")
    elif tag == "backingStore" and not len(el):
        add("<backingStore/>", el, f"{_RUNTIME}: libvirt's probe of the image's backing chain")
    elif tag in ("console", "serial", "parallel", "channel") and el.get("type") == "pty":
        source = el.find("source")
        if el.get("tty") is not None:
            add(f"<{tag} tty='{el.get('tty')}'>", el,
                f"{_RUNTIME}: the pty it got (xl allocates one at each start)")
        if source is not None and source.get("path"):
            add(f"<source path='{source.get('path')}'>", source,
                f"{_RUNTIME}: the pty it got (xl allocates one at each start)")
    elif tag == "graphics" and el.get("autoport") == "yes":
        for attr in ("port", "tlsPort", "websocket"):
            if el.get(attr) not in (None, "-1"):
                add(f"<graphics {attr}='{el.get(attr)}'>", el,
                    f"{_RUNTIME}: the port it got (autoport: a free one is picked at each start)")
    elif tag == "interface":
        _vif_target(el, add)
    elif tag == "seclabel":
        _seclabel(el, add)
    elif tag == "resource":
        _resource(el, add)


def _vif_target(net: ET.Element, add: _Items) -> None:
    target = net.find("target")
    dev = target.get("dev", "") if target is not None else ""
    if target is None or not dev.startswith("vif"):
        return
    if _VIF_NAME.fullmatch(dev):
        add(f"<target dev='{dev}'>", target,
            f"{_RUNTIME}: the name libvirt's libxl driver gave its vif (vifDOMID.N; xl "
            "names the vif of the new domain itself)")
    else:
        add(f"<target dev='{dev}'>", target,
            "libvirt keeps the 'vif' prefix for the names it generates and drops this one "
            "(as its xen-xl converter does): no vifname=", lost=True)


def _seclabel(el: ET.Element, add: _Items) -> None:
    if el.get("type") in ("none", "dynamic") and el.find("label") is None:
        add(f"<seclabel type='{el.get('type')}'>", el,
            f"{_RUNTIME}: libvirt's security label for it (none set in the config)")
    else:
        add("<seclabel>", el, "libvirt's host security label (SELinux/AppArmor) has no xl "
            "form; xl's seclabel= is a Flask (XSM) label, not the same")


def _resource(el: ET.Element, add: _Items) -> None:
    parts = list(el)
    if len(parts) == 1 and parts[0].tag == "partition" and \
            (parts[0].text or "").strip() == "/machine":
        add("<resource>", el, "libvirt's default cgroup partition (/machine); xl sets none")
    else:
        add("<resource>", el, "libvirt's cgroup placement has no xl.cfg key", lost=True)


#: the children of each device that libvirt's xen-xl converter reads (or that
#: this module or libvirt_video reports): the others are reported as dropped
_READ_CHILDREN: dict[str, frozenset[str]] = {
    "disk": frozenset({"driver", "source", "target", "readonly", "shareable"}),
    "interface": frozenset({"mac", "ip", "script", "source", "virtualport", "vlan", "model",
                            "target", "bandwidth"}),
    "hostdev": frozenset({"source"}),
    "graphics": frozenset({"listen", "mouse", "clipboard"}),
    "video": frozenset({"model"}),
    **{tag: frozenset({"source", "protocol", "target"})
       for tag in ("serial", "parallel", "console", "channel")},
}
#: children reported elsewhere (runtime state) or that are libvirt's own bookkeeping
_BOOKKEEPING = frozenset({"alias", "backingStore", "address"})


def unread_children(devices: ET.Element | None, pos: str) -> list[ReportItem]:
    """A 'dropped' item per child element of a device the conversion does not
    read, and an 'ignored' one per libvirt-assigned device address."""
    add = _Items(pos)
    for dev in devices if devices is not None else ():
        read = _READ_CHILDREN.get(dev.tag, frozenset())
        for child in dev:
            if child.tag == "address":
                add(f"<{dev.tag}><address>", child, "libvirt's placement of the device "
                    "(bus, slot or drive address): xl places its devices itself")
            elif child.tag not in read | _BOOKKEEPING:
                add(f"<{dev.tag}><{child.tag}>", child, "libvirt's xen-xl converter reads "
                    f"no <{child.tag}> of a <{dev.tag}>: xl.cfg has no key for it", lost=True)
    return add.items


# elements libvirt's xen-xl converter reads (or implies: xl adds them itself)
_READ_TOP = frozenset({"name", "uuid", "memory", "currentMemory", "vcpu", "os", "features",
                       "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "devices",
                       "bootloader", "bootloader_args"})
_READ_DEVICES = frozenset({"emulator", "disk", "controller", "interface", "hostdev", "serial",
                           "parallel", "console", "channel", "input", "graphics", "sound",
                           "video", "memballoon"})
#: the <features> the conversion reads, per guest type
_READ_FEATURES = {True: frozenset({"pae", "acpi", "apic", "hap", "viridian", "xen"}),
                  False: frozenset({"xen"})}


def left_behind(root: ET.Element, pos: str, xen_prefix: str, hvm: bool) -> list[ReportItem]:
    """Every element the conversion leaves behind, so nothing is dropped silently
    (what a running guest's XML says about the running guest: runtime state)."""
    add = _Items(pos)
    devices = root.find("devices")
    children = [(el, _READ_TOP) for el in root]
    if devices is not None:
        children += [(el, _READ_DEVICES) for el in devices]
    for el, known in children:
        if el.tag not in known | RUNTIME_TOP and el.tag != f"{xen_prefix}commandline":
            add(f"<{el.tag}>", el, "libvirt's xen-xl converter has no xl.cfg key for it",
                lost=True)
    features = root.find("features")
    for el in features if features is not None else ():
        if el.tag in _READ_FEATURES[hvm]:
            continue
        if not hvm and el.tag in _READ_FEATURES[True]:
            add(f"<features><{el.tag}>", el, "a PV guest's kernel decides it; xl has no "
                "key for it (old libvirt wrote it for PV guests too)")
        else:
            add(f"<features><{el.tag}>", el, "xl.cfg has no key for this feature", lost=True)
    items = runtime_state(root, pos) + unread_children(devices, pos) + add.items
    return sorted(items, key=lambda i: i.start)


#: where in the XML each xl.cfg key comes from (the first match places it)
_ORIGIN = {
    "name": ("name",), "uuid": ("uuid",), "memory": ("currentMemory", "memory"),
    "maxmem": ("memory",), "vcpus": ("vcpu",), "maxvcpus": ("vcpu",), "cpus": ("vcpu",),
    "on_poweroff": ("on_poweroff",), "on_reboot": ("on_reboot",), "on_crash": ("on_crash",),
    "bootloader": ("bootloader",), "bootargs": ("bootloader_args",),
    "kernel": ("os/kernel",), "ramdisk": ("os/initrd",), "cmdline": ("os/cmdline",),
    "extra": ("os/cmdline",), "root": ("os/root",), "builder": ("os/type",),
    "type": ("os/type",), "boot": ("os/boot",), "firmware": ("os/loader",),
    "localtime": ("clock",), "rtc_timeoffset": ("clock",), "tsc_mode": ("clock/timer",),
    "hpet": ("clock/timer",), "cpuid": ("cpu",), "nestedhvm": ("cpu",), "vnuma": ("cpu/numa",),
    "cpu_weight": ("cputune/shares",), "disk": ("devices/disk",),
    "vif": ("devices/interface",), "pci": ("devices/hostdev",), "serial": ("devices/serial",),
    "parallel": ("devices/parallel",), "channel": ("devices/channel",),
    "soundhw": ("devices/sound",), "usb": ("devices/input",), "usbdevice": ("devices/input",),
    "usbctrl": ("devices/controller",), "usbdev": ("devices/hostdev",),
    "device_model_override": ("devices/emulator",),
    **{key: ("devices/graphics",) for key in (
        "vfb", "vnc", "sdl", "vncunused", "vnclisten", "vncpasswd", "vncdisplay", "keymap",
        "spice", "spicehost", "spiceport", "spicetls_port", "spicedisable_ticketing",
        "spicepasswd", "spiceagent_mouse", "spicevdagent", "spice_clipboard_sharing")},
    **{key: ("features/" + key, "features") for key in (
        "pae", "acpi", "apic", "hap", "viridian")},
}


def placed(report: list[ReportItem], root: ET.Element, pos: str) -> list[ReportItem]:
    """The report with each unplaced item placed at the element its key came from."""
    out = []
    for item in report:
        paths = _ORIGIN.get(item.key, ()) if item.end <= item.start else ()
        el = next((e for e in map(root.find, paths) if e is not None), None)
        if el is not None:
            start = int(el.get(pos, "0"))
            item = replace(item, start=start, end=start + 1)
        out.append(item)
    return out
