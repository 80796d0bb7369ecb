"""xm / xend device specs rewritten as xl device specs (disk, vif, vfb, pci).

Each function takes one legacy spec string and returns the xl spec plus the
list of changes it made, so the migration report can say what moved.  The
rules, from xend 4.4 (``create.py``, ``blkif.py``) and xl 4.17
(``xl-disk-configuration.5``, ``xl-network-configuration.5``):

disk ``[prefix:]target,vdev[:cdrom],mode[,backend]``
    ``phy:`` ``file:`` ``drbd:`` … and the blktap chains
    ``tap[2]:[tapdisk:|ioemu:]DRIVER:`` (aio sync ram qcow qcow2 vhd) become
    ``format=`` / ``script=`` / ``backendtype=`` keys (``ioemu:``: qemu served
    the image, which is xl's ``backendtype=qdisk``); ``vmdk`` and ``remus``
    images are refused (xl reads neither);
    ``ioemu:`` on the vdev is dropped (xl emulates hdX and gives it a PV path
    too); ``w!`` (xend's "write even if another domain has it") becomes ``rw``
    — xl never checks sharing; ``phy:sda7`` becomes ``/dev/sda7`` as xend did.
vif ``key=value,...``
    ``type=ioemu`` is dropped (in xend it meant "emulated NIC, plus PV";
    xl's default for HVM is the same, while xl's ``type=ioemu`` means
    emulated *only*); ``type=netfront`` becomes ``type=vif``; ``policy`` /
    ``label`` (ACM) and ``accel`` have no xl equivalent.
vfb ``type=vnc|sdl,...``
    becomes ``vnc=1`` / ``sdl=1``; the other keys keep their names.
pci ``[dom:]bus:dev.fn[@vslot][,opt=val]``
    xl reads the same BDF syntax.
"""

from __future__ import annotations

import re

from xl_py._record import Record


class DeviceSpec(Record):
    """One converted device: the xl spec, the changes made, and fatal problems."""

    spec: str
    changes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


class _Prefix(Record):
    """What a disk prefix chain meant: the image format (None: let xl decide,
    i.e. raw), a hotplug script, xl's backendtype, and a note for the report."""

    fmt: str | None = None
    script: str | None = None
    backendtype: str | None = None
    note: str = ""


# blktap drivers (blktapctrl's dtypes, blktap2's tap-ctl, BlktapController's
# blktap1/blktap2_disk_types) -> xl's format; the ones xl cannot read are refused
_TAP_DRIVERS: dict[str, str] = {"aio": "raw", "sync": "raw", "ram": "raw", "qcow": "qcow",
                                "qcow2": "qcow2", "vhd": "vhd"}
_TAP_REFUSED: dict[str, str] = {
    "vmdk": "a VMware image: xl reads no VMDK; convert it (qemu-img convert -O qcow2) and "
            "use format=qcow2",
    "remus": "blktap2's Remus replication driver: xl has no such disk; give the image's "
             "own path and format, and replicate with 'xl remus'",
}
_TAP_RAM = ("tapdisk's ram driver kept the image in memory and never wrote the guest's "
            "changes back; xl writes them to the image (give it a copy if the guest relied "
            "on that)")
# tap:<subtype>:<driver>: which process served the image (BlktapController
# createDevice, blktapctrl get_tapdisk_type): tapdisk itself, or qemu
# (tapdisk-ioemu / qemu-dm), which is xl's qdisk backend
_TAP_SUBTYPES = {"": None, "tapdisk:": None, "ioemu:": "qdisk"}


def _disk_prefixes() -> dict[str, _Prefix]:
    table = {
        "phy": _Prefix(backendtype="phy"),  # xend's block-device backend
        "file": _Prefix("raw"),
        "drbd": _Prefix(script="block-drbd"),
        "iscsi": _Prefix(script="block-iscsi"),
        "nbd": _Prefix(script="block-nbd"),
        "enbd": _Prefix(script="block-enbd"),
        # xl's own deprecated prefixes (xl-disk-configuration.5)
        **{fmt: _Prefix("raw" if fmt == "aio" else fmt)
           for fmt in ("aio", "raw", "qcow", "qcow2", "vhd")},
    }
    for head in ("tap", "tap2"):
        for sub, backendtype in _TAP_SUBTYPES.items():
            for driver, fmt in _TAP_DRIVERS.items():
                note = _TAP_RAM if driver == "ram" else ""
                table[f"{head}:{sub}{driver}"] = _Prefix(fmt, None, backendtype, note)
            for driver in _TAP_REFUSED:
                table[f"{head}:{sub}{driver}"] = _Prefix()
    return table


_DISK_PREFIXES = _disk_prefixes()


def _prefix_change(prefix: str, info: _Prefix) -> str:
    keys = [f"format={info.fmt}" if info.fmt else "",
            f"script={info.script}" if info.script else "",
            f"backendtype={info.backendtype}" if info.backendtype else ""]
    text = f"'{prefix}:' prefix -> " + ", ".join(k for k in keys if k)
    if info.backendtype == "qdisk":
        text += " (qemu served the image, as xl's qdisk backend does)"
    return text + (f"; {info.note}" if info.note else "")


_ACCESS = {"r": "ro", "ro": "ro", "w": "rw", "rw": "rw", "w!": "rw"}


def _split_prefix(target: str) -> tuple[str, str]:
    """Longest known ``a:b:c:`` prefix of a disk target, and the rest."""
    parts = target.split(":")
    for n in range(min(3, len(parts) - 1), 0, -1):
        prefix = ":".join(parts[:n])
        if prefix in _DISK_PREFIXES:
            return prefix, ":".join(parts[n:])
    return "", target


def convert_disk(spec: str) -> DeviceSpec:
    """``file:/img,hda,w`` -> ``format=raw, vdev=hda, access=rw, target=/img``."""
    fields = [f.strip() for f in spec.split(",")]
    if len(fields) < 3 or len(fields) > 4:
        return DeviceSpec(spec, problems=(
            f"disk '{spec}': expected 'target,vdev,mode[,backend]'",))
    target, vdev, mode = fields[:3]
    changes: list[str] = []
    prefix, path = _split_prefix(target)
    if target and not prefix and ":" in target.split("/")[0]:
        return DeviceSpec(spec, problems=(f"disk '{spec}': unknown prefix in '{target}'",))
    info = _DISK_PREFIXES.get(prefix, _Prefix())
    driver = prefix.rpartition(":")[2]
    if prefix.startswith("tap") and driver in _TAP_REFUSED:
        return DeviceSpec(spec, problems=(
            f"disk '{spec}': '{prefix}:' is {_TAP_REFUSED[driver]}",))
    fmt, script = info.fmt, info.script
    if prefix:
        changes.append(_prefix_change(prefix, info))
    if prefix == "phy" and path and not path.startswith("/"):
        path = "/dev/" + path
        changes.append(f"phy:{path[5:]} -> /dev/{path[5:]} (xend prefixed /dev/)")
    cdrom = vdev.endswith(":cdrom")
    if cdrom:
        vdev = vdev[: -len(":cdrom")]
    if vdev.startswith("ioemu:"):
        vdev = vdev[len("ioemu:"):]
        changes.append("'ioemu:' dropped from the vdev (xl emulates hdX and adds a PV path)")
    if vdev.endswith(":disk"):
        vdev = vdev[: -len(":disk")]
    access = _ACCESS.get(mode)
    if access is None:
        return DeviceSpec(spec, problems=(f"disk '{spec}': mode '{mode}' is not r, w or w!",))
    if mode == "w!":
        changes.append("'w!' -> rw: xl does not check whether another domain uses the disk")
    if not vdev:
        return DeviceSpec(spec, problems=(f"disk '{spec}': no virtual device",))
    parts = []
    if not path:
        fmt = "empty"
        if not cdrom:
            return DeviceSpec(spec, problems=(f"disk '{spec}': no target and not a cdrom",))
    if fmt:
        parts.append(f"format={fmt}")
    parts += [f"vdev={vdev}", f"access={access}"]
    if info.backendtype:
        parts.append(f"backendtype={info.backendtype}")
    if cdrom:
        parts.append("devtype=cdrom")
    if len(fields) == 4 and fields[3]:
        parts.append(f"backend={fields[3]}")
    if script:
        parts.append(f"script={script}")
    parts.append(f"target={path}")
    return DeviceSpec(", ".join(parts), tuple(changes))


def _kv(spec: str) -> list[tuple[str, str]]:
    """xend's comma_sep_kv_to_dict, keeping order; a bare word maps to ''."""
    out: list[tuple[str, str]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition("=")
        out.append((key.strip(), value.strip()))
    return out


# vif key -> xl key (same name unless given); None = no xl equivalent (reason)
_VIF_KEYS: dict[str, str | None] = {
    "mac": "mac", "bridge": "bridge", "ip": "ip", "script": "script", "backend": "backend",
    "vifname": "vifname", "rate": "rate", "model": "model", "type": "type",
    "accel": None, "policy": None, "label": None, "uuid": None,
}
_VIF_DROP_REASON = {
    "accel": "netchannel accelerator plugins do not exist in xl",
    "policy": "ACM security policy labels were removed from Xen (use seclabel= on the domain)",
    "label": "ACM security policy labels were removed from Xen (use seclabel= on the domain)",
    "uuid": "xl does not take a vif uuid",
}


def convert_vif(spec: str) -> DeviceSpec:
    """``type=ioemu, bridge=xenbr0`` -> ``bridge=xenbr0`` (see module docstring)."""
    parts: list[str] = []
    changes: list[str] = []
    for key, value in _kv(spec):
        if key not in _VIF_KEYS:
            return DeviceSpec(spec, problems=(f"vif '{spec}': unknown option '{key}'",))
        target = _VIF_KEYS[key]
        if target is None:
            changes.append(f"'{key}={value}' dropped: {_VIF_DROP_REASON[key]}")
            continue
        if key == "type":
            if value == "ioemu":
                changes.append("'type=ioemu' dropped: xend's ioemu meant emulated + PV, "
                               "which is xl's default for HVM (xl's type=ioemu is emulated only)")
                continue
            if value == "netfront":
                value = "vif"
                changes.append("'type=netfront' -> 'type=vif'")
        parts.append(f"{target}={value}")
    return DeviceSpec(",".join(parts), tuple(changes))


_VFB_KEYS = frozenset({"vnclisten", "vncunused", "vncdisplay", "display", "xauthority", "sdl",
                       "vnc", "vncpasswd", "opengl", "keymap"})


def convert_vfb(spec: str) -> DeviceSpec:
    """``type=vnc,vncunused=1`` -> ``vnc=1,vncunused=1``."""
    parts: list[str] = []
    changes: list[str] = []
    for key, value in _kv(spec):
        if key == "type":
            if value not in ("vnc", "sdl"):
                return DeviceSpec(spec, problems=(f"vfb '{spec}': type must be vnc or sdl",))
            parts.append(f"{value}=1")
            changes.append(f"'type={value}' -> '{value}=1'")
        elif key in ("videoram", "serial", "monitor"):
            changes.append(f"'{key}={value}' dropped: xl's vfb has no {key} (use the domain's "
                           f"{'videoram' if key == 'videoram' else key} setting)")
        elif key in _VFB_KEYS:
            parts.append(f"{key}={value}")
        else:
            return DeviceSpec(spec, problems=(f"vfb '{spec}': unknown option '{key}'",))
    return DeviceSpec(",".join(parts), tuple(changes))


_BDF = re.compile(
    r"^(?:[0-9a-fA-F]{1,4}:)?[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7*](?:@[0-9a-fA-F]+)?$")
_PCI_OPTS = frozenset({"msitranslate", "power_mgmt", "permissive", "seize", "rdm_policy"})


def convert_pci(spec: str) -> DeviceSpec:
    """xend's BDF specs are xl's; options outside xl's set are refused."""
    bdf, *opts = [p.strip() for p in spec.split(",")]
    if not _BDF.match(bdf):
        return DeviceSpec(spec, problems=(f"pci '{spec}': '{bdf}' is not [dom:]bus:dev.fn",))
    for opt in opts:
        key = opt.partition("=")[0]
        if key not in _PCI_OPTS:
            return DeviceSpec(spec, problems=(f"pci '{spec}': unknown option '{key}'",))
    return DeviceSpec(",".join([bdf, *opts]))
