"""libxl_domain_config and its domain-wide parts, after libxl_types.idl (Xen 4.17).

Every class is a frozen record (xl_py._record) named after its IDL struct; fields
are in IDL order and default to libxl's init value, which is what lets the
generic renderer (xl_py.render.libxl_json) reproduce libxl's JSON: a scalar
is printed only when it differs from its default, nested structs always.

Keyed unions: ``DomainBuildInfo.u`` holds one of :class:`HvmInfo`,
:class:`PvInfo`, :class:`PvhInfo`; each carries ``UNION_KEY``/``UNION_TAG``
(``"type"``, ``"hvm"``), printed as ``"type.hvm"`` by the renderer (the
convention model/devices.py uses too).
"""

from __future__ import annotations

from typing import Any, ClassVar

from xl_py._record import Record, field
from xl_py.model._base import (
    MEMKB_DEFAULT,
    Bitmap,
    CpuidPolicy,
    Defbool,
    KeyValueList,
)
from xl_py.model.enums import (
    ActionOnShutdown,
    Altp2mMode,
    BiosType,
    DeviceModelVersion,
    DomainType,
    GfxPassthruKind,
    GicVersion,
    Hdtype,
    Passthrough,
    RdmReservePolicy,
    RdmReserveStrategy,
    Scheduler,
    TeeType,
    TimerMode,
    TscMode,
    VendorDevice,
    VgaInterfaceType,
    VuartType,
)

D = Defbool.DEFAULT
NO_BITS = Bitmap()
NO_KVL = KeyValueList()
NO_CPUID = CpuidPolicy()
MAX_GRANT_DEFAULT = 0xFFFFFFFF  # LIBXL_MAX_GRANT_DEFAULT (~(uint32_t)0)
MAX_GRANT_VERSION_DEFAULT = -1  # the same constant stored in an int
INVALID_GFN = 2**64 - 1  # LIBXL_INVALID_GFN
SCHED_PARAM_DEFAULT = -1  # LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT
MCA_CAP_LMCE = 1 << 0  # XEN_HVM_MCA_CAP_LMCE
VIRIDIAN_WIDTH = 64  # LIBXL_BUILDINFO_HVM_VIRIDIAN_ENABLE_DISABLE_WIDTH


class DomainCreateInfo(Record):
    """libxl_domain_create_info (c_info)."""

    type: DomainType = DomainType.INVALID
    hap: Defbool = D
    oos: Defbool = D
    ssidref: int = 0
    ssid_label: str | None = None
    name: str | None = None
    domid: int = 0
    uuid: str | None = None
    xsdata: KeyValueList = NO_KVL
    platformdata: KeyValueList = NO_KVL
    poolid: int = 0
    pool_name: str | None = None
    run_hotplug_scripts: Defbool = D
    driver_domain: Defbool = D
    passthrough: Passthrough = Passthrough.DEFAULT
    xend_suspend_evtchn_compat: Defbool = D


class DomainSchedParams(Record):
    """libxl_domain_sched_params (b_info.sched_params)."""

    sched: Scheduler = Scheduler.UNKNOWN
    weight: int = SCHED_PARAM_DEFAULT
    cap: int = SCHED_PARAM_DEFAULT
    period: int = SCHED_PARAM_DEFAULT
    budget: int = SCHED_PARAM_DEFAULT
    extratime: int = SCHED_PARAM_DEFAULT
    slice: int = SCHED_PARAM_DEFAULT
    latency: int = SCHED_PARAM_DEFAULT


class VnodeInfo(Record):
    """libxl_vnode_info (one vNUMA node)."""

    memkb: int = MEMKB_DEFAULT
    distances: tuple[int, ...] = ()
    pnode: int = 0
    vcpus: Bitmap = NO_BITS


class IoportRange(Record):
    """libxl_ioport_range"""

    first: int = 0
    number: int = 0


class IomemRange(Record):
    """libxl_iomem_range"""

    start: int = 0
    number: int = 0
    gfn: int = INVALID_GFN


class VgaInterfaceInfo(Record):
    """libxl_vga_interface_info"""

    kind: VgaInterfaceType = VgaInterfaceType.UNKNOWN


class VncInfo(Record):
    """libxl_vnc_info"""

    enable: Defbool = D
    listen: str | None = None
    passwd: str | None = None
    display: int = 0
    findunused: Defbool = D


class SdlInfo(Record):
    """libxl_sdl_info"""

    enable: Defbool = D
    opengl: Defbool = D
    display: str | None = None
    xauthority: str | None = None


class SpiceInfo(Record):
    """libxl_spice_info"""

    enable: Defbool = D
    port: int = 0
    tls_port: int = 0
    host: str | None = None
    disable_ticketing: Defbool = D
    passwd: str | None = None
    agent_mouse: Defbool = D
    vdagent: Defbool = D
    clipboard_sharing: Defbool = D
    usbredirection: int = 0
    image_compression: str | None = None
    streaming_video: str | None = None


class RdmReserve(Record):
    """libxl_rdm_reserve"""

    strategy: RdmReserveStrategy = RdmReserveStrategy.IGNORE
    policy: RdmReservePolicy = RdmReservePolicy.INVALID


class HvmInfo(Record):
    """b_info.u.hvm"""

    UNION_KEY: ClassVar[str] = "type"
    UNION_TAG: ClassVar[str] = "hvm"

    firmware: str | None = None
    bios: BiosType = BiosType.UNKNOWN
    pae: Defbool = D
    apic: Defbool = D  # deprecated_by b_info.apic
    acpi: Defbool = D  # deprecated: b_info.acpi
    acpi_s3: Defbool = D
    acpi_s4: Defbool = D
    acpi_laptop_slate: Defbool = D
    nx: Defbool = D
    viridian: Defbool = D
    viridian_enable: Bitmap = NO_BITS
    viridian_disable: Bitmap = NO_BITS
    timeoffset: str | None = None
    hpet: Defbool = D
    vpt_align: Defbool = D
    mmio_hole_memkb: int = MEMKB_DEFAULT
    timer_mode: TimerMode = TimerMode.UNKNOWN  # deprecated_by b_info.timer_mode
    nested_hvm: Defbool = D  # deprecated_by b_info.nested_hvm
    altp2m: Defbool = D
    system_firmware: str | None = None
    smbios_firmware: str | None = None
    acpi_firmware: str | None = None
    hdtype: Hdtype = Hdtype.IDE
    nographic: Defbool = D
    vga: VgaInterfaceInfo = VgaInterfaceInfo()
    vnc: VncInfo = VncInfo()
    keymap: str | None = None
    sdl: SdlInfo = SdlInfo()
    spice: SpiceInfo = SpiceInfo()
    gfx_passthru: Defbool = D
    gfx_passthru_kind: GfxPassthruKind = GfxPassthruKind.DEFAULT
    serial: str | None = None
    boot: str | None = None
    usb: Defbool = D
    usbversion: int = 0
    usbdevice: str | None = None
    vkb_device: Defbool = D
    soundhw: str | None = None
    xen_platform_pci: Defbool = D
    usbdevice_list: tuple[str, ...] = ()
    vendor_device: VendorDevice = VendorDevice.NONE
    ms_vm_genid: tuple[int, ...] = ()  # 16 bytes when set; JSON list of ints
    serial_list: tuple[str, ...] = ()
    rdm: RdmReserve = RdmReserve()
    rdm_mem_boundary_memkb: int = MEMKB_DEFAULT
    mca_caps: int = 0


class PvInfo(Record):
    """b_info.u.pv (``features`` is const in the IDL: never in the JSON)."""

    UNION_KEY: ClassVar[str] = "type"
    UNION_TAG: ClassVar[str] = "pv"

    kernel: str | None = None  # deprecated_by b_info.kernel
    slack_memkb: int = MEMKB_DEFAULT
    bootloader: str | None = None  # deprecated_by b_info.bootloader
    bootloader_args: tuple[str, ...] = ()  # deprecated
    cmdline: str | None = None  # deprecated
    ramdisk: str | None = None  # deprecated
    e820_host: Defbool = D


class PvhInfo(Record):
    """b_info.u.pvh"""

    UNION_KEY: ClassVar[str] = "type"
    UNION_TAG: ClassVar[str] = "pvh"

    pvshim: Defbool = D
    pvshim_path: str | None = None
    pvshim_cmdline: str | None = None
    pvshim_extra: str | None = None


TypeInfo = HvmInfo | PvInfo | PvhInfo


class ArchArm(Record):
    """b_info.arch_arm"""

    gic_version: GicVersion = GicVersion.DEFAULT
    vuart: VuartType = VuartType.UNKNOWN


class ArchX86(Record):
    """b_info.arch_x86"""

    msr_relaxed: Defbool = D


def info_for_type(dtype: DomainType) -> TypeInfo | None:
    """libxl_domain_build_info_init_type: the union member for a type."""
    member = _UNION_MEMBERS.get(dtype)
    return member() if member is not None else None


_UNION_MEMBERS: dict[DomainType, type[HvmInfo] | type[PvInfo] | type[PvhInfo]] = {
    DomainType.HVM: HvmInfo,
    DomainType.PV: PvInfo,
    DomainType.PVH: PvhInfo,
}


class DomainBuildInfo(Record):
    """libxl_domain_build_info (b_info); ``u`` is the union keyed by type."""

    max_vcpus: int = 0
    avail_vcpus: Bitmap = NO_BITS
    cpumap: Bitmap = NO_BITS
    nodemap: Bitmap = NO_BITS
    vcpu_hard_affinity: tuple[Bitmap, ...] = ()
    vcpu_soft_affinity: tuple[Bitmap, ...] = ()
    numa_placement: Defbool = D
    tsc_mode: TscMode = TscMode.DEFAULT
    max_memkb: int = MEMKB_DEFAULT
    target_memkb: int = MEMKB_DEFAULT
    video_memkb: int = MEMKB_DEFAULT
    shadow_memkb: int = MEMKB_DEFAULT
    iommu_memkb: int = MEMKB_DEFAULT
    rtc_timeoffset: int = 0
    exec_ssidref: int = 0
    exec_ssid_label: str | None = None
    localtime: Defbool = D
    disable_migrate: Defbool = D
    cpuid: CpuidPolicy = NO_CPUID
    blkdev_start: str | None = None
    vnuma_nodes: tuple[VnodeInfo, ...] = ()
    max_grant_frames: int = MAX_GRANT_DEFAULT
    max_maptrack_frames: int = MAX_GRANT_DEFAULT
    max_grant_version: int = MAX_GRANT_VERSION_DEFAULT
    device_model_version: DeviceModelVersion = DeviceModelVersion.UNKNOWN
    device_model_stubdomain: Defbool = D
    stubdomain_memkb: int = MEMKB_DEFAULT
    stubdomain_kernel: str | None = None
    stubdomain_cmdline: str | None = None
    stubdomain_ramdisk: str | None = None
    device_model: str | None = None
    device_model_ssidref: int = 0
    device_model_ssid_label: str | None = None
    device_model_user: str | None = None
    extra: tuple[str, ...] = ()
    extra_pv: tuple[str, ...] = ()
    extra_hvm: tuple[str, ...] = ()
    sched_params: DomainSchedParams = DomainSchedParams()
    ioports: tuple[IoportRange, ...] = ()
    irqs: tuple[int, ...] = ()
    iomem: tuple[IomemRange, ...] = ()
    claim_mode: Defbool = D
    event_channels: int = 0
    kernel: str | None = None
    cmdline: str | None = None
    ramdisk: str | None = None
    device_tree: str | None = None
    acpi: Defbool = D
    bootloader: str | None = None
    bootloader_args: tuple[str, ...] = ()
    timer_mode: TimerMode = TimerMode.UNKNOWN
    nested_hvm: Defbool = D
    apic: Defbool = D
    dm_restrict: Defbool = D
    tee: TeeType = TeeType.NONE
    u: TypeInfo | None = None
    arch_arm: ArchArm = ArchArm()
    arch_x86: ArchX86 = ArchX86()
    altp2m: Altp2mMode = Altp2mMode.DISABLED
    vmtrace_buf_kb: int = 0
    vpmu: Defbool = D

    @property
    def type(self) -> DomainType:
        """The union's key (b_info->type)."""
        for dtype, member in _UNION_MEMBERS.items():
            if isinstance(self.u, member):
                return dtype
        return DomainType.INVALID


class DomainConfig(Record):
    """libxl_domain_config.

    Device arrays hold the structs of :mod:`xl_py.model.devices` (typed
    ``Any`` here so this module does not depend on that one's progress).
    """

    c_info: DomainCreateInfo = field(default_factory=DomainCreateInfo)
    b_info: DomainBuildInfo = field(default_factory=DomainBuildInfo)
    disks: tuple[Any, ...] = ()
    nics: tuple[Any, ...] = ()
    pcidevs: tuple[Any, ...] = ()
    rdms: tuple[Any, ...] = ()
    dtdevs: tuple[Any, ...] = ()
    vfbs: tuple[Any, ...] = ()
    vkbs: tuple[Any, ...] = ()
    vtpms: tuple[Any, ...] = ()
    p9s: tuple[Any, ...] = ()
    pvcallsifs: tuple[Any, ...] = ()
    vdispls: tuple[Any, ...] = ()
    vsnds: tuple[Any, ...] = ()
    channels: tuple[Any, ...] = ()
    usbctrls: tuple[Any, ...] = ()
    usbdevs: tuple[Any, ...] = ()
    on_poweroff: ActionOnShutdown = ActionOnShutdown.DESTROY
    on_reboot: ActionOnShutdown = ActionOnShutdown.DESTROY
    on_watchdog: ActionOnShutdown = ActionOnShutdown.DESTROY
    on_crash: ActionOnShutdown = ActionOnShutdown.DESTROY
    on_soft_reset: ActionOnShutdown = ActionOnShutdown.DESTROY


DEVICE_FIELDS: tuple[str, ...] = (
    "disks", "nics", "pcidevs", "rdms", "dtdevs", "vfbs", "vkbs", "vtpms", "p9s",
    "pvcallsifs", "vdispls", "vsnds", "channels", "usbctrls", "usbdevs",
)
