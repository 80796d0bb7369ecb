"""Device structs of ``libxl_domain_config`` (Xen 4.17 ``libxl_types.idl``).

Every class mirrors one IDL struct: same field names, same field order, and
each field default is libxl's init value (``libxl_devid`` inits to -1,
``libxl_domid`` to 0, enums to their ``init_val`` or their 0 member, strings to
NULL).  The generic JSON renderer walks these records, so exact order and
defaults are what make ``xl -N create`` output match.

Keyed unions (``channel.u`` keyed by ``connection``, ``usbdev.u`` keyed by
``type``) are a field holding one member record (or ``None`` when the key
is unset); each member class names its key and tag in the ``UNION_KEY`` /
``UNION_TAG`` class variables, which the renderer prints as
``"connection.socket": {...}``.

Xen 4.17 has no ``libxl_device_virtio`` (it came with 4.18): virtio disks are
``DeviceDisk(specification=DiskSpecification.VIRTIO)``.
"""

from __future__ import annotations

import enum
from typing import ClassVar

from xl_py._record import Record
from xl_py.model._base import Defbool

DEVID_DEFAULT = -1  # libxl_devid init_val
PCI_FUNC_ALL = 0xFFFFFFFF  # LIBXL_PCI_FUNC_ALL (~0U) in vfunc_mask


# -- enumerations (value = libxl JSON name) ---------------------------------


class DiskFormat(enum.Enum):
    """libxl_disk_format"""

    UNKNOWN = "unknown"
    QCOW = "qcow"
    QCOW2 = "qcow2"
    VHD = "vhd"
    RAW = "raw"
    EMPTY = "empty"
    QED = "qed"


class DiskBackend(enum.Enum):
    """libxl_disk_backend"""

    UNKNOWN = "unknown"
    PHY = "phy"
    TAP = "tap"
    QDISK = "qdisk"
    STANDALONE = "standalone"


class DiskSpecification(enum.Enum):
    """libxl_disk_specification"""

    UNKNOWN = "unknown"
    XEN = "xen"
    VIRTIO = "virtio"


class DiskTransport(enum.Enum):
    """libxl_disk_transport"""

    UNKNOWN = "unknown"
    MMIO = "mmio"


class NicType(enum.Enum):
    """libxl_nic_type"""

    UNKNOWN = "unknown"
    VIF_IOEMU = "vif_ioemu"
    VIF = "vif"


class RdmReserveStrategy(enum.Enum):
    """libxl_rdm_reserve_strategy"""

    IGNORE = "ignore"
    HOST = "host"


class RdmReservePolicy(enum.Enum):
    """libxl_rdm_reserve_policy (init_val INVALID)"""

    INVALID = "invalid"
    STRICT = "strict"
    RELAXED = "relaxed"


class ChannelConnection(enum.Enum):
    """libxl_channel_connection"""

    UNKNOWN = "unknown"
    PTY = "pty"
    SOCKET = "socket"


class UsbctrlType(enum.Enum):
    """libxl_usbctrl_type"""

    AUTO = "auto"
    PV = "pv"
    DEVICEMODEL = "devicemodel"
    QUSB = "qusb"


class UsbdevType(enum.Enum):
    """libxl_usbdev_type (no 0 member: unset is ``None``)"""

    HOSTDEV = "hostdev"


class VkbBackend(enum.Enum):
    """libxl_vkb_backend"""

    UNKNOWN = "unknown"
    QEMU = "qemu"
    LINUX = "linux"


class VsndPcmFormat(enum.Enum):
    """libxl_vsnd_pcm_format"""

    S8 = "s8"
    U8 = "u8"
    S16_LE = "s16_le"
    S16_BE = "s16_be"
    U16_LE = "u16_le"
    U16_BE = "u16_be"
    S24_LE = "s24_le"
    S24_BE = "s24_be"
    U24_LE = "u24_le"
    U24_BE = "u24_be"
    S32_LE = "s32_le"
    S32_BE = "s32_be"
    U32_LE = "u32_le"
    U32_BE = "u32_be"
    F32_LE = "f32_le"
    F32_BE = "f32_be"
    F64_LE = "f64_le"
    F64_BE = "f64_be"
    IEC958_SUBFRAME_LE = "iec958_subframe_le"
    IEC958_SUBFRAME_BE = "iec958_subframe_be"
    MU_LAW = "mu_law"
    A_LAW = "a_law"
    IMA_ADPCM = "ima_adpcm"
    MPEG = "mpeg"
    GSM = "gsm"


class VsndStreamType(enum.Enum):
    """libxl_vsnd_stream_type (no 0 member: unset is ``None``)"""

    P = "p"
    C = "c"


# -- nested info structs ------------------------------------------------------


class VncInfo(Record):
    """libxl_vnc_info"""

    enable: Defbool = Defbool.DEFAULT
    listen: str | None = None
    passwd: str | None = None
    display: int = 0
    findunused: Defbool = Defbool.DEFAULT


class SdlInfo(Record):
    """libxl_sdl_info"""

    enable: Defbool = Defbool.DEFAULT
    opengl: Defbool = Defbool.DEFAULT
    display: str | None = None
    xauthority: str | None = None


class RdmReserve(Record):
    """libxl_rdm_reserve (``b_info.u.hvm.rdm``)"""

    strategy: RdmReserveStrategy = RdmReserveStrategy.IGNORE
    policy: RdmReservePolicy = RdmReservePolicy.INVALID


# -- devices, in libxl_domain_config order -----------------------------------


class DeviceDisk(Record):
    """libxl_device_disk"""

    backend_domid: int = 0
    backend_domname: str | None = None
    pdev_path: str | None = None
    vdev: str | None = None
    backend: DiskBackend = DiskBackend.UNKNOWN
    format: DiskFormat = DiskFormat.UNKNOWN
    script: str | None = None
    removable: int = 0
    readwrite: int = 0
    is_cdrom: int = 0
    direct_io_safe: bool = False
    discard_enable: Defbool = Defbool.DEFAULT
    specification: DiskSpecification = DiskSpecification.UNKNOWN
    transport: DiskTransport = DiskTransport.UNKNOWN
    irq: int = 0
    base: int = 0
    colo_enable: Defbool = Defbool.DEFAULT
    colo_restore_enable: Defbool = Defbool.DEFAULT
    colo_host: str | None = None
    colo_port: int = 0
    colo_export: str | None = None
    active_disk: str | None = None
    hidden_disk: str | None = None
    trusted: Defbool = Defbool.DEFAULT


class DeviceNic(Record):
    """libxl_device_nic"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    mtu: int = 0
    model: str | None = None
    mac: str | None = None
    ip: str | None = None
    bridge: str | None = None
    ifname: str | None = None
    script: str | None = None
    nictype: NicType = NicType.UNKNOWN
    rate_bytes_per_interval: int = 0
    rate_interval_usecs: int = 0
    gatewaydev: str | None = None
    coloft_forwarddev: str | None = None
    colo_sock_mirror_id: str | None = None
    colo_sock_mirror_ip: str | None = None
    colo_sock_mirror_port: str | None = None
    colo_sock_compare_pri_in_id: str | None = None
    colo_sock_compare_pri_in_ip: str | None = None
    colo_sock_compare_pri_in_port: str | None = None
    colo_sock_compare_sec_in_id: str | None = None
    colo_sock_compare_sec_in_ip: str | None = None
    colo_sock_compare_sec_in_port: str | None = None
    colo_sock_compare_notify_id: str | None = None
    colo_sock_compare_notify_ip: str | None = None
    colo_sock_compare_notify_port: str | None = None
    colo_sock_redirector0_id: str | None = None
    colo_sock_redirector0_ip: str | None = None
    colo_sock_redirector0_port: str | None = None
    colo_sock_redirector1_id: str | None = None
    colo_sock_redirector1_ip: str | None = None
    colo_sock_redirector1_port: str | None = None
    colo_sock_redirector2_id: str | None = None
    colo_sock_redirector2_ip: str | None = None
    colo_sock_redirector2_port: str | None = None
    colo_filter_mirror_queue: str | None = None
    colo_filter_mirror_outdev: str | None = None
    colo_filter_redirector0_queue: str | None = None
    colo_filter_redirector0_indev: str | None = None
    colo_filter_redirector0_outdev: str | None = None
    colo_filter_redirector1_queue: str | None = None
    colo_filter_redirector1_indev: str | None = None
    colo_filter_redirector1_outdev: str | None = None
    colo_compare_pri_in: str | None = None
    colo_compare_sec_in: str | None = None
    colo_compare_out: str | None = None
    colo_compare_notify_dev: str | None = None
    colo_sock_sec_redirector0_id: str | None = None
    colo_sock_sec_redirector0_ip: str | None = None
    colo_sock_sec_redirector0_port: str | None = None
    colo_sock_sec_redirector1_id: str | None = None
    colo_sock_sec_redirector1_ip: str | None = None
    colo_sock_sec_redirector1_port: str | None = None
    colo_filter_sec_redirector0_queue: str | None = None
    colo_filter_sec_redirector0_indev: str | None = None
    colo_filter_sec_redirector0_outdev: str | None = None
    colo_filter_sec_redirector1_queue: str | None = None
    colo_filter_sec_redirector1_indev: str | None = None
    colo_filter_sec_redirector1_outdev: str | None = None
    colo_filter_sec_rewriter0_queue: str | None = None
    colo_checkpoint_host: str | None = None
    colo_checkpoint_port: str | None = None
    trusted: Defbool = Defbool.DEFAULT


class DevicePci(Record):
    """libxl_device_pci"""

    func: int = 0
    dev: int = 0
    bus: int = 0
    domain: int = 0
    vdevfn: int = 0
    vfunc_mask: int = 0
    msitranslate: bool = False
    power_mgmt: bool = False
    permissive: bool = False
    seize: bool = False
    rdm_policy: RdmReservePolicy = RdmReservePolicy.INVALID
    name: str | None = None


class DeviceRdm(Record):
    """libxl_device_rdm (xl never fills these from a config)"""

    start: int = 0
    size: int = 0
    policy: RdmReservePolicy = RdmReservePolicy.INVALID


class DeviceDtdev(Record):
    """libxl_device_dtdev"""

    path: str | None = None


class DeviceVfb(Record):
    """libxl_device_vfb"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    vnc: VncInfo = VncInfo()
    sdl: SdlInfo = SdlInfo()
    keymap: str | None = None


class DeviceVkb(Record):
    """libxl_device_vkb"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    backend_type: VkbBackend = VkbBackend.UNKNOWN
    unique_id: str | None = None
    feature_disable_keyboard: bool = False
    feature_disable_pointer: bool = False
    feature_abs_pointer: bool = False
    feature_raw_pointer: bool = False
    feature_multi_touch: bool = False
    width: int = 0
    height: int = 0
    multi_touch_width: int = 0
    multi_touch_height: int = 0
    multi_touch_num_contacts: int = 0


class DeviceVtpm(Record):
    """libxl_device_vtpm"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    uuid: str | None = None


class DeviceP9(Record):
    """libxl_device_p9"""

    backend_domid: int = 0
    backend_domname: str | None = None
    tag: str | None = None
    path: str | None = None
    security_model: str | None = None
    devid: int = DEVID_DEFAULT


class DevicePvcallsif(Record):
    """libxl_device_pvcallsif"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT


class ConnectorParam(Record):
    """libxl_connector_param"""

    unique_id: str | None = None
    width: int = 0
    height: int = 0


class DeviceVdispl(Record):
    """libxl_device_vdispl"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    be_alloc: bool = False
    connectors: tuple[ConnectorParam, ...] = ()


class VsndParams(Record):
    """libxl_vsnd_params"""

    sample_rates: tuple[int, ...] = ()
    sample_formats: tuple[VsndPcmFormat, ...] = ()
    channels_min: int = 0
    channels_max: int = 0
    buffer_size: int = 0


class VsndStream(Record):
    """libxl_vsnd_stream"""

    unique_id: str | None = None
    type: VsndStreamType | None = None
    params: VsndParams = VsndParams()


class VsndPcm(Record):
    """libxl_vsnd_pcm"""

    name: str | None = None
    params: VsndParams = VsndParams()
    streams: tuple[VsndStream, ...] = ()


class DeviceVsnd(Record):
    """libxl_device_vsnd"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    short_name: str | None = None
    long_name: str | None = None
    params: VsndParams = VsndParams()
    pcms: tuple[VsndPcm, ...] = ()


class ChannelUnknown(Record):
    """channel.u member ``unknown`` (no fields)"""

    UNION_KEY: ClassVar[str] = "connection"
    UNION_TAG: ClassVar[str] = "unknown"


class ChannelPty(Record):
    """channel.u member ``pty`` (no fields)"""

    UNION_KEY: ClassVar[str] = "connection"
    UNION_TAG: ClassVar[str] = "pty"


class ChannelSocket(Record):
    """channel.u member ``socket``"""

    UNION_KEY: ClassVar[str] = "connection"
    UNION_TAG: ClassVar[str] = "socket"

    path: str | None = None


ChannelUnion = ChannelUnknown | ChannelPty | ChannelSocket


class DeviceChannel(Record):
    """libxl_device_channel; ``u`` is keyed by ``connection``"""

    backend_domid: int = 0
    backend_domname: str | None = None
    devid: int = DEVID_DEFAULT
    name: str | None = None
    u: ChannelUnion = ChannelUnknown()

    @property
    def connection(self) -> ChannelConnection:
        return ChannelConnection(self.u.UNION_TAG)


class DeviceUsbctrl(Record):
    """libxl_device_usbctrl"""

    type: UsbctrlType = UsbctrlType.AUTO
    devid: int = DEVID_DEFAULT
    version: int = 0
    ports: int = 0
    backend_domid: int = 0
    backend_domname: str | None = None


class UsbdevHostdev(Record):
    """usbdev.u member ``hostdev``"""

    UNION_KEY: ClassVar[str] = "type"
    UNION_TAG: ClassVar[str] = "hostdev"

    hostbus: int = 0
    hostaddr: int = 0


class DeviceUsbdev(Record):
    """libxl_device_usbdev; ``u`` is keyed by ``type`` (None: type unset)"""

    ctrl: int = DEVID_DEFAULT
    port: int = 0
    u: UsbdevHostdev | None = None

    @property
    def type(self) -> UsbdevType | None:
        return None if self.u is None else UsbdevType(self.u.UNION_TAG)
