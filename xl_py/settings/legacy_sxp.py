"""xend SXP configs flattened to xm key names, so one table maps both.

``(vm ...)`` (``xm create --dryrun``) and ``(domain ...)``
(``/var/lib/xend/domains/*/config.sxp``, ``xm list --long``) carry:

* top-level ``(key value)`` pairs named like the xm keys (``bootloader_args`` is
  xm's ``bootargs``);
* ``(image (linux|hvm ...))``: the builder, and inside it ``kernel ramdisk
  args(-> extra) root ip loader device_model`` and the HVM / display keys;
  ``(cdrom path)`` (xend 3.0) becomes an HVM cdrom disk;
* ``(device (vbd|tap|tap2 (uname)(dev)(mode)(backend)))`` -> ``disk``,
  ``(device (vif ...))`` -> ``vif``, ``(device (pci (dev (domain)(bus)(slot)
  (func)(vslot))...))`` -> ``pci``, ``(device (vfb ...))`` -> ``vfb``;
  ``vkbd`` and ``console`` devices are implied by xl;
* runtime state xend recorded (``domid state cpu_time start_time`` …),
  reported as ignored.

When a bootloader is set, ``kernel``/``ramdisk``/``args`` in the image are the
files pygrub extracted for the last boot: they are dropped, not migrated.
"""

from __future__ import annotations

from typing import Any

from xl_py.errors import ConfigValueError, Diagnostic
from xl_py.settings.legacy import RUNTIME, LegacyInput, LegacyValue
from xl_py.syntax.sxp import SxpAtom, SxpDocument, SxpList

# top-level SXP name -> xm key
_TOP_RENAMES = {"bootloader_args": "bootargs", "pool_name": "pool"}
# image child -> xm key
_IMAGE_RENAMES = {"args": "extra"}
_DISK_DEVICES = ("vbd", "tap", "tap2")
_IMPLIED_DEVICES = {"vkbd": "xl adds the keyboard with the vfb",
                    "console": "xl always gives the guest console 0"}


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

    def put(self, key: str, value: Any, node: SxpList) -> None:
        if key not in self.values:
            self.values[key] = LegacyValue(key, value, node.start, node.end)

    def append(self, key: str, spec: str, node: SxpList) -> None:
        self.lists.setdefault(key, []).append(spec)
        self.list_spans.setdefault(key, (node.start, node.end))

    def warn(self, node: SxpList, message: str) -> None:
        self.diags.append(Diagnostic("warning", message, self.doc.source, node.start,
                                     node.start + 1, code="sxp"))

    def top(self, root: SxpList) -> None:
        for node in root.children():
            name = node.name or ""
            if name == "image":
                self.image(node)
            elif name == "device":
                self.device(node)
            elif name == "vcpus_params":  # xend 3.1+: ((weight 256) (cap 0))
                self.vcpus_params(node)
            elif name == "rtc":  # (rtc (timeoffset N))
                offset = node.text("timeoffset")
                if offset is not None:
                    self.put("rtc_timeoffset", offset, node)
            elif name in RUNTIME:
                self.put(name, _scalar(node), node)
            else:
                value = _scalar(node)
                if value is None:
                    self.warn(node, f"({name} ...) has structure xl_py does not read; skipped")
                    continue
                self.put(_TOP_RENAMES.get(name, name), value, node)

    def vcpus_params(self, node: SxpList) -> None:
        names = {"weight": "cpu_weight", "cap": "cpu_cap"}
        for pair in _lists(node):
            if pair.name in names and _scalar(pair) is not None:
                self.put(names[pair.name], _scalar(pair), pair)

    def image(self, node: SxpList) -> None:
        for kind in node.children():
            builder = kind.name or ""
            self.put("builder", builder, kind)
            for child in kind.children():
                key = child.name or ""
                value = _scalar(child)
                if key == "cdrom" and value:
                    self.cdroms.append((f"file:{value},hdc:cdrom,r", child))
                elif key == "notes":  # ELF notes xend read from the kernel: state
                    self.put("notes", None, child)
                elif value is not None:
                    self.put(_IMAGE_RENAMES.get(key, key), value, child)
                else:
                    self.warn(child, f"(image ({builder} ({key} ...))) not read; skipped")

    def device(self, node: SxpList) -> None:
        for spec in node.children():
            kind = spec.name or ""
            fields = {c.name or "": _scalar(c) for c in spec.children()}
            if kind in _DISK_DEVICES:
                disk = ",".join([fields.get("uname") or "", fields.get("dev") or "",
                                 fields.get("mode") or "r"])
                backend = fields.get("backend")
                self.append("disk", disk + (f",{backend}" if backend not in (None, "0") else ""),
                            spec)
            elif kind == "vif":
                keep = ("mac", "bridge", "script", "type", "ip", "vifname", "rate", "model")
                parts = [f"{k}={fields[k]}" for k in keep if fields.get(k)]
                if fields.get("backend") not in (None, "0"):
                    parts.append(f"backend={fields['backend']}")
                self.append("vif", ",".join(parts), spec)
            elif kind == "pci":
                for dev in spec.children("dev"):
                    self.append("pci", _pci_bdf(dev), dev)
            elif kind == "vfb":
                parts = [f"{k}={v}" for k, v in fields.items() if v is not None
                         and k not in ("location", "uuid")]
                self.append("vfb", ",".join(parts), spec)
            elif kind in _IMPLIED_DEVICES:
                continue
            else:
                self.warn(spec, f"(device ({kind} ...)) has no xl equivalent; skipped")

    def result(self) -> tuple[LegacyValue, ...]:
        for spec, node in self.cdroms:  # after the (device (vbd)) disks, as xend numbered them
            self.append("disk", spec, node)
        out = dict(self.values)
        for key, specs in self.lists.items():
            start, end = self.list_spans[key]
            out[key] = LegacyValue(key, specs, start, end)
        if out.get("bootloader") is not None:
            for key in ("kernel", "ramdisk", "extra"):
                v = out.get(key)
                if v is not None:
                    out[key] = LegacyValue("bootloader:" + key, v.value, v.start, v.end)
        return tuple(out.values())


def _lists(node: SxpList) -> list[SxpList]:
    """``node`` and every list below it (breadth first)."""
    out, queue = [], [node]
    while queue:
        current = queue.pop(0)
        out.append(current)
        queue.extend(item for item in current.items if isinstance(item, SxpList))
    return out


def _pci_bdf(dev: SxpList) -> str:
    def num(key: str, width: int) -> str:
        text = dev.text(key) or "0"
        return f"{int(text, 0):0{width}x}"

    bdf = f"{num('domain', 4)}:{num('bus', 2)}:{num('slot', 2)}.{int(dev.text('func') or '0', 0)}"
    vslot = dev.text("vslot") or dev.text("requested_vslot")
    if vslot and int(vslot, 0) not in (0, 0x100):
        bdf += f"@{int(vslot, 0):x}"
    return bdf


def from_sxp(doc: SxpDocument) -> LegacyInput:
    """Flatten ``(vm ...)`` / ``(domain ...)`` into xm-named legacy values."""
    root = doc.root()
    if root.name not in ("vm", "domain"):
        raise ConfigValueError.at(f"({root.name} ...) is not a domain config", doc.source,
                                  root.start, root.start + 1, expected="(vm ...) or (domain ...)")
    flat = _Flattener(doc)
    flat.top(root)
    return LegacyInput(doc.source, "sxp", flat.result(), tuple(flat.diags))
