"""The backend contract: what xl's runtime commands ask of the toolstack.

Three implementations sit behind :class:`Backend`:

* :mod:`xl_py.backends.libxl`    ctypes on libxenlight (JSON entry points)
* :mod:`xl_py.backends.libvirt`  libvirt-python (``xen:///system``, ``test:///default`` ...)
* :mod:`xl_py.backends.xenstore` pyxs on the xenstored socket (what xenstore alone can do)

Records are frozen (xl_py._record) and know nothing of any library; each backend
fills them from its own source.  An operation a backend cannot perform raises
:class:`NotSupported` naming the backend and what to use instead, before
anything is changed ("nothing half-done").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from xl_py._record import Record, field
from xl_py.errors import BackendError, DomainNotFound, OperationError, UsageError

if TYPE_CHECKING:
    from xl_py.model.domain import DomainConfig

#: libxl's shutdown reasons, in libxl_shutdown_reason order; xl prints the letter
SHUTDOWN_REASON_LETTERS = "-rscwS"
SHUTDOWN_REASONS = ("poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset")

#: a progress callback: (what, done, total) — total 0 when unknown
Progress = Callable[[str, int, int], None]

_HEX = frozenset("0123456789abcdefABCDEF")
_UUID_GROUPS = (8, 4, 4, 4, 12)


class NotSupported(BackendError):
    """The selected backend cannot do this operation (nothing was changed)."""

    def __init__(self, backend: str, operation: str, hint: str = "") -> None:
        tail = f" ({hint})" if hint else ""
        super().__init__(f"the {backend} backend cannot {operation}{tail}")


class DomainInfo(Record):
    """One row of ``xl list``: libxl_dominfo's fields that xl prints."""

    domid: int
    name: str
    uuid: str = "00000000-0000-0000-0000-000000000000"
    current_memkb: int = 0
    max_memkb: int = 0
    outstanding_memkb: int = 0
    vcpu_online: int = 0
    vcpu_max_id: int = 0
    running: bool = False
    blocked: bool = False
    paused: bool = False
    shutdown: bool = False
    dying: bool = False
    shutdown_reason: int | None = None  # index into SHUTDOWN_REASONS
    cpu_time_ns: int = 0
    ssid_label: str | None = None
    start_time: float | None = None  # seconds since the epoch (/vm/<uuid>/start_time)
    domain_type: str | None = None  # "pv", "hvm", "pvh" when the backend knows
    node_affinity: tuple[int, ...] | None = None  # None: every node
    cpupool: int = 0  # libxl_dominfo.cpupool (the pool id)

    @property
    def state(self) -> str:
        """xl's six state letters, e.g. ``r-----`` or ``---sc-``."""
        reason = self.shutdown_reason if self.shutdown else 0
        letter = (SHUTDOWN_REASON_LETTERS[reason]
                  if reason is not None and 0 <= reason < len(SHUTDOWN_REASON_LETTERS) else "?")
        return "".join((
            "r" if self.running else "-",
            "b" if self.blocked else "-",
            "p" if self.paused else "-",
            "s" if self.shutdown else "-",
            letter,
            "d" if self.dying else "-",
        ))

    def to_json(self) -> dict[str, object]:
        """The fields of libxl_dominfo's JSON form that we fill."""
        return {
            "uuid": self.uuid,
            "domid": self.domid,
            "name": self.name,
            "ssidref": 0,
            "ssid_label": self.ssid_label,
            "running": self.running,
            "blocked": self.blocked,
            "paused": self.paused,
            "shutdown": self.shutdown,
            "dying": self.dying,
            "shutdown_reason": (SHUTDOWN_REASONS[self.shutdown_reason]
                                if self.shutdown and self.shutdown_reason is not None
                                and 0 <= self.shutdown_reason < len(SHUTDOWN_REASONS)
                                else None),
            "outstanding_memkb": self.outstanding_memkb,
            "current_memkb": self.current_memkb,
            "max_memkb": self.max_memkb,
            "cpu_time": self.cpu_time_ns,
            "vcpu_max_id": self.vcpu_max_id,
            "vcpu_online": self.vcpu_online,
            "domain_type": self.domain_type,
        }


class VcpuInfo(Record):
    """One row of ``xl vcpu-list`` (libxl_vcpuinfo)."""

    vcpuid: int
    cpu: int | None  # the pcpu it runs on, None when offline
    online: bool
    running: bool
    blocked: bool
    cpu_time_ns: int
    affinity: tuple[int, ...] | None  # None: all pcpus
    soft_affinity: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "vcpuid": self.vcpuid, "cpu": self.cpu, "online": self.online,
            "blocked": self.blocked, "running": self.running, "vcpu_time": self.cpu_time_ns,
            "cpumap": list(self.affinity) if self.affinity is not None else None,
            "cpumap_soft": list(self.soft_affinity) if self.soft_affinity is not None else None,
        }


class PhysInfo(Record):
    """``xl info``'s host facts (libxl_physinfo + libxl_version_info)."""

    nr_cpus: int
    max_cpu_id: int
    nr_nodes: int
    cores_per_socket: int
    threads_per_core: int
    cpu_khz: int
    total_memkb: int
    free_memkb: int
    xen_major: int | None = None
    xen_minor: int | None = None
    xen_extra: str = ""
    xen_caps: str = ""
    xen_scheduler: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # further "key : value" rows, in order

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "nr_cpus": self.nr_cpus, "max_cpu_id": self.max_cpu_id,
            "nr_nodes": self.nr_nodes, "cores_per_socket": self.cores_per_socket,
            "threads_per_core": self.threads_per_core, "cpu_khz": self.cpu_khz,
            "total_memory": self.total_memkb // 1024, "free_memory": self.free_memkb // 1024,
            "xen_major": self.xen_major, "xen_minor": self.xen_minor,
            "xen_extra": self.xen_extra, "xen_caps": self.xen_caps,
            "xen_scheduler": self.xen_scheduler,
        }
        out.update(dict(self.extra))
        return out


class DeviceInfo(Record):
    """One virtual device as ``xl block-list`` / ``network-list`` show it."""

    kind: str  # "vbd" or "vif"
    devid: int
    backend_id: int
    frontend_id: int
    state: int
    evtch: int = -1
    rref: int = -1  # vbd ring-ref
    rref_tx: int = -1
    rref_rx: int = -1
    backend_path: str = ""
    vdev: str = ""  # vbd: the guest's name for it ("xvda")
    target: str = ""  # vbd: params (file, device), "" for an empty cdrom
    devtype: str = ""  # vbd: "disk" or "cdrom"
    mac: str = ""  # vif
    bridge: str = ""  # vif

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "devid": self.devid, "backend_id": self.backend_id,
            "frontend_id": self.frontend_id, "state": self.state, "evtch": self.evtch,
            "backend": self.backend_path,
        }
        if self.kind == "vbd":
            out.update(rref=self.rref, vdev=self.vdev, target=self.target, devtype=self.devtype)
        else:
            out.update(rref_tx=self.rref_tx, rref_rx=self.rref_rx, mac=self.mac,
                       bridge=self.bridge)
        return out


class CpupoolInfo(Record):
    """One cpupool (libxl_cpupoolinfo): its id, name and scheduler, the scheduler
    spelt as libxl's JSON spells libxl_scheduler ("credit", "credit2", "rtds" ...)."""

    poolid: int
    name: str
    sched: str


class SchedParams(Record):
    """A domain's scheduler parameters (libxl_domain_sched_params); -1 is libxl's
    "default" for a field the scheduler does not have.  ``sched`` is "" when the
    backend cannot name the scheduler (libvirt's weight/cap parameters)."""

    sched: str
    weight: int = -1
    cap: int = -1


class DomainWatch(Protocol):
    """Something that wakes a waiter when a domain may have shut down or gone
    (xenstored's @releaseDomain, which libxl's own death events watch)."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True when an event came."""
    def close(self) -> None: ...


class PollingWatch:
    """The fallback where a backend has no events: sleep, report no event."""

    def __init__(self, interval: float = 0.2,
                 sleep: Callable[[float], None] | None = None) -> None:
        import time

        self.interval = interval
        self._sleep = sleep or time.sleep

    def wait(self, timeout: float) -> bool:
        self._sleep(max(0.0, min(self.interval, timeout)))
        return False

    def close(self) -> None:
        return None


class DiskSpec(Record):
    """What block-attach / cd-insert hand a backend (a libxl_device_disk subset)."""

    vdev: str
    target: str = ""
    format: str = "raw"
    backendtype: str = ""  # "phy", "qdisk", "tap" or "" (let the backend choose)
    readwrite: bool = True
    is_cdrom: bool = False
    backend_domid: int = 0

    @property
    def mode(self) -> str:
        return "w" if self.readwrite else "r"


class NicSpec(Record):
    """What network-attach hands a backend (a libxl_device_nic subset)."""

    mac: str | None = None  # None: draw one (xl_py.backends.macs)
    bridge: str = "xenbr0"
    script: str = "vif-bridge"
    model: str | None = None
    ip: str | None = None
    vifname: str | None = None
    devid: int | None = None  # None: the next free one
    backend_domid: int = 0
    rate_bytes_per_interval: int = 0  # xl's rate= as libxl holds it (0: unlimited)
    rate_interval_usecs: int = 0
    extra: tuple[tuple[str, str], ...] = field(default=())


@runtime_checkable
class Backend(Protocol):
    """Everything xl-py's runtime commands need from a toolstack."""

    name: str

    def close(self) -> None: ...

    # -- queries -------------------------------------------------------------
    def list_domains(self) -> tuple[DomainInfo, ...]: ...
    def domain_info(self, domid: int) -> DomainInfo: ...
    def resolve(self, ident: str) -> int: ...
    def physinfo(self) -> PhysInfo: ...
    def list_vcpus(self, domid: int) -> tuple[VcpuInfo, ...]: ...
    def list_devices(self, domid: int, kind: str) -> tuple[DeviceInfo, ...]: ...
    def console_tty(self, domid: int, kind: str, num: int) -> str: ...
    def vnc_address(self, domid: int) -> tuple[str, int, str | None]: ...
    def domain_config_json(self, domid: int) -> dict[str, object] | None: ...
    def dmesg(self, clear: bool) -> str: ...
    def used_macs(self) -> dict[str, str]: ...

    # -- lifecycle -----------------------------------------------------------
    def create(self, config: DomainConfig, paused: bool = False,
               progress: Progress | None = None,
               xl_keys: Mapping[str, object] | None = None,
               domid_policy: str = "xen") -> int:
        """Start a domain; ``xl_keys`` (the config's flat xl.cfg keys, see
        ``cli.commands._runtime.xl_keys``) is what a libvirt backend renders;
        ``domid_policy`` is xl.conf's (libxl: c_info.domid; libvirt picks its own)."""
    def destroy(self, domid: int) -> None: ...
    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None: ...
    def pause(self, domid: int) -> None: ...
    def unpause(self, domid: int) -> None: ...
    def rename(self, domid: int, new_name: str) -> None: ...
    def save(self, domid: int, path: str, checkpoint: bool = False,
             progress: Progress | None = None, *, preserve_domid: bool = False,
             leave_paused: bool = False, config: Mapping[str, object] | None = None) -> None:
        """xl save: ``checkpoint`` (-c) / ``leave_paused`` (-p) keep the domain (paused
        with -p), else it is destroyed; ``preserve_domid`` (-D) stores its domid in the
        image's config; ``config`` (libxl JSON) replaces the domain's own there."""
    def restore(self, path: str, paused: bool = False,
                progress: Progress | None = None, *, domid_policy: str = "xen",
                config: Mapping[str, object] | None = None) -> int:
        """xl restore: the image's config (or ``config``), c_info.domid from it when it
        is a valid guest domid (save -D), else from xl.conf's ``domid_policy``."""
    def suspend_to_fd(self, domid: int, fd: int, live: bool) -> None: ...
    def restore_from_fd(self, fd: int, config_json: bytes, paused: bool,
                        stream_version: int = 2, domid_policy: str = "xen") -> int: ...
    def resume(self, domid: int) -> None: ...

    # -- resources -----------------------------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None: ...
    def set_memory_max(self, domid: int, max_kb: int) -> None: ...
    def set_vcpus(self, domid: int, count: int) -> None: ...
    def pin_vcpu(self, domid: int, vcpu: int | None, hard: tuple[int, ...] | None,
                 soft: tuple[int, ...] | None) -> None:
        """Pin one vcpu (None: all); an affinity of None is left as it is."""
    def cpupools(self) -> tuple[CpupoolInfo, ...]: ...
    def domain_sched_params(self, domid: int) -> SchedParams: ...
    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None: ...
    def pool_sched_params(self, poolid: int, sched: str) -> dict[str, int]: ...
    def set_pool_sched_params(self, poolid: int, sched: str,
                              values: Mapping[str, int]) -> None: ...
    def watch_domains(self) -> DomainWatch: ...

    # -- devices -------------------------------------------------------------
    def attach_disk(self, domid: int, disk: DiskSpec) -> None: ...
    def detach_disk(self, domid: int, vdev: str, force: bool = False) -> None: ...
    def attach_nic(self, domid: int, nic: NicSpec) -> str: ...
    def detach_nic(self, domid: int, which: str) -> None: ...
    def cd_insert(self, domid: int, vdev: str, target: str) -> None: ...
    def cd_eject(self, domid: int, vdev: str) -> None: ...


def is_uuid(text: str) -> bool:
    """32 hex digits, bare or dashed 8-4-4-4-12 (no regex: this is on list's hot path)."""
    if "-" in text:
        parts = text.split("-")
        if tuple(len(p) for p in parts) != _UUID_GROUPS:
            return False
        text = "".join(parts)
    return len(text) == 32 and all(c in _HEX for c in text)


def normalise_uuid(text: str) -> str:
    """``0123...`` (32 hex digits, with or without dashes) -> canonical lower form."""
    h = text.replace("-", "").lower()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def resolve_in(domains: Sequence[DomainInfo], ident: str) -> int:
    """A domain qualifier (domid, UUID or name) -> domid, like xl's find_domain.

    xl accepts any all-digits string as a domid without checking it exists;
    xl-py checks, so that no command acts on a domain that is not there."""
    if ident.isdigit() and ident.isascii():
        domid = int(ident)
        if any(d.domid == domid for d in domains):
            return domid
        raise DomainNotFound(ident)
    if is_uuid(ident):
        want = normalise_uuid(ident)
        for d in domains:
            if d.uuid.lower() == want:
                return d.domid
        raise DomainNotFound(ident)
    for d in domains:
        if d.name == ident:
            return d.domid
    raise DomainNotFound(ident)


class BackendBase:
    """Shared behaviour; every operation a subclass lacks is :class:`NotSupported`."""

    name = "generic"
    hint = ""

    def _no(self, operation: str) -> NotSupported:
        return NotSupported(self.name, operation, self.hint)

    def close(self) -> None:
        return None

    def __enter__(self) -> BackendBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list_domains(self) -> tuple[DomainInfo, ...]:
        raise self._no("list domains")

    def domain_info(self, domid: int) -> DomainInfo:
        for d in self.list_domains():
            if d.domid == domid:
                return d
        raise DomainNotFound(str(domid))

    def resolve(self, ident: str) -> int:
        return resolve_in(self.list_domains(), ident)

    def physinfo(self) -> PhysInfo:
        raise self._no("report host information")

    def list_vcpus(self, domid: int) -> tuple[VcpuInfo, ...]:
        raise self._no("list vcpus")

    def list_devices(self, domid: int, kind: str) -> tuple[DeviceInfo, ...]:
        raise self._no(f"list {kind} devices")

    def console_tty(self, domid: int, kind: str, num: int) -> str:
        raise self._no("find console ttys")

    def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
        raise self._no("find the VNC display")

    def domain_config_json(self, domid: int) -> dict[str, object] | None:
        return None

    def dmesg(self, clear: bool) -> str:
        raise self._no("read the hypervisor console")

    def used_macs(self) -> dict[str, str]:
        """Every MAC in use by a running domain's vif -> ``"domain/devid"``."""
        out: dict[str, str] = {}
        for d in self.list_domains():
            for dev in self.list_devices(d.domid, "vif"):
                if dev.mac:
                    out[dev.mac.lower()] = f"{d.name}/{dev.devid}"
        return out

    def create(self, config: DomainConfig, paused: bool = False,
               progress: Progress | None = None,
               xl_keys: Mapping[str, object] | None = None,
               domid_policy: str = "xen") -> int:
        raise self._no("create domains")

    def destroy(self, domid: int) -> None:
        raise self._no("destroy domains")

    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None:
        raise self._no("reboot domains" if reboot else "shut domains down")

    def pause(self, domid: int) -> None:
        raise self._no("pause domains")

    def unpause(self, domid: int) -> None:
        raise self._no("unpause domains")

    def rename(self, domid: int, new_name: str) -> None:
        raise self._no("rename domains")

    def save(self, domid: int, path: str, checkpoint: bool = False,
             progress: Progress | None = None, *, preserve_domid: bool = False,
             leave_paused: bool = False, config: Mapping[str, object] | None = None) -> None:
        raise self._no("save domains")

    def restore(self, path: str, paused: bool = False,
                progress: Progress | None = None, *, domid_policy: str = "xen",
                config: Mapping[str, object] | None = None) -> int:
        raise self._no("restore domains")

    def suspend_to_fd(self, domid: int, fd: int, live: bool) -> None:
        raise self._no("stream a domain's state (save / migrate)")

    def restore_from_fd(self, fd: int, config_json: bytes, paused: bool,
                        stream_version: int = 2, domid_policy: str = "xen") -> int:
        raise self._no("restore a domain from a stream")

    def resume(self, domid: int) -> None:
        raise self._no("resume a suspended domain")

    def set_memory_target(self, domid: int, target_kb: int) -> None:
        raise self._no("set memory targets")

    def set_memory_max(self, domid: int, max_kb: int) -> None:
        raise self._no("set maximum memory")

    def set_vcpus(self, domid: int, count: int) -> None:
        raise self._no("change the number of vcpus")

    def pin_vcpu(self, domid: int, vcpu: int | None, hard: tuple[int, ...] | None,
                 soft: tuple[int, ...] | None) -> None:
        raise self._no("pin vcpus")

    # -- schedulers and cpupools (xl sched-credit / sched-credit2) -----------------
    def cpupools(self) -> tuple[CpupoolInfo, ...]:
        raise self._no("list cpupools")

    def domain_sched_params(self, domid: int) -> SchedParams:
        raise self._no("read scheduler parameters")

    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None:
        """Set the fields that are not -1, as libxl_domain_sched_params_set does."""
        raise self._no("set scheduler parameters")

    def pool_sched_params(self, poolid: int, sched: str) -> dict[str, int]:
        """libxl_sched_<sched>_params of a pool, as libxl's JSON names the fields."""
        raise self._no("read scheduler-wide parameters")

    def set_pool_sched_params(self, poolid: int, sched: str, values: Mapping[str, int]) -> None:
        raise self._no("set scheduler-wide parameters")

    # -- waiting ------------------------------------------------------------------------
    def watch_domains(self) -> DomainWatch:
        """What shutdown -w and the monitor wait on between looks at the domains."""
        return PollingWatch()

    def attach_disk(self, domid: int, disk: DiskSpec) -> None:
        raise self._no("attach disks")

    def detach_disk(self, domid: int, vdev: str, force: bool = False) -> None:
        raise self._no("detach disks")

    def attach_nic(self, domid: int, nic: NicSpec) -> str:
        raise self._no("attach network interfaces")

    def detach_nic(self, domid: int, which: str) -> None:
        raise self._no("detach network interfaces")

    def cd_insert(self, domid: int, vdev: str, target: str) -> None:
        raise self._no("insert cdroms")

    def cd_eject(self, domid: int, vdev: str) -> None:
        raise self._no("eject cdroms")


def check_new_name(domains: Sequence[DomainInfo], domid: int, new_name: str) -> None:
    """rename's precondition (libxl__domain_rename): a non-empty name not in use."""
    if not new_name:
        raise UsageError("the new domain name must not be empty")
    for d in domains:
        if d.name == new_name and d.domid != domid:
            raise OperationError(f"domain with name \"{new_name}\" already exists.")


def check_memory_target(info: DomainInfo, target_kb: int, static_max_kb: int) -> None:
    """mem-set's refusal above maxmem (libxl_set_memory_target's rule), one line."""
    if target_kb < 0:
        raise OperationError(f"invalid memory target for domain {info.domid}: {target_kb}k")
    if target_kb > static_max_kb:
        raise OperationError(
            f"cannot set memory of domain {info.name} ({info.domid}) to "
            f"{target_kb // 1024}M: above its maximum of {static_max_kb // 1024}M "
            f"(raise it first with mem-max)")
    if info.domid == 0 and target_kb < MIN_DOM0_MEMKB:
        raise OperationError(
            f"new target {target_kb}k for dom0 is below the minimum threshold "
            f"of {MIN_DOM0_MEMKB}k")


#: LIBXL_MIN_DOM0_MEM (libxl_internal.h): 128 MiB
MIN_DOM0_MEMKB = 128 * 1024


def check_vcpu_count(info: DomainInfo, count: int, max_vcpus: int) -> None:
    if count <= 0:
        raise OperationError("invalid vcpu count: must be at least 1")
    if count > max_vcpus:
        raise OperationError(
            f"cannot set {count} vcpus on domain {info.name} ({info.domid}): "
            f"its maximum is {max_vcpus} (maxvcpus)")
