"""libxl enumerations (libxl_types.idl, Xen 4.17); ``.value`` is the JSON name.

libxl prints an enumeration with ``<type>_to_string``: the IDL value name in
lower case.  Members are listed in IDL order; the first member of each class
is its zero value unless the IDL gives another ``init_val`` (noted below), and
model fields default to the init value.  ``from_libxl`` mirrors libxl's
``<type>_from_string`` (case-insensitive match on the name).
"""

from __future__ import annotations

import enum
from typing import TypeVar

_E = TypeVar("_E", bound="LibxlEnum")


class LibxlEnum(enum.Enum):
    """Base for libxl enumerations: JSON name as value, libxl's from_string."""

    @classmethod
    def from_libxl(cls: type[_E], text: str) -> _E | None:
        """libxl_<type>_from_string: case-insensitive, None when unknown."""
        folded = text.lower()
        for member in cls:
            if member.value == folded:
                return member
        return None

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


class DomainType(LibxlEnum):
    """libxl_domain_type (init_val INVALID)"""

    INVALID = "invalid"
    HVM = "hvm"
    PV = "pv"
    PVH = "pvh"


class ActionOnShutdown(LibxlEnum):
    """libxl_action_on_shutdown (init_val DESTROY); xl spells them with '-'."""

    DESTROY = "destroy"
    RESTART = "restart"
    RESTART_RENAME = "restart_rename"
    PRESERVE = "preserve"
    COREDUMP_DESTROY = "coredump_destroy"
    COREDUMP_RESTART = "coredump_restart"
    SOFT_RESET = "soft_reset"

    @property
    def xl_name(self) -> str:
        """The spelling xl.cfg uses (xl_parse.c action_on_shutdown_names)."""
        return self.value.replace("_", "-") if self is not ActionOnShutdown.RESTART_RENAME \
            else "rename-restart"


class TscMode(LibxlEnum):
    DEFAULT = "default"
    ALWAYS_EMULATE = "always_emulate"
    NATIVE = "native"
    NATIVE_PARAVIRT = "native_paravirt"


class TimerMode(LibxlEnum):
    """libxl_timer_mode (init_val LIBXL_TIMER_MODE_DEFAULT = -1 = unknown)"""

    UNKNOWN = "unknown"
    DELAY_FOR_MISSED_TICKS = "delay_for_missed_ticks"
    NO_DELAY_FOR_MISSED_TICKS = "no_delay_for_missed_ticks"
    NO_MISSED_TICKS_PENDING = "no_missed_ticks_pending"
    ONE_MISSED_TICK_PENDING = "one_missed_tick_pending"


class BiosType(LibxlEnum):
    UNKNOWN = "unknown"
    ROMBIOS = "rombios"
    SEABIOS = "seabios"
    OVMF = "ovmf"


class Scheduler(LibxlEnum):
    UNKNOWN = "unknown"
    SEDF = "sedf"
    CREDIT = "credit"
    CREDIT2 = "credit2"
    ARINC653 = "arinc653"
    RTDS = "rtds"
    NULL = "null"


class DeviceModelVersion(LibxlEnum):
    UNKNOWN = "unknown"
    QEMU_XEN_TRADITIONAL = "qemu_xen_traditional"
    QEMU_XEN = "qemu_xen"


class VgaInterfaceType(LibxlEnum):
    UNKNOWN = "unknown"
    CIRRUS = "cirrus"
    STD = "std"
    NONE = "none"
    QXL = "qxl"


class VendorDevice(LibxlEnum):
    NONE = "none"
    XENSERVER = "xenserver"


class ViridianEnlightenment(LibxlEnum):
    """Bit numbers of viridian_enable / viridian_disable (IDL order = bit)."""

    BASE = "base"
    FREQ = "freq"
    TIME_REF_COUNT = "time_ref_count"
    REFERENCE_TSC = "reference_tsc"
    HCALL_REMOTE_TLB_FLUSH = "hcall_remote_tlb_flush"
    APIC_ASSIST = "apic_assist"
    CRASH_CTL = "crash_ctl"
    SYNIC = "synic"
    STIMER = "stimer"
    HCALL_IPI = "hcall_ipi"
    EX_PROCESSOR_MASKS = "ex_processor_masks"
    NO_VP_LIMIT = "no_vp_limit"
    CPU_HOTPLUG = "cpu_hotplug"

    @property
    def bit(self) -> int:
        return list(ViridianEnlightenment).index(self)


class Hdtype(LibxlEnum):
    """libxl_hdtype (init_val IDE)"""

    IDE = "ide"
    AHCI = "ahci"


class GfxPassthruKind(LibxlEnum):
    DEFAULT = "default"
    IGD = "igd"


class RdmReserveStrategy(LibxlEnum):
    IGNORE = "ignore"
    HOST = "host"


class RdmReservePolicy(LibxlEnum):
    """libxl_rdm_reserve_policy (init_val INVALID)"""

    INVALID = "invalid"
    STRICT = "strict"
    RELAXED = "relaxed"


class GicVersion(LibxlEnum):
    DEFAULT = "default"
    V2 = "v2"
    V3 = "v3"


class TeeType(LibxlEnum):
    NONE = "none"
    OPTEE = "optee"


class VuartType(LibxlEnum):
    UNKNOWN = "unknown"
    SBSA_UART = "sbsa_uart"


class Altp2mMode(LibxlEnum):
    """libxl_altp2m_mode (init_val DISABLED); the integer form is the index."""

    DISABLED = "disabled"
    MIXED = "mixed"
    EXTERNAL = "external"
    LIMITED = "limited"


class Passthrough(LibxlEnum):
    DEFAULT = "default"
    DISABLED = "disabled"
    ENABLED = "enabled"
    SYNC_PT = "sync_pt"
    SHARE_PT = "share_pt"
