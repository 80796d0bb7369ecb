"""xend SXP configs flattened to xm key names, so one table maps both.

``(vm ...)`` (``xm create --dryrun``) and ``(domain ...)``
(``/var/lib/xend/domains/*/config.sxp``, ``xm list --long``) carry:

* top-level ``(key value)`` pairs named like the xm keys (``bootloader_args`` is
  xm's ``bootargs``, ``pool_name`` its ``pool``); ``(backend (blkif))`` is xm's
  ``blkif=1``; ``(cpus ((0 2) (1 3)))`` is one CPU set per vcpu (xend 3.3+ wrote
  ``(cpus (() ()))``, "no pinning", into every domain);
* xend 3.1+'s XenAPI record fields (``name_label``, ``VCPUs_max``,
  ``PV_kernel``, ``HVM_boot_params`` …): copies of the legacy keys, which xend
  read in preference; used only where the legacy key is missing;
* ``(image (linux|hvm ...))``: the builder, and inside it ``kernel ramdisk
  args(-> extra) root loader device_model`` and the HVM / display keys; ``(ip
  CLIENT:SERVER:GW:MASK:HOST:IF:AUTOCONF)`` is the finished ``ip=`` value,
  which xend put before the args (unless they had ``ip=``); ``(cdrom path)``
  (xend 3.0) becomes an HVM cdrom disk; an empty value means "not set";
* ``(device (vbd|tap|tap2 (uname)(dev)(mode)(backend)))`` -> ``disk``
  (``tapdisk_uname`` wins over the blktap2 ``phy:`` device),
  ``(device (vif ...))`` -> ``vif`` (a running domain's ``(rate BYTES,USECS)``
  becomes xl's ``BYTESB/s@USECSus``), ``(device (pci (dev (domain)(bus)(slot)
  (func)(vdevfn)(opts (k v))...)))`` -> ``pci`` (numbers are hex, as xend read
  them), ``(device (ioports (from)(to)))`` -> ``ioports``, ``(device (irq
  (irq)))`` -> ``irq``, ``(device (vfb ...))`` -> ``vfb`` for PV guests; an HVM
  guest's vfb is its qemu display (image.py), so its keys become the top-level
  ``vnc``/``sdl``/… keys and win over the image's; ``vkbd`` and ``console``
  devices are implied by xl;
* runtime state xend recorded (``domid state cpu_time start_time`` …),
  reported as ignored.

What the reader consumes without making an xm key of it (a XenAPI copy, an
empty ``bootloader``/``description``, the folded ``ip``) goes into the per-key
report as :attr:`LegacyInput.items`, at its place in the source.

With a bootloader, xend handed ``kernel``/``ramdisk``/``args`` to it
(``--kernel= --ramdisk= --args=``), as xl does: they are kept.  Only the copies
pygrub extracted for the last boot (``.../boot_kernel.XXXX``, Xen 3.0's
``/var/lib/xen/vmlinuz.XXXXXX``; xend 3.0 stored them in the image) are
dropped, with the args that came with them.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from xl_py.errors import ConfigValueError, Diagnostic, Severity
from xl_py.settings.legacy import RUNTIME, LegacyInput, LegacyValue, ReportItem, Status
from xl_py.syntax.sxp import SxpAtom, SxpDocument, SxpList

# top-level SXP name -> xm key
_TOP_RENAMES = {"bootloader_args": "bootargs", "pool_name": "pool"}
# image child -> xm key
_IMAGE_RENAMES = {"args": "extra"}
_DISK_DEVICES = ("vbd", "tap", "tap2")
_IMPLIED_DEVICES = {"vkbd": "xl adds the keyboard with the vfb",
                    "console": "xl always gives the guest console 0"}
# XenAPI record field -> the legacy key xend wrote next to it (XendConfig.to_sxp)
_XENAPI_TWINS = {
    "name_label": "name", "VCPUs_max": "vcpus", "actions_after_shutdown": "on_poweroff",
    "actions_after_reboot": "on_reboot", "actions_after_crash": "on_crash",
    "PV_bootloader": "bootloader", "PV_bootloader_args": "bootloader_args",
    "Description": "description",
}
# XenAPI record fields the legacy keys and the image carry (or bookkeeping)
_XENAPI_RECORD = frozenset({
    "PV_kernel", "PV_ramdisk", "PV_args", "HVM_boot_policy", "HVM_boot_params",
    "VCPUs_at_startup", "VCPUs_live", "is_a_template", "auto_power_on", "user_version",
    "name_description", "tools_version", "resident_on", "PCI_bus", "actions_after_suspend",
})
# the vfb keys xend read (vfbif CONFIG_ENTRIES, image.py); the rest is runtime
_VFB_KEYS = ("type", "vnc", "sdl", "vncunused", "vncdisplay", "vnclisten", "vncpasswd",
             "display", "xauthority", "keymap", "opengl", "videoram", "serial", "monitor")
# pygrub's copies for the last boot: /var/run/xend/boot/boot_kernel.XXXXXX from Xen
# 3.0.4 on; Xen 3.0.x (RHEL 5's xen-3.0.3) wrote mkstemp files in /var/lib/xen
_EXTRACTED = re.compile(r"(?:.*/)?boot_(?:kernel|ramdisk)\.[^/]+"
                        r"|/var/lib/xen/(?:vmlinuz|initrd)\.[A-Za-z0-9_]{6}")
_UNLIMITED_RATE = 0xFFFFFFFF


def _scalar(node: SxpList) -> str | None:
    """``(key value)`` -> 'value'; ``(key)`` -> ''; ``(key (sub ...))`` -> None."""
    if len(node.items) == 1:
        return ""
    if len(node.items) == 2 and isinstance(node.items[1], SxpAtom):
        return node.items[1].text
    return None


class _Flattener:
    def __init__(self, doc: SxpDocument) -> None:
        self.doc = doc
        self.values: dict[str, LegacyValue] = {}
        self.lists: dict[str, list[str]] = {}
        self.list_spans: dict[str, tuple[int, int]] = {}
        self.diags: list[Diagnostic] = []
        self.cdroms: list[tuple[str, SxpList]] = []
        self.vfbs: list[tuple[dict[str, str], SxpList]] = []
        self.twins: list[tuple[str, str, SxpList]] = []
        self.record: list[SxpList] = []
        self.ip: tuple[str, SxpList] | None = None
        self.seen: set[str] = set()
        self.items: list[ReportItem] = []
        self.any_slot: set[str] = set()  # BDFs the image's (pci ...) asked any slot for
        self.pci_devs: list[tuple[int, SxpList]] = []  # (index in lists["pci"], (dev ...))

    def put(self, key: str, value: Any, node: SxpList, *, override: bool = False) -> None:
        if override or key not in self.values:
            self.values[key] = LegacyValue(key, value, node.start, node.end)

    def append(self, key: str, spec: str, node: SxpList) -> None:
        self.lists.setdefault(key, []).append(spec)
        self.list_spans.setdefault(key, (node.start, node.end))

    def diag(self, severity: Severity, node: SxpList | SxpAtom, message: str,
             expected: str | None = None) -> None:
        end = node.end if severity == "error" else node.start + 1
        self.diags.append(Diagnostic(severity, message, self.doc.source, node.start, end,
                                     expected=expected, code="sxp"))

    def warn(self, node: SxpList, message: str) -> None:
        self.diag("warning", node, message)

    def item(self, node: SxpList, key: str, status: Status, xl: tuple[str, ...],
             detail: str) -> None:
        """A report line for source text read without making a key of it."""
        self.items.append(ReportItem(key, status, xl, detail, node.start, node.end))

    # ------------------------------------------------------------------ top level

    def top(self, root: SxpList) -> None:
        for node in root.children():
            name = node.name or ""
            self.seen.add(name)
            handler = _TOP_HANDLERS.get(name)
            if handler is not None:
                handler(self, node)
            elif name in _XENAPI_TWINS:
                self.twins.append((name, _XENAPI_TWINS[name], node))
            elif name in _XENAPI_RECORD:
                self.record.append(node)
            elif name in RUNTIME:
                self.put(name, _scalar(node), node)
            else:
                self.pair(name, node)

    def pair(self, name: str, node: SxpList) -> None:
        value = _scalar(node)
        if value is None:
            self.warn(node, f"({name} ...) has structure xl_py does not read; skipped")
        elif name in ("bootloader", "description") and not value:
            self.item(node, name, "dropped", (), f"({name} '') is xend's 'no {name}': "
                      "not written")
        else:
            self.put(_TOP_RENAMES.get(name, name), value, node)

    def cpus(self, node: SxpList) -> None:
        """``(cpus "0-3")``; ``(cpus ((0 2) (1 3)))`` one set per vcpu (the same set for
        every vcpu is how xend 3.1+ stored ``cpus="0-3"``: read back as that string, so
        xl keeps NUMA placement as for the xm config); ``(cpus (1 3))`` xend 3.1's one
        set of integers for every vcpu."""
        value = _scalar(node)
        if value is not None:
            self.put("cpus", value, node)
            return
        if len(node.items) != 2 or not isinstance(node.items[1], SxpList):
            self.warn(node, "(cpus ...) is neither a CPU list nor one list per vcpu; skipped")
            return
        inner = node.items[1].items
        if all(isinstance(i, SxpAtom) for i in inner):
            self.put("cpus", [int(i.text) if i.text.isdigit() else i.text
                              for i in inner if isinstance(i, SxpAtom)], node)
            return
        sets = [",".join(a.text for a in i.items if isinstance(a, SxpAtom))
                if isinstance(i, SxpList) else i.text for i in inner]
        if len(set(sets)) == 1 and sets[0]:  # xend 3.1+ stored cpus="4-7" once per vcpu
            self.put("cpus", sets[0], node)
        elif any(sets):  # all empty: xend's "no pinning"
            self.put("cpus", [s or "all" for s in sets], node)

    def backend(self, node: SxpList) -> None:
        """``(backend (blkif))``: create.py's blkif=1 / netif=1."""
        for item in node.items[1:]:
            kind = item.name if isinstance(item, SxpList) else item.text
            if kind in ("blkif", "netif"):
                self.put(kind, "1", node)

    def vcpus_params(self, node: SxpList) -> None:
        names = {"weight": "cpu_weight", "cap": "cpu_cap"}
        for pair in _lists(node):
            if pair.name in names and _scalar(pair) is not None:
                self.put(names[pair.name], _scalar(pair), pair)

    def rtc(self, node: SxpList) -> None:
        offset = node.text("timeoffset")
        if offset is not None:
            self.put("rtc_timeoffset", offset, node)

    # ------------------------------------------------------------------ image

    def image(self, node: SxpList) -> None:
        for kind in node.children():
            builder = kind.name or ""
            self.put("builder", builder, kind)
            for child in kind.children():
                self.image_key(builder, child)

    def image_key(self, builder: str, child: SxpList) -> None:
        key = child.name or ""
        value = _scalar(child)
        if key == "notes":  # ELF notes xend read from the kernel: state
            self.put("notes", None, child)
        elif key == "pci" and value is None:
            self.platform_pci(child)  # HVM platform copy of the (device (pci ...)) list
        elif value is None and _empty_list(child):  # xm create 4.x: (cpuid ()) (cpuid_check ())
            self.item(child, key, "dropped", (), f"({key} ()) is an empty list: none")
        elif value is None:
            self.warn(child, f"(image ({builder} ({key} ...))) not read; skipped")
        elif not (value.strip() if key == "args" else value):
            return  # xend: an empty image value is an unset one
        elif key == "vncpasswd" and value == "None":
            self.item(child, key, "dropped", (), "'None' is how xm create --dryrun of Xen "
                      "3.0.4-3.1 printed an unset password (Python's None): no password, as "
                      "in the xm config; add vncpasswd= if 'None' really was the password")
        elif key == "cdrom":
            self.cdroms.append((f"file:{value},hdc:cdrom,r", child))
        elif key == "ip":
            self.ip = (value, child)
        elif key == "args":  # blanks around it mean nothing (xend joined "root=X " + extra)
            self.put("extra", value.strip(), child)
        elif key == "vcpus":  # xend 2.0 / 3.0: the image's vcpus won
            self.put("vcpus", value, child, override=True)
        else:
            self.put(_IMAGE_RENAMES.get(key, key), value, child)

    # ------------------------------------------------------------------ devices

    def device(self, node: SxpList) -> None:
        for spec in node.children():
            kind = spec.name or ""
            handler = _DEVICE_HANDLERS.get(kind)
            if handler is not None:
                handler(self, spec)
            elif kind in _IMPLIED_DEVICES:
                continue
            else:
                self.warn(spec, f"(device ({kind} ...)) has no xl equivalent; skipped")

    def disk(self, spec: SxpList) -> None:
        fields = _fields(spec)
        uname = fields.get("tapdisk_uname") or fields.get("uname") or ""
        disk = ",".join([uname, fields.get("dev") or "", fields.get("mode") or "r"])
        backend = fields.get("backend")
        self.append("disk", disk + (f",{backend}" if backend not in (None, "0") else ""), spec)

    def vif(self, spec: SxpList) -> None:
        fields = _fields(spec)
        keep = ("mac", "bridge", "script", "type", "ip", "vifname", "rate", "model")
        rate = fields.get("rate")
        if rate and re.fullmatch(r"\d+,\d+", rate):
            fields["rate"] = self.xenstore_rate(rate, spec)
        parts = [f"{k}={fields[k]}" for k in keep if fields.get(k)]
        if fields.get("backend") not in (None, "0"):
            parts.append(f"backend={fields['backend']}")
        self.append("vif", ",".join(parts), spec)

    def xenstore_rate(self, rate: str, spec: SxpList) -> str:
        """A running domain's ``BYTES,USECS`` (netif.parseRate) as xl's rate."""
        per_interval, usecs = (int(n) for n in rate.split(","))
        if usecs == 0 or per_interval >= _UNLIMITED_RATE:
            self.diag("note", spec, f"vif rate {rate} is xend's 'unlimited': no rate= written")
            return ""
        per_second, rest = divmod(per_interval * 1_000_000, usecs)
        if rest:
            self.diag("note", spec, f"vif rate {rate} ({per_interval} bytes per {usecs} us) "
                      f"rounded to {per_second} bytes/s")
        return f"{per_second}B/s@{usecs}us"

    def platform_pci(self, node: SxpList) -> None:
        """``(pci ((0x0000 0x03 0x00 0x0 0x100 ()) ...))``: xend 4's platform copy, made
        at start (update_platform_pci) with the vdevfn the config asked for; 0x100: any."""
        entries = node.items[1].items if len(node.items) == 2 and \
            isinstance(node.items[1], SxpList) else ()
        for entry in entries:
            atoms = [a.text for a in getattr(entry, "items", ())[:5] if isinstance(a, SxpAtom)]
            with contextlib.suppress(ValueError):
                dom, bus, slot, func, vdevfn = (int(a, 16) for a in atoms)
                if vdevfn & 0x100:
                    self.any_slot.add(f"{dom:04x}:{bus:02x}:{slot:02x}.{func:x}")

    def pci(self, spec: SxpList) -> None:
        for dev in spec.children("dev"):
            bdf = _pci_bdf(self, dev)
            if bdf is not None:
                self.pci_devs.append((len(self.lists.get("pci", [])), dev))
                self.append("pci", bdf, dev)

    def unpin_pci(self) -> None:
        """xend wrote the slot the device model gave a function back into its
        (dev (vdevfn ...)): where the config asked for any slot, that is state."""
        for index, dev in self.pci_devs:
            spec = self.lists["pci"][index]
            bdf, at, rest = spec.partition("@")
            if bdf in self.any_slot and at:
                slot, _, opts = rest.partition(",")
                self.lists["pci"][index] = ",".join(p for p in (bdf, opts) if p)
                self.item(dev, "vdevfn", "ignored", (), f"runtime state: the slot xend's device "
                          f"model gave {bdf} at the last boot ({slot}); the config asked for any "
                          f"slot (the image's pci list): xl picks one (add @{slot} to keep it)")

    def ioports(self, spec: SxpList) -> None:
        """``(ioports (from 0x2f8) (to 0x2ff))``: iopif.parse_ioport (0x = hex, else
        decimal) -> xl's hex ``2f8-2ff``."""
        ends = []
        for key in ("from", "to"):
            number = _number(self, spec.value(key), spec, key, 0)
            if number is None:
                return
            ends.append(f"{number:x}")
        self.append("ioports", "-".join(ends), spec)

    def irq(self, spec: SxpList) -> None:
        number = _number(self, spec.value("irq"), spec, "irq", 10)
        if number is not None:
            self.append("irq", str(number), spec)

    def vfb(self, spec: SxpList) -> None:
        fields = _fields(spec)
        self.vfbs.append(({k: v for k, v in fields.items() if k in _VFB_KEYS and v is not None},
                          spec))

    # ------------------------------------------------------------------ result

    def finish(self) -> None:
        hvm = (self.values.get("builder") is not None
               and self.values["builder"].value in ("hvm", "vmx"))
        for fields, spec in self.vfbs:
            if hvm:
                self.hvm_display(fields, spec)
            else:
                self.append("vfb", ",".join(f"{k}={v}" for k, v in fields.items()), spec)
        for xenapi, legacy, node in self.twins:
            if legacy in self.seen:
                self.item(node, xenapi, "ignored", (), f"xend's XenAPI copy of ({legacy} ...), "
                          "which this file has: not read")
            else:
                self.pair(legacy, node)
        for node in self.record:
            self.item(node, node.name or "", "ignored", (), "xend's XenAPI record field: "
                      "the legacy keys and the image of this file carry the configuration")
        self.fold_ip()
        self.unpin_pci()

    def hvm_display(self, fields: dict[str, str], spec: SxpList) -> None:
        """An HVM vfb is qemu's display (image.py parseDeviceModelArgs)."""
        for key, value in fields.items():
            if key == "type":
                key, value = value, "1"
            self.put(key, value, spec, override=True)

    def fold_ip(self) -> None:
        """``(ip ...)``: xend wrote "ip=VALUE ARGS" unless the args had ip=."""
        if self.ip is None:
            return
        value, node = self.ip
        extra = self.values.get("extra")
        args = extra.value if extra is not None else ""
        if re.search(r"ip=\S", args):
            self.item(node, "ip", "dropped", (), "the image's ip= parameter: not used, the "
                      "args already have ip=, as xend found too")
            return
        start, end = (extra.start, extra.end) if extra is not None else (node.start, node.end)
        self.values["extra"] = LegacyValue("extra", f"ip={value} {args}".rstrip(), start, end)
        self.item(node, "ip", "changed", ("extra",), f"the image's ip= parameter: extra= "
                  f"starts with \"ip={value}\", as xend's command line did")

    def result(self) -> tuple[LegacyValue, ...]:
        self.finish()
        for spec, node in self.cdroms:  # after the (device (vbd)) disks, as xend numbered them
            self.append("disk", spec, node)
        out = dict(self.values)
        for key, specs in self.lists.items():
            start, end = self.list_spans[key]
            out[key] = LegacyValue(key, specs, start, end)
        kernel = out.get("kernel")
        if out.get("bootloader") is not None and kernel is not None and \
                _EXTRACTED.fullmatch(str(kernel.value)):
            for key in ("kernel", "ramdisk", "extra"):
                v = out.get(key)
                if v is not None:
                    out[key] = LegacyValue("bootloader:" + key, v.value, v.start, v.end)
        return tuple(out.values())


def _empty_list(node: SxpList) -> bool:
    """``(key ())``: how xend's sxp.show printed an empty Python list."""
    return len(node.items) == 2 and isinstance(node.items[1], SxpList) \
        and not node.items[1].items


def _fields(spec: SxpList) -> dict[str, str | None]:
    """A device's ``(key value)`` children; the last of a key wins (a dict in xend)."""
    return {c.name or "": _scalar(c) for c in spec.children()}


_TOP_HANDLERS = {
    "image": _Flattener.image, "device": _Flattener.device, "cpus": _Flattener.cpus,
    "vcpus_params": _Flattener.vcpus_params,  # xend 3.1+: ((weight 256) (cap 0))
    "rtc": _Flattener.rtc, "backend": _Flattener.backend,
}
_DEVICE_HANDLERS = {
    "vbd": _Flattener.disk, "tap": _Flattener.disk, "tap2": _Flattener.disk,
    "vif": _Flattener.vif, "pci": _Flattener.pci, "ioports": _Flattener.ioports,
    "irq": _Flattener.irq, "vfb": _Flattener.vfb,
}


def _lists(node: SxpList) -> list[SxpList]:
    """``node`` and every list below it (breadth first)."""
    out, queue = [], [node]
    while queue:
        current = queue.pop(0)
        out.append(current)
        queue.extend(item for item in current.items if isinstance(item, SxpList))
    return out


def _number(flat: _Flattener, atom: SxpAtom | None, owner: SxpList, key: str,
            base: int) -> int | None:
    """An integer field; ``base`` 16 (pci), 10 (irq) or 0 (``0x`` = hex, else
    decimal, as iopif read ports).  None (and an error) when missing or bad."""
    kind = {16: "a hex number", 10: "a decimal number"}.get(base, "a number (0x... for hex)")
    if atom is None:
        flat.diag("error", owner, f"({owner.name} ...) has no ({key} ...)",
                  expected=f"({key} N) with N {kind}")
        return None
    text = atom.text.strip()
    try:
        if base == 0:
            return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        return int(text, base)
    except ValueError:
        flat.diag("error", atom, f"({key} {text}): not {kind}")
        return None


def _pci_bdf(flat: _Flattener, dev: SxpList) -> str | None:
    """``(dev (domain 0x0000) (bus 0x03) (slot 0x00) (func 0x1) (vdevfn 0x28)
    (opts (msitranslate 1)))`` -> ``0000:03:00.1@5,msitranslate=1``.  xend read
    the numbers as hex (pci_convert_sxp_to_dict); ``vdevfn`` is the guest's
    devfn, 0x100 meaning "any slot"; xend 3.4's ``vslot`` was the slot itself."""
    nums = {}
    for key, default in (("domain", "0"), ("bus", None), ("slot", None), ("func", "0")):
        atom = dev.value(key)
        if atom is None and default is not None:
            nums[key] = int(default)
            continue
        number = _number(flat, atom, dev, key, 16)
        if number is None:
            return None
        nums[key] = number
    bdf = f"{nums['domain']:04x}:{nums['bus']:02x}:{nums['slot']:02x}.{nums['func']:x}"
    vslot = _vslot(flat, dev)
    if vslot is not None:
        bdf += f"@{vslot:x}"
    opts = [f"{p.items[0].text}={p.items[1].text}" for o in dev.children("opts")
            for p in _lists(o)[1:] if len(p.items) == 2
            and isinstance(p.items[0], SxpAtom) and isinstance(p.items[1], SxpAtom)]
    return ",".join([bdf, *opts])


def _vslot(flat: _Flattener, dev: SxpList) -> int | None:
    for key, is_devfn in (("vdevfn", True), ("vslot", False), ("requested_vslot", False)):
        atom = dev.value(key)
        if atom is None:
            continue
        number = _number(flat, atom, dev, key, 16)
        if number is None or number & 0x100 or (not is_devfn and number == 0):
            return None
        return number >> 3 if is_devfn else number
    return None


def from_sxp(doc: SxpDocument) -> LegacyInput:
    """Flatten ``(vm ...)`` / ``(domain ...)`` into xm-named legacy values."""
    root = doc.root()
    if root.name not in ("vm", "domain"):
        raise ConfigValueError.at(f"({root.name} ...) is not a domain config", doc.source,
                                  root.start, root.start + 1, expected="(vm ...) or (domain ...)")
    flat = _Flattener(doc)
    flat.top(root)
    values = flat.result()
    return LegacyInput(doc.source, "sxp", values, tuple(flat.diags), tuple(flat.items))
