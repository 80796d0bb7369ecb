"""The domain keys of xl.cfg: one table row per key, and ``from_raw``.

``KEYS`` lists every domain-wide key Xen 4.17's ``xl`` reads in
``parse_config_data`` (tools/xl/xl_parse.c), in the order xl reads them:
the key, the libxl field it fills (``c.`` c_info, ``b.`` b_info, ``u.`` the
b_info union member of the guest type, ``sched.``/``vnc.``/``sdl.``/
``spice.``/``vga.``/``arch_arm.``/``arch_x86.`` nested structs, ``top.`` the
domain_config itself), how the value is read, the guest types xl reads it
for, and deprecation.  Device keys (disk, vif, pci, ...) live in
:mod:`xl_py.settings.devices`; the cross-key rules xl applies are the small
``rule_*`` functions of :mod:`xl_py.settings.domain_rules`.

``from_raw(raw, host, xlconf)`` collects every error before raising one
:class:`~xl_py.errors.ConfigValueError`, and returns the warnings as
diagnostics next to the :class:`~xl_py.model.domain.DomainConfig`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from xl_py._record import Record
from xl_py._types import HostInfo
from xl_py.errors import ConfigValueError, Diagnostic
from xl_py.model.domain import DomainConfig
from xl_py.model.enums import DomainType
from xl_py.settings import domain_build as b
from xl_py.settings import domain_rules as r
from xl_py.settings.domain_values import Cursor, Skip
from xl_py.settings.xlconf import XlConf

HVM, PV, PVH = DomainType.HVM, DomainType.PV, DomainType.PVH
ALL = frozenset({HVM, PV, PVH})
HVM_ONLY = frozenset({HVM})
PV_ONLY = frozenset({PV})
PVH_ONLY = frozenset({PVH})
PV_PVH = frozenset({PV, PVH})

Reader = Callable[[Cursor, "Key"], None]


def stage(name: str, read: Reader, types: frozenset[DomainType] = ALL) -> Key:
    """A step of parse_config_data that looks at several keys (always runs)."""
    return Key(f"@{name}", "", read, types, doc=read.__doc__ or "")


class Key(Record):
    """One xl.cfg domain key.

    ``read`` stores the value (r.STRING/LONG/DEFBOOL/MIB/enum readers fill
    ``target``; rule functions do more).  ``types``: the guest types xl reads
    the key for (elsewhere it is silently ignored: the lint says so).
    ``deprecated``: what to write instead.  ``doc``: one line for the lint.
    """

    name: str
    target: str
    read: Reader
    types: frozenset[DomainType] = ALL
    deprecated: str | None = None
    doc: str = ""


KEYS: tuple[Key, ...] = (
    # -- c_info ----------------------------------------------------------------
    Key("init_seclabel", "c.ssid_label", r.STRING, doc="XSM label the domain is built with"),
    Key("seclabel", "", r.rule_seclabel, doc="XSM label (exec label when init_seclabel is set)"),
    Key("type", "", r.rule_type, doc="guest type: pv, pvh or hvm"),
    Key("builder", "", r.rule_builder, deprecated="type", doc="'hvm' or 'generic' (PV)"),
    stage("type", r.stage_type),
    Key("hap", "c.hap", r.DEFBOOL, doc="hardware assisted paging"),
    Key("name", "c.name", r.rule_name, doc="domain name (required)"),
    Key("uuid", "c.uuid", r.rule_uuid, doc="domain UUID"),
    Key("oos", "c.oos", r.DEFBOOL, doc="out-of-sync shadow page tables"),
    Key("pool", "c.pool_name", r.STRING, doc="cpupool to run in"),
    Key("pvshim", "u.pvshim", r.DEFBOOL, PVH_ONLY, doc="run a PV guest in a PVH shim"),
    Key("pvshim_path", "u.pvshim_path", r.STRING, PVH_ONLY),
    Key("pvshim_cmdline", "u.pvshim_cmdline", r.STRING, PVH_ONLY),
    Key("pvshim_extra", "u.pvshim_extra", r.STRING, PVH_ONLY),
    # -- scheduler -------------------------------------------------------------
    Key("cpu_weight", "sched.weight", r.INT, doc="credit scheduler weight"),
    Key("cap", "sched.cap", r.INT, doc="credit scheduler cap (percent of a CPU)"),
    Key("period", "sched.period", r.INT, doc="RTDS period (us)"),
    Key("slice", "sched.slice", r.INT, doc="no effect since SEDF was removed"),
    Key("latency", "sched.latency", r.INT, doc="no effect since SEDF was removed"),
    Key("extratime", "sched.extratime", r.INT, doc="RTDS extra time flag"),
    # -- memory and vcpus ------------------------------------------------------
    Key("memory", "b.target_memkb", r.MIB, doc="initial memory (MiB)"),
    Key("maxmem", "b.max_memkb", r.MIB, doc="maximum memory (MiB)"),
    Key("vcpus", "b.avail_vcpus", r.rule_vcpus, doc="vCPUs online at boot"),
    Key("maxvcpus", "b.max_vcpus", r.LONG, doc="maximum vCPUs"),
    Key("vuart", "arch_arm.vuart", r.enum_reader("VuartType"), doc="ARM virtual UART"),
    Key("vnuma", "b.vnuma_nodes", r.rule_vnuma, doc="virtual NUMA topology"),
    stage("vcpus", r.stage_vcpus),
    Key("cpus", "b.vcpu_hard_affinity", r.rule_cpus, doc="hard vCPU affinity"),
    Key("cpus_soft", "b.vcpu_soft_affinity", r.rule_cpus, doc="soft vCPU affinity"),
    Key("max_grant_frames", "b.max_grant_frames", r.GRANT),
    Key("max_maptrack_frames", "b.max_maptrack_frames", r.GRANT),
    Key("max_grant_version", "b.max_grant_version", r.GRANT),
    # -- actions ---------------------------------------------------------------
    Key("on_poweroff", "top.on_poweroff", r.ACTION, doc="destroy (default), restart, ..."),
    Key("on_reboot", "top.on_reboot", r.ACTION, doc="restart (default), destroy, ..."),
    Key("on_watchdog", "top.on_watchdog", r.ACTION, doc="destroy (default), restart, ..."),
    Key("on_crash", "top.on_crash", r.ACTION, doc="destroy (default), restart, ..."),
    Key("on_soft_reset", "top.on_soft_reset", r.ACTION, doc="soft-reset (default), ..."),
    Key("e820_host", "u.e820_host", r.DEFBOOL, PV_ONLY, doc="use the host e820 map (PCI)"),
    Key("passthrough", "c.passthrough", r.enum_reader("Passthrough")),
    Key("shadow_memory", "b.shadow_memkb", r.MIB, doc="shadow page table memory (MiB)"),
    Key("nomigrate", "b.disable_migrate", r.DEFBOOL),
    Key("tsc_mode", "b.tsc_mode", r.rule_tsc_mode),
    Key("rtc_timeoffset", "b.rtc_timeoffset", r.INT),
    Key("vncviewer", "", r.rule_vncviewer, deprecated="the -V option of create"),
    Key("localtime", "b.localtime", r.DEFBOOL),
    Key("videoram", "b.video_memkb", r.MIB, doc="video memory (MiB)"),
    Key("max_event_channels", "b.event_channels", r.INT),
    # -- boot ------------------------------------------------------------------
    Key("kernel", "b.kernel", r.STRING, doc="kernel image in dom0"),
    Key("ramdisk", "b.ramdisk", r.STRING, doc="initrd in dom0"),
    Key("device_tree", "b.device_tree", r.STRING),
    Key("cmdline", "b.cmdline", r.rule_noop, doc="kernel command line"),
    Key("root", "b.cmdline", r.rule_noop, doc="root= of the kernel command line"),
    Key("extra", "b.cmdline", r.rule_noop, doc="appended to the kernel command line"),
    stage("cmdline", r.stage_cmdline),
    Key("driver_domain", "c.driver_domain", r.DEFBOOL),
    Key("acpi", "b.acpi", r.DEFBOOL),
    Key("bootloader", "b.bootloader", r.STRING, doc="e.g. pygrub"),
    Key("bootloader_args", "b.bootloader_args", r.rule_bootloader_args),
    Key("timer_mode", "b.timer_mode", r.rule_timer_mode),
    Key("nestedhvm", "b.nested_hvm", r.DEFBOOL),
    # -- HVM -------------------------------------------------------------------
    stage("hvm_kernel", r.stage_hvm_kernel, HVM_ONLY),
    Key("firmware_override", "u.firmware", r.STRING, HVM_ONLY, deprecated="firmware"),
    Key("bios_path_override", "u.system_firmware", r.STRING, HVM_ONLY),
    Key("bios", "u.bios", r.rule_bios, HVM_ONLY, doc="rombios, seabios or ovmf"),
    stage("bios", r.stage_bios, HVM_ONLY),
    Key("pae", "u.pae", r.DEFBOOL, HVM_ONLY),
    Key("acpi_s3", "u.acpi_s3", r.DEFBOOL, HVM_ONLY),
    Key("acpi_s4", "u.acpi_s4", r.DEFBOOL, HVM_ONLY),
    Key("acpi_laptop_slate", "u.acpi_laptop_slate", r.DEFBOOL, HVM_ONLY),
    Key("nx", "u.nx", r.DEFBOOL, HVM_ONLY),
    Key("hpet", "u.hpet", r.DEFBOOL, HVM_ONLY),
    Key("vpt_align", "u.vpt_align", r.DEFBOOL, HVM_ONLY),
    Key("apic", "b.apic", r.DEFBOOL, HVM_ONLY),
    Key("viridian", "u.viridian", r.rule_viridian, HVM_ONLY),
    Key("mmio_hole", "u.mmio_hole_memkb", r.rule_mmio_hole, HVM_ONLY),
    Key("altp2mhvm", "u.altp2m", r.rule_altp2mhvm, HVM_ONLY, deprecated="altp2m"),
    Key("smbios_firmware", "u.smbios_firmware", r.STRING, HVM_ONLY),
    Key("acpi_firmware", "u.acpi_firmware", r.STRING, HVM_ONLY),
    Key("ms_vm_genid", "u.ms_vm_genid", r.rule_ms_vm_genid, HVM_ONLY),
    Key("rdm_mem_boundary", "u.rdm_mem_boundary_memkb", r.MIB, HVM_ONLY),
    Key("mca_caps", "u.mca_caps", r.rule_mca_caps, HVM_ONLY),
    Key("firmware", "u.firmware", r.rule_firmware, doc="HVM: bios/uefi/path; PV: pvgrub32/64"),
    stage("boot", r.stage_boot, PV_PVH),
    Key("altp2m", "b.altp2m", r.rule_altp2m),
    Key("vmtrace_buf_kb", "b.vmtrace_buf_kb", r.rule_vmtrace),
    Key("ioports", "b.ioports", r.rule_ioports),
    Key("irqs", "b.irqs", r.rule_irqs),
    Key("iomem", "b.iomem", r.rule_iomem),
    Key("vif2", "", r.rule_vif2, deprecated="vif"),
    Key("cpuid", "b.cpuid", r.rule_cpuid),
    # -- device model ----------------------------------------------------------
    Key("device_model", "", r.rule_device_model, deprecated="device_model_override"),
    Key("device_model_override", "b.device_model", r.STRING),
    Key("device_model_version", "b.device_model_version", r.rule_dm_version,
        doc="qemu-xen or qemu-xen-traditional"),
    stage("dm_version", r.stage_dm_version),
    Key("device_model_stubdomain_override", "b.device_model_stubdomain", r.DEFBOOL),
    Key("device_model_stubdomain_seclabel", "b.device_model_ssid_label", r.STRING),
    Key("device_model_user", "b.device_model_user", r.STRING),
    Key("stubdomain_kernel", "b.stubdomain_kernel", r.STRING),
    Key("stubdomain_cmdline", "b.stubdomain_cmdline", r.STRING),
    Key("stubdomain_ramdisk", "b.stubdomain_ramdisk", r.STRING),
    Key("stubdomain_memory", "b.stubdomain_memkb", r.MIB),
    Key("device_model_args", "b.extra", r.STRING_LIST),
    Key("device_model_args_pv", "b.extra_pv", r.STRING_LIST),
    Key("device_model_args_hvm", "b.extra_hvm", r.STRING_LIST),
    # -- display (HVM: b_info.u.hvm; PV without vfb=: a vfb + vkb pair) --------
    Key("vnc", "vnc.enable", b.DISPLAY_DEFBOOL, frozenset({HVM, PV})),
    Key("vnclisten", "vnc.listen", b.DISPLAY_STRING, frozenset({HVM, PV})),
    Key("vncpasswd", "vnc.passwd", b.DISPLAY_STRING, frozenset({HVM, PV})),
    Key("vncdisplay", "vnc.display", b.DISPLAY_LONG, frozenset({HVM, PV})),
    Key("vncunused", "vnc.findunused", b.DISPLAY_DEFBOOL, frozenset({HVM, PV})),
    Key("sdl", "sdl.enable", b.DISPLAY_DEFBOOL, frozenset({HVM, PV})),
    Key("opengl", "sdl.opengl", b.DISPLAY_DEFBOOL, frozenset({HVM, PV})),
    Key("display", "sdl.display", b.DISPLAY_STRING, frozenset({HVM, PV})),
    Key("xauthority", "sdl.xauthority", b.DISPLAY_STRING, frozenset({HVM, PV})),
    Key("keymap", "u.keymap", b.DISPLAY_STRING, frozenset({HVM, PV}), doc="e.g. en-us"),
    stage("devices", b.stage_devices),
    stage("pv_display", b.stage_pv_display, PV_ONLY),
    Key("dm_restrict", "b.dm_restrict", r.DEFBOOL),
    Key("vga", "vga.kind", r.rule_vga, HVM_ONLY, doc="stdvga, cirrus, none or qxl"),
    Key("stdvga", "vga.kind", r.rule_stdvga, HVM_ONLY, deprecated='vga="stdvga"'),
    Key("hdtype", "u.hdtype", r.enum_reader("Hdtype"), HVM_ONLY, doc="ide or ahci"),
    Key("spice", "spice.enable", r.DEFBOOL, HVM_ONLY),
    Key("spiceport", "spice.port", r.INT, HVM_ONLY),
    Key("spicetls_port", "spice.tls_port", r.INT, HVM_ONLY),
    Key("spicehost", "spice.host", r.STRING, HVM_ONLY),
    Key("spicedisable_ticketing", "spice.disable_ticketing", r.DEFBOOL, HVM_ONLY),
    Key("spicepasswd", "spice.passwd", r.STRING, HVM_ONLY),
    Key("spiceagent_mouse", "spice.agent_mouse", r.DEFBOOL, HVM_ONLY),
    Key("spicevdagent", "spice.vdagent", r.DEFBOOL, HVM_ONLY),
    Key("spice_clipboard_sharing", "spice.clipboard_sharing", r.DEFBOOL, HVM_ONLY),
    Key("spiceusbredirection", "spice.usbredirection", r.INT, HVM_ONLY),
    Key("spice_image_compression", "spice.image_compression", r.STRING, HVM_ONLY),
    Key("spice_streaming_video", "spice.streaming_video", r.STRING, HVM_ONLY),
    Key("nographic", "u.nographic", r.DEFBOOL, HVM_ONLY),
    Key("gfx_passthru", "u.gfx_passthru", r.rule_gfx_passthru, HVM_ONLY),
    Key("serial", "u.serial_list", r.rule_serial, HVM_ONLY, doc="e.g. pty"),
    Key("boot", "u.boot", r.STRING, HVM_ONLY, doc="boot order: c disk, d CD-ROM, n net"),
    Key("usb", "u.usb", r.DEFBOOL, HVM_ONLY),
    Key("usbversion", "u.usbversion", r.INT, HVM_ONLY),
    Key("usbdevice", "u.usbdevice_list", r.rule_usbdevice, HVM_ONLY, doc="e.g. tablet"),
    Key("vkb_device", "u.vkb_device", r.DEFBOOL, HVM_ONLY),
    Key("soundhw", "u.soundhw", r.STRING, HVM_ONLY),
    Key("xen_platform_pci", "u.xen_platform_pci", r.DEFBOOL, HVM_ONLY),
    stage("vnc_check", r.stage_vnc_check, HVM_ONLY),
    Key("vendor_device", "u.vendor_device", r.enum_reader("VendorDevice", "xl"), HVM_ONLY),
    # -- the rest ----------------------------------------------------------------
    Key("gic_version", "arch_arm.gic_version", r.enum_reader("GicVersion", "Unknown")),
    Key("tee", "b.tee", r.enum_reader("TeeType", "Unknown")),
    Key("xend_suspend_evtchn_compat", "c.xend_suspend_evtchn_compat", r.DEFBOOL),
    Key("msr_relaxed", "arch_x86.msr_relaxed", b.rule_msr_relaxed),
    Key("vpmu", "b.vpmu", r.DEFBOOL),
)

KEY_INDEX: dict[str, Key] = {k.name: k for k in KEYS}


class Analysis(Record):
    """Everything one pass over a config found (for the lint): the model
    when there was no error, the errors, the warnings, the guest type."""

    config: DomainConfig | None
    errors: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    domain_type: DomainType


def analyse(raw: Any, host: HostInfo | None = None,
            xlconf: XlConf | None = None, *, strict: bool = False) -> Analysis:
    """Run the whole table over ``raw`` and keep every diagnostic.

    ``strict``: a value of the wrong type (``memory = "12x"``) is an error;
    by default it is a warning and the key is ignored, as xl does (the
    warning lands in ``raw.warnings``)."""
    document = getattr(raw, "document", None)
    cur = Cursor(raw, host or HostInfo(), xlconf or XlConf(),
                 getattr(document, "source", None), strict=strict)
    b.start(cur)
    present = set(raw.keys())
    for key in _rows(_BEFORE_TYPE, present):
        _read(cur, key)
    for key in _rows(_AFTER_TYPE[cur.dtype], present):
        _read(cur, key)
    b.finish(cur)
    errors = tuple(_ordered(cur.errors))
    config = None if errors else b.build(cur)
    return Analysis(config, errors, tuple(cur.warnings), cur.dtype)


def _rows(plan: _Plan, present: set[str]) -> list[Key]:
    """The stages and the rows of the keys present, in table order."""
    stages, index = plan
    rows = [index[name] for name in present if name in index]
    rows.extend(stages)
    rows.sort()
    return [key for _, key in rows]


def _read(cur: Cursor, key: Key) -> None:
    with contextlib.suppress(Skip):
        key.read(cur, key)


# (stages, rows by key name), each with its position in KEYS
_Plan = tuple[tuple[tuple[int, Key], ...], dict[str, tuple[int, Key]]]


def _split(rows: list[tuple[int, Key]]) -> _Plan:
    live = [(i, k) for i, k in rows if k.read is not r.rule_noop]
    return (tuple((i, k) for i, k in live if k.name[0] == "@"),
            {k.name: (i, k) for i, k in live if k.name[0] != "@"})


def _plan() -> tuple[_Plan, dict[DomainType, _Plan]]:
    """The rows to run: every row up to the type stage, then those that apply
    to the guest type (rows xl does not read for it are skipped)."""
    cut = next(i for i, k in enumerate(KEYS) if k.name == "@type") + 1
    numbered = list(enumerate(KEYS))
    before = _split(numbered[:cut])
    after = {t: _split([(i, k) for i, k in numbered[cut:] if t in k.types])
             for t in (HVM, PV, PVH)}
    return before, after


def from_raw(raw: Any, host: HostInfo | None = None,
             xlconf: XlConf | None = None) -> tuple[DomainConfig, tuple[Diagnostic, ...]]:
    """RawDomain + host facts + xl.conf -> (DomainConfig, warnings).

    Raises ConfigValueError carrying every error found.
    """
    result = analyse(raw, host, xlconf)
    if result.config is None:
        raise ConfigValueError(result.errors)
    return result.config, result.warnings


def _ordered(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Positioned errors in file order, then the global ones."""
    return sorted(diags, key=lambda d: (d.source is None, d.start))


_BEFORE_TYPE, _AFTER_TYPE = _plan()
