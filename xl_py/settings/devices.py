"""The device keys of xl.cfg: one table row per key, and ``parse_devices``.

``parse_devices(raw, ctx)`` reads every device key the way Xen 4.17's xl
does in ``parse_config_data`` (same order, same devid numbering, same
defaults copied in from xl.conf and the ``pci_*`` keys) and returns a
:class:`DeviceSet`: one tuple per ``libxl_domain_config`` device array, the
``rdm=`` setting for ``b_info.u.hvm.rdm``, and the warnings.  It collects the
errors of every device before raising one :class:`ConfigValueError`.

How xl walks a device list, reproduced here: a key holding a single value
instead of a [list] is ignored with a warning; reading stops at the first
nested list (``vsnd`` is the exception: a list of lists).

Each value sub-language is imported when its key occurs (:func:`parser`):
a config with a disk and a vif never loads the vsnd, vdispl or usb parsers.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from xl_py._record import Record, field
from xl_py._types import HostInfo
from xl_py.errors import ConfigValueError, Diagnostic
from xl_py.model import devices as dev
from xl_py.model.enums import DomainType
from xl_py.settings._spec import SpecSite
from xl_py.settings.raw import RawDomain
from xl_py.settings.xlconf import XlConf
from xl_py.syntax.document import Atom, ListValue


class DeviceContext(Record):
    """What device parsing needs besides the config: guest type, xl.conf, host."""

    domain_type: DomainType = DomainType.PV
    xlconf: XlConf = field(default_factory=XlConf)
    host: HostInfo = field(default_factory=HostInfo)


class DeviceSet(Record):
    """The devices of one config, in ``libxl_domain_config`` order.

    ``rdm``: the parsed ``rdm=`` setting (``b_info.u.hvm.rdm``), None when
    absent or ignored by xl.  ``warnings``: positioned warnings.
    """

    disks: tuple[dev.DeviceDisk, ...] = ()
    nics: tuple[dev.DeviceNic, ...] = ()
    pcidevs: tuple[dev.DevicePci, ...] = ()
    rdms: tuple[dev.DeviceRdm, ...] = ()
    dtdevs: tuple[dev.DeviceDtdev, ...] = ()
    vfbs: tuple[dev.DeviceVfb, ...] = ()
    vkbs: tuple[dev.DeviceVkb, ...] = ()
    vtpms: tuple[dev.DeviceVtpm, ...] = ()
    p9s: tuple[dev.DeviceP9, ...] = ()
    pvcallsifs: tuple[dev.DevicePvcallsif, ...] = ()
    vdispls: tuple[dev.DeviceVdispl, ...] = ()
    vsnds: tuple[dev.DeviceVsnd, ...] = ()
    channels: tuple[dev.DeviceChannel, ...] = ()
    usbctrls: tuple[dev.DeviceUsbctrl, ...] = ()
    usbdevs: tuple[dev.DeviceUsbdev, ...] = ()
    rdm: dev.RdmReserve | None = None
    warnings: tuple[Diagnostic, ...] = ()


_PARSERS: dict[str, Callable[..., Any]] = {}


def parser(name: str) -> Callable[..., Any]:
    """``"disk.parse_disk"`` -> xl_py.settings.disk.parse_disk, imported on first use."""
    found = _PARSERS.get(name)
    if found is None:
        module, _, function = name.rpartition(".")
        found = _PARSERS[name] = getattr(import_module(f"xl_py.settings.{module}"), function)
    return found


class _State:
    """Scratch space while the keys are read in xl's order."""

    def __init__(self, raw: RawDomain, ctx: DeviceContext) -> None:
        self.raw, self.ctx = raw, ctx
        self.out: dict[str, list[Any]] = {name: [] for name in DEVICE_ARRAYS}
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.rdm: dev.RdmReserve | None = None
        self.pci_defaults: dict[str, Any] = {}

    def site(self, atom: Atom, what: str) -> SpecSite:
        start = atom.span[0] + (1 if atom.quoted else 0)
        return SpecSite(self.raw.document.source, start, what, self.warnings)

    def items(self, key: str) -> list[Atom]:
        """xlu_cfg_get_list + get_listitem: the strings up to a nested list."""
        value = self.raw.get_list(key, lenient=True)
        if value is None:
            return []
        atoms: list[Atom] = []
        for item in value.items:
            if isinstance(item, ListValue):
                self.warnings.append(Diagnostic(
                    "warning", f"{key}: a nested list ends the list for xl; the items "
                    "from here on are ignored", self.raw.document.source, item.span[0],
                    item.span[1], code="nested-list"))
                break
            atoms.append(item)
        return atoms

    def each(self, key: str, what: str, parse: str | Callable[[str, SpecSite, int], Any],
             into: str) -> None:
        """Parse every item of ``key`` (index = position in the output array);
        ``parse`` may name its function for :func:`parser` (imported if needed)."""
        atoms = self.items(key)
        if not atoms:
            return
        call = parser(parse) if isinstance(parse, str) else parse
        for atom in atoms:
            index = len(self.out[into])
            try:
                self.out[into].append(call(atom.text, self.site(atom, what), index))
            except ConfigValueError as exc:
                self.errors.extend(exc.diagnostics())


DEVICE_ARRAYS = ("disks", "nics", "pcidevs", "rdms", "dtdevs", "vfbs", "vkbs", "vtpms",
                 "p9s", "pvcallsifs", "vdispls", "vsnds", "channels", "usbctrls", "usbdevs")


# -- one reader per device key, in the order xl reads them ------------------------

PCI_FLAGS = (("pci_msitranslate", "msitranslate"), ("pci_power_mgmt", "power_mgmt"),
             ("pci_permissive", "permissive"), ("pci_seize", "seize"))


def read_pci_defaults(st: _State) -> None:
    """pci_msitranslate/power_mgmt/permissive/seize: copied into each pci device."""
    fields: dict[str, Any] = {}
    for key, name in PCI_FLAGS:
        value = st.raw.get_long(key, lenient=True)
        if value is not None:
            fields[name] = value != 0
    # xl copies b_info->u.hvm.rdm.policy: INVALID for HVM; for PV/PVH that
    # union memory is zero, i.e. STRICT (after a successful rdm= xl copies an
    # uninitialised value: xl_py keeps INVALID).
    if st.rdm is not None:
        fields["rdm_policy"] = st.rdm.policy
    elif st.ctx.domain_type is not DomainType.HVM:
        fields["rdm_policy"] = dev.RdmReservePolicy.STRICT
    st.pci_defaults = fields


def read_rdm(st: _State) -> None:
    atom = st.raw.get_atom("rdm", lenient=True)
    if atom is not None:
        st.rdm = parser("pci.parse_rdm")(atom.text, st.site(atom, "rdm"))


def read_pci(st: _State) -> None:
    st.each("pci", "pci", lambda s, w, i: parser("pci.parse_pci")(s, w, st.pci_defaults),
            "pcidevs")


def read_dtdev(st: _State) -> None:
    st.out["dtdevs"].extend(dev.DeviceDtdev(path=a.text) for a in st.items("dtdev"))


def read_disk(st: _State) -> None:
    st.each("disk", "disk", lambda s, w, i: parser("disk.parse_disk")(s, w), "disks")


def read_p9(st: _State) -> None:
    carry: dict[str, str] = {}
    st.each("p9", "p9", lambda s, w, i: parser("vtpm.parse_p9")(s, w, carry), "p9s")


def read_vtpm(st: _State) -> None:
    st.each("vtpm", "vtpm", "vtpm.parse_vtpm", "vtpms")


def read_vdispl(st: _State) -> None:
    st.each("vdispl", "vdispl", "vdispl.parse_vdispl", "vdispls")


def read_pvcalls(st: _State) -> None:
    st.each("pvcalls", "pvcalls", "vtpm.parse_pvcalls", "pvcallsifs")


def read_vsnd(st: _State) -> None:
    """vsnd = [ [card items...], ... ]: every card must be a list."""
    value = st.raw.get_list("vsnd", lenient=True)
    for card in value.items if value is not None else ():
        if not isinstance(card, ListValue):
            st.errors.append(Diagnostic(
                "error", "vsnd: each sound card must be a [list] of items",
                st.raw.document.source, card.span[0], card.span[1],
                expected="vsnd = [ ['card, ...', 'pcm, ...', 'stream, ...'] ]"))
            return
        items = [(a.text, st.site(a, "vsnd")) for a in card.items if isinstance(a, Atom)]
        try:
            st.out["vsnds"].append(parser("vsnd.parse_vsnd")(items, len(st.out["vsnds"])))
        except ConfigValueError as exc:
            st.errors.extend(exc.diagnostics())


def read_channel(st: _State) -> None:
    st.each("channel", "channel", "channel.parse_channel", "channels")


def read_vif(st: _State) -> None:
    conf = st.ctx.xlconf
    base = {"script": conf.default_vifscript, "bridge": conf.default_bridge,
            "gatewaydev": conf.default_gatewaydev, "backend_domname": conf.default_vifbackend}
    st.each("vif", "vif", lambda s, w, i: parser("vif.parse_vif")(s, w, {**base, "devid": i}),
            "nics")


def read_vfb(st: _State) -> None:
    """Each vfb comes with a vkb (same devid)."""
    for atom in st.items("vfb"):
        index = len(st.out["vfbs"])
        st.out["vfbs"].append(parser("vfb.parse_vfb")(atom.text, st.site(atom, "vfb"), index))
        st.out["vkbs"].append(dev.DeviceVkb(devid=len(st.out["vkbs"])))


def read_usbctrl(st: _State) -> None:
    st.each("usbctrl", "usbctrl", "usb.parse_usbctrl", "usbctrls")


def read_usbdev(st: _State) -> None:
    st.each("usbdev", "usbdev", lambda s, w, i: parser("usb.parse_usbdev")(s, w), "usbdevs")


def read_vkb(st: _State) -> None:
    st.each("vkb", "vkb", lambda s, w, i: parser("vfb.parse_vkb")(s, w, len(st.out["vkbs"])),
            "vkbs")


class DeviceKey(Record):
    """One xl.cfg device key: the reader, the array it fills, a line of doc."""

    name: str
    read: Callable[[_State], None]
    fills: str
    doc: str = ""


DEVICE_KEYS: tuple[DeviceKey, ...] = (
    DeviceKey("rdm", read_rdm, "", "reserved device memory: strategy=host,policy=..."),
    DeviceKey("pci_msitranslate", read_pci_defaults, "pcidevs",
              "default msitranslate= of pci devices"),
    DeviceKey("pci_power_mgmt", lambda st: None, "pcidevs", "default power_mgmt="),
    DeviceKey("pci_permissive", lambda st: None, "pcidevs", "default permissive="),
    DeviceKey("pci_seize", lambda st: None, "pcidevs", "default seize="),
    DeviceKey("pci", read_pci, "pcidevs", "PCI passthrough: [DDDD:]BB:DD.F[@VSLOT],opts"),
    DeviceKey("dtdev", read_dtdev, "dtdevs", "device tree paths to pass through"),
    DeviceKey("disk", read_disk, "disks", "virtual disks (xl-disk-configuration(5))"),
    DeviceKey("p9", read_p9, "p9s", "9pfs shares: tag=,path=,security_model="),
    DeviceKey("vtpm", read_vtpm, "vtpms", "virtual TPMs: backend=,uuid="),
    DeviceKey("vdispl", read_vdispl, "vdispls", "virtual displays: connectors=ID:WxH"),
    DeviceKey("pvcalls", read_pvcalls, "pvcallsifs", "PV calls: backend="),
    DeviceKey("vsnd", read_vsnd, "vsnds", "virtual sound cards (lists of items)"),
    DeviceKey("channel", read_channel, "channels", "PV channels: name=,connection="),
    DeviceKey("vif", read_vif, "nics", "network interfaces (xl-network-configuration(5))"),
    DeviceKey("vfb", read_vfb, "vfbs", "virtual framebuffers (each adds a vkb)"),
    DeviceKey("usbctrl", read_usbctrl, "usbctrls", "USB controllers: type=,version=,ports="),
    DeviceKey("usbdev", read_usbdev, "usbdevs", "USB host devices: hostbus=,hostaddr="),
    DeviceKey("vkb", read_vkb, "vkbs", "virtual keyboards: backend-type=,..."),
)


def parse_devices(raw: RawDomain, ctx: DeviceContext) -> DeviceSet:
    """Every device key of ``raw`` -> :class:`DeviceSet` (errors collected)."""
    st = _State(raw, ctx)
    for key in DEVICE_KEYS:
        key.read(st)
    if st.errors:
        raise ConfigValueError(st.errors)
    arrays = {name: tuple(items) for name, items in st.out.items()}
    return DeviceSet(rdm=st.rdm, warnings=tuple(st.warnings), **arrays)
