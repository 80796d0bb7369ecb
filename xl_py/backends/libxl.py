"""The libxl backend: ctypes on libxenlight.so.4.17 through its JSON entry points.

No libxl structure layout is written down here.  Every libxl struct is held in
an opaque, zeroed buffer larger than the struct, set up with the library's own
``libxl_<type>_init``, filled by the library, read back with
``libxl_<type>_to_json`` and released with ``libxl_<type>_dispose``; a domain
config goes in with ``libxl_domain_config_from_json``.  Bitmaps are built with
``libxl_bitmap_init`` / ``libxl_cpu_bitmap_alloc`` / ``libxl_bitmap_set``.

Which domains exist comes from xenstore (``/local/domain``, as libxl's own
name lookups do) and is confirmed with ``libxl_domain_info``; names, consoles
and devices come from xenstore through :class:`XenstoreBackend`.

The library is opened by its 4.17 soname and the hypervisor it talks to must
report Xen 4.17 (libxl_get_version_info); anything else is a clear error.
ctypes is imported here and only here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import os
import sys
import time
import uuid as uuid_mod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from xl_py.backends import libxl_sched
from xl_py.backends.base import (
    BackendBase,
    CpupoolInfo,
    DeviceInfo,
    DiskSpec,
    DomainInfo,
    DomainWatch,
    NicSpec,
    PhysInfo,
    Progress,
    SchedParams,
    VcpuInfo,
    check_memory_target,
    check_new_name,
    check_vcpu_count,
)
from xl_py.backends.migration import SaveHeader, read_header, saved_config, with_domid_policy
from xl_py.errors import BackendError, BackendUnavailable, DomainNotFound, OperationError

if TYPE_CHECKING:
    from xl_py.backends.xenstore import XenstoreBackend
    from xl_py.model.domain import DomainConfig

SONAME = "libxenlight.so.4.17"
TOOLLOG = "libxentoollog.so.1"
WANT_XEN = (4, 17)
STRUCT_BUFFER = 1 << 16  # bytes; every libxl struct is far smaller
LIBXL_VERSION = 0
XTL_PROGRESS, XTL_ERROR = 4, 8
ERROR_NOPARAVIRT, ERROR_DOMAIN_NOTFOUND = -10, -21
TRIGGER_POWER, TRIGGER_RESET = 1, 5
SUSPEND_LIVE = 2
SHUTDOWN_REASON_INDEX = {"poweroff": 0, "reboot": 1, "suspend": 2, "crash": 3,
                         "watchdog": 4, "soft_reset": 5}
LOCKFILE = "/var/lib/xen/xl-py.lock"
NIL_UUID = "00000000-0000-0000-0000-000000000000"  # libxl omits a nil uuid from its JSON
VCPUINFO_SIZE = 56  # sizeof(libxl_vcpuinfo), libxl 4.17 on x86_64 (see _vcpuinfo_stride)

_vp, _u32, _i32, _i64, _u64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_int64, \
    ctypes.c_uint64
_cp = ctypes.c_char_p


class _Uuid(ctypes.Structure):
    """libxl_uuid, passed by value to libxl_domain_preserve (16 bytes, libxl_uuid.h)."""

    _fields_ = [("uuid", ctypes.c_ubyte * 16)]


# symbol -> (restype, argtypes): every libxl call this module makes
SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "libxl_ctx_alloc": (_i32, (ctypes.POINTER(_vp), _i32, ctypes.c_uint, _vp)),
    "libxl_ctx_free": (_i32, (_vp,)),
    "libxl_get_version_info": (_vp, (_vp,)),
    "libxl_version_info_to_json": (_vp, (_vp, _vp)),
    "libxl_dominfo_init": (None, (_vp,)),
    "libxl_dominfo_dispose": (None, (_vp,)),
    "libxl_dominfo_to_json": (_vp, (_vp, _vp)),
    "libxl_domain_info": (_i32, (_vp, _vp, _u32)),
    "libxl_domid_to_name": (_vp, (_vp, _u32)),
    "libxl_physinfo_init": (None, (_vp,)),
    "libxl_physinfo_dispose": (None, (_vp,)),
    "libxl_physinfo_to_json": (_vp, (_vp, _vp)),
    "libxl_get_physinfo": (_i32, (_vp, _vp)),
    "libxl_list_vcpu": (_vp, (_vp, _u32, ctypes.POINTER(_i32), ctypes.POINTER(_i32))),
    "libxl_vcpuinfo_to_json": (_vp, (_vp, _vp)),
    "libxl_vcpuinfo_list_free": (None, (_vp, _i32)),
    "libxl_domain_config_init": (None, (_vp,)),
    "libxl_domain_config_dispose": (None, (_vp,)),
    "libxl_domain_config_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_domain_config_to_json": (_vp, (_vp, _vp)),
    "libxl_retrieve_domain_configuration": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_domain_create_new": (_i32, (_vp, _vp, ctypes.POINTER(_u32), _vp, _vp)),
    "libxl_domain_restore_params_init": (None, (_vp,)),
    "libxl_domain_restore_params_dispose": (None, (_vp,)),
    "libxl_domain_restore_params_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_domain_create_info_init": (None, (_vp,)),
    "libxl_domain_create_info_dispose": (None, (_vp,)),
    "libxl_domain_create_info_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_domain_preserve": (_i32, (_vp, _u32, _vp, _cp, _Uuid)),
    "libxl_domain_soft_reset": (_i32, (_vp, _vp, _u32, _vp, _vp)),
    "libxl_domain_core_dump": (_i32, (_vp, _u32, _cp, _vp)),
    "libxl_domain_create_restore": (_i32, (_vp, _vp, ctypes.POINTER(_u32), _i32, _i32, _vp,
                                           _vp, _vp)),
    "libxl_domain_suspend": (_i32, (_vp, _u32, _i32, _i32, _vp)),
    "libxl_domain_resume": (_i32, (_vp, _u32, _i32, _vp)),
    "libxl_domain_destroy": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_shutdown": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_reboot": (_i32, (_vp, _u32, _vp)),
    "libxl_send_trigger": (_i32, (_vp, _u32, _i32, _u32, _vp)),
    "libxl_domain_pause": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_unpause": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_rename": (_i32, (_vp, _u32, _cp, _cp)),
    "libxl_set_memory_target": (_i32, (_vp, _u32, _i64, _i32, _i32)),
    "libxl_domain_setmaxmem": (_i32, (_vp, _u32, _u64)),
    "libxl_bitmap_init": (None, (_vp,)),
    "libxl_bitmap_dispose": (None, (_vp,)),
    "libxl_cpu_bitmap_alloc": (_i32, (_vp, _vp, _i32)),
    "libxl_bitmap_set": (None, (_vp, _i32)),
    "libxl_set_vcpuonline": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_set_vcpuaffinity": (_i32, (_vp, _u32, _u32, _vp, _vp)),
    "libxl_domain_sched_params_init": (None, (_vp,)),
    "libxl_domain_sched_params_dispose": (None, (_vp,)),
    "libxl_domain_sched_params_get": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_sched_params_to_json": (_vp, (_vp, _vp)),
    "libxl_device_disk_init": (None, (_vp,)),
    "libxl_device_disk_dispose": (None, (_vp,)),
    "libxl_device_disk_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_device_disk_to_json": (_vp, (_vp, _vp)),
    "libxl_device_disk_add": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_device_disk_remove": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_device_disk_destroy": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_vdev_to_device_disk": (_i32, (_vp, _u32, _cp, _vp)),
    "libxl_cdrom_insert": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_device_nic_init": (None, (_vp,)),
    "libxl_device_nic_dispose": (None, (_vp,)),
    "libxl_device_nic_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_device_nic_to_json": (_vp, (_vp, _vp)),
    "libxl_device_nic_add": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_device_nic_remove": (_i32, (_vp, _u32, _vp, _vp)),
    "libxl_devid_to_device_nic": (_i32, (_vp, _u32, _i32, _vp)),
    "libxl_mac_to_device_nic": (_i32, (_vp, _u32, _cp, _vp)),
    "libxl_xen_console_read_start": (_vp, (_vp, _i32)),
    "libxl_xen_console_read_line": (_i32, (_vp, _vp, ctypes.POINTER(_vp))),
    "libxl_xen_console_read_finish": (None, (_vp, _vp)),
}


SIGNATURES.update(libxl_sched.SIGNATURES)


def load_library(environ: dict[str, str] | None = None) -> ctypes.CDLL:
    """libxenlight by its 4.17 soname; a clear error when absent or another version."""
    env = os.environ if environ is None else environ
    name = env.get("XL_PY_LIBXL", SONAME)
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        other = ctypes.util.find_library("xenlight")
        found = f" (found {other}, which is not Xen 4.17's)" if other else ""
        raise BackendUnavailable(
            f"cannot load {name}{found}: install xen-utils-4.17 (libxenlight) or use "
            "-c xenstore / -c xen:///system") from exc
    missing = [s for s in SIGNATURES if not hasattr(lib, s)]
    if missing:
        raise BackendUnavailable(f"{name} lacks {', '.join(missing[:3])}: not libxl 4.17")
    for symbol, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, symbol)
        fn.restype, fn.argtypes = restype, list(argtypes)
    return lib


class LibxlBackend(BackendBase):
    name = "libxl"
    hint = "libxl does not offer it"

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.lib = load_library(self.environ)
        self._libc = ctypes.CDLL(None)
        self._libc.free.argtypes = [_vp]
        self._libc.malloc_usable_size.restype = ctypes.c_size_t
        self._libc.malloc_usable_size.argtypes = [_vp]
        self._libc.fdopen.restype = _vp
        self._libc.fdopen.argtypes = [_i32, _cp]
        self.ctx = self._alloc_ctx()
        self.version = self._version_info()
        self._xs: XenstoreBackend | None = None
        self._created: dict[int, dict[str, object]] = {}  # domid -> the JSON it was made of

    # -- plumbing ------------------------------------------------------------------
    def _alloc_ctx(self) -> int:
        toollog = ctypes.CDLL(TOOLLOG)
        toollog.xtl_createlogger_stdiostream.restype = _vp
        toollog.xtl_createlogger_stdiostream.argtypes = [_vp, _i32, ctypes.c_uint]
        stream = self._libc.fdopen(os.dup(2), b"w")
        # xl's default minimum level is XTL_PROGRESS: libxl's progress on save,
        # restore and migrate shows; XL_PY_QUIET=1 keeps only errors
        level = XTL_ERROR if self.environ.get("XL_PY_QUIET") else XTL_PROGRESS
        self._logger = toollog.xtl_createlogger_stdiostream(stream, level, 0)
        ctx = _vp()
        rc = self.lib.libxl_ctx_alloc(ctypes.byref(ctx), LIBXL_VERSION, 0, self._logger)
        if rc or not ctx.value:
            raise BackendUnavailable(
                f"cannot initialise libxl (rc={rc}): is this a Xen dom0 with xenstored "
                "running and /dev/xen/privcmd accessible (run as root)?")
        return ctx.value

    def _version_info(self) -> dict[str, Any]:
        ptr = self.lib.libxl_get_version_info(self.ctx)
        if not ptr:
            raise BackendUnavailable("libxl_get_version_info failed")
        info: dict[str, Any] = self._json(self.lib.libxl_version_info_to_json(self.ctx, ptr))
        have = (_int(info, "xen_version_major"), _int(info, "xen_version_minor"))
        if have != WANT_XEN:
            raise BackendUnavailable(
                f"libxl 4.17 is talking to Xen {have[0]}.{have[1]}: the toolstack and the "
                "hypervisor versions must match")
        return info

    def _json(self, ptr: int | None) -> Any:
        if not ptr:
            raise BackendError("libxl returned no JSON")
        try:
            text = ctypes.string_at(ptr).decode()
        finally:
            self._libc.free(ptr)
        return json.loads(text)

    def _string(self, ptr: int | None) -> str | None:
        if not ptr:
            return None
        try:
            return ctypes.string_at(ptr).decode()
        finally:
            self._libc.free(ptr)

    @contextmanager
    def _struct(self, kind: str) -> Iterator[ctypes.Array[ctypes.c_char]]:
        buf = ctypes.create_string_buffer(STRUCT_BUFFER)
        getattr(self.lib, f"libxl_{kind}_init")(buf)
        try:
            yield buf
        finally:
            getattr(self.lib, f"libxl_{kind}_dispose")(buf)

    def _check(self, rc: int, what: str, domid: int | None = None) -> None:
        if rc == ERROR_DOMAIN_NOTFOUND and domid is not None:
            raise DomainNotFound(str(domid))
        if rc:
            raise BackendError(f"{what} failed (rc={rc})")

    @property
    def xs(self) -> XenstoreBackend:
        if self._xs is None:
            from xl_py.backends.xenstore import XenstoreBackend
            from xl_py.backends.xsclient import default_socket_path

            self._xs = XenstoreBackend(socket_path=default_socket_path(self.environ))
        return self._xs

    def close(self) -> None:
        if self._xs is not None:
            self._xs.close()
        if self.ctx:
            self.lib.libxl_ctx_free(self.ctx)
            self.ctx = 0

    # -- queries ---------------------------------------------------------------------
    def _dominfo(self, domid: int) -> dict[str, Any]:
        with self._struct("dominfo") as buf:
            self._check(self.lib.libxl_domain_info(self.ctx, buf, domid), "libxl_domain_info",
                        domid)
            return dict(self._json(self.lib.libxl_dominfo_to_json(self.ctx, buf)))

    def domain_info(self, domid: int) -> DomainInfo:
        info = self._dominfo(domid)
        name = self._string(self.lib.libxl_domid_to_name(self.ctx, domid)) or ""
        reason = info.get("shutdown_reason")
        start = None
        if domid != 0:
            start = next((d.start_time for d in self.xs._infos([domid])), None)
        return DomainInfo(
            domid=domid, name=name, uuid=str(info.get("uuid") or NIL_UUID),
            current_memkb=_int(info, "current_memkb"), max_memkb=_int(info, "max_memkb"),
            outstanding_memkb=_int(info, "outstanding_memkb"),
            vcpu_online=_int(info, "vcpu_online"), vcpu_max_id=_int(info, "vcpu_max_id"),
            running=bool(info.get("running")), blocked=bool(info.get("blocked")),
            paused=bool(info.get("paused")), shutdown=bool(info.get("shutdown")),
            dying=bool(info.get("dying")),
            shutdown_reason=SHUTDOWN_REASON_INDEX.get(str(reason)) if reason else None,
            cpu_time_ns=_int(info, "cpu_time"), ssid_label=info.get("ssid_label"),
            start_time=start, domain_type=info.get("domain_type"),
            cpupool=libxl_sched.domain_cpupool(info))

    def list_domains(self) -> tuple[DomainInfo, ...]:
        out = []
        for domid in self.xs.domids():
            try:
                out.append(self.domain_info(domid))
            except DomainNotFound:
                continue  # xenstore still has a domain the hypervisor has dropped
        return tuple(out)

    def resolve(self, ident: str) -> int:
        domid = self.xs.resolve(ident)
        self._dominfo(domid)  # the hypervisor must know it too
        return domid

    def physinfo(self) -> PhysInfo:
        with self._struct("physinfo") as buf:
            self._check(self.lib.libxl_get_physinfo(self.ctx, buf), "libxl_get_physinfo")
            p = self._json(self.lib.libxl_physinfo_to_json(self.ctx, buf))
        v = self.version
        page_kb = _int(v, "pagesize", 4096) // 1024
        return PhysInfo(
            nr_cpus=_int(p, "nr_cpus"), max_cpu_id=_int(p, "max_cpu_id"),
            nr_nodes=_int(p, "nr_nodes"), cores_per_socket=_int(p, "cores_per_socket"),
            threads_per_core=_int(p, "threads_per_core"), cpu_khz=_int(p, "cpu_khz"),
            total_memkb=_int(p, "total_pages") * page_kb,
            free_memkb=(_int(p, "free_pages") - _int(p, "outstanding_pages")) * page_kb,
            xen_major=_int(v, "xen_version_major"), xen_minor=_int(v, "xen_version_minor"),
            xen_extra=str(v.get("xen_version_extra") or ""),
            xen_caps=str(v.get("capabilities") or ""),
            extra=tuple((k, str(v.get(src) or "")) for k, src in (
                ("xen_pagesize", "pagesize"), ("xen_changeset", "changeset"),
                ("xen_commandline", "commandline"), ("cc_compiler", "compiler"),
                ("build_id", "build_id"))))

    def list_vcpus(self, domid: int) -> tuple[VcpuInfo, ...]:
        nb, nr_cpus = _i32(), _i32()
        base = self.lib.libxl_list_vcpu(self.ctx, domid, ctypes.byref(nb), ctypes.byref(nr_cpus))
        if not base:
            self._dominfo(domid)
            raise BackendError(f"libxl_list_vcpu failed for domain {domid}")
        try:
            stride = _vcpuinfo_stride(base, nb.value, self._libc.malloc_usable_size(base))
            records = [self._json(self.lib.libxl_vcpuinfo_to_json(self.ctx, base + i * stride))
                       for i in range(nb.value)]
        finally:
            self.lib.libxl_vcpuinfo_list_free(base, nb.value)
        return tuple(VcpuInfo(
            vcpuid=_int(r, "vcpuid"), cpu=_int(r, "cpu") if r.get("online") else None,
            online=bool(r.get("online")), running=bool(r.get("running")),
            blocked=bool(r.get("blocked")), cpu_time_ns=_int(r, "vcpu_time"),
            affinity=_bits(r.get("cpumap"), nr_cpus.value),
            soft_affinity=_bits(r.get("cpumap_soft"), nr_cpus.value)) for r in records)

    def list_devices(self, domid: int, kind: str) -> tuple[DeviceInfo, ...]:
        self._dominfo(domid)
        return self.xs.list_devices(domid, kind)

    def console_tty(self, domid: int, kind: str, num: int) -> str:
        return self.xs.console_tty(domid, kind, num)

    def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
        return self.xs.vnc_address(domid)

    def used_macs(self) -> dict[str, str]:
        return self.xs.used_macs()

    def domain_config_json(self, domid: int) -> dict[str, object] | None:
        with self._struct("domain_config") as buf:
            rc = self.lib.libxl_retrieve_domain_configuration(self.ctx, domid, buf, None)
            if rc:
                return None
            return dict(self._json(self.lib.libxl_domain_config_to_json(self.ctx, buf)))

    def dmesg(self, clear: bool) -> str:
        reader = self.lib.libxl_xen_console_read_start(self.ctx, int(clear))
        if not reader:
            raise BackendError("libxl_xen_console_read_start failed")
        lines = []
        try:
            line = _vp()
            while self.lib.libxl_xen_console_read_line(self.ctx, reader, ctypes.byref(line)) > 0:
                if line.value:
                    lines.append(ctypes.string_at(line.value).decode(errors="replace"))
        finally:
            self.lib.libxl_xen_console_read_finish(self.ctx, reader)
        return "".join(lines)

    # -- lifecycle -------------------------------------------------------------------
    @contextmanager
    def _config(self, config_json: bytes) -> Iterator[ctypes.Array[ctypes.c_char]]:
        with self._struct("domain_config") as buf:
            rc = self.lib.libxl_domain_config_from_json(self.ctx, buf, config_json)
            if rc:
                raise OperationError(f"libxl rejected the domain configuration (rc={rc})")
            yield buf

    @contextmanager
    def _create_lock(self) -> Iterator[None]:
        """xl's lock file: one create at a time, so two creates of one name cannot race."""
        path = self.environ.get("XL_PY_LOCKFILE", LOCKFILE)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def create(self, config: DomainConfig, paused: bool = False,
               progress: Progress | None = None,
               xl_keys: Mapping[str, object] | None = None,
               domid_policy: str = "xen") -> int:
        """libxl_domain_create_new; c_info.domid from xl.conf's domid_policy when the
        config names no valid guest domid (xl_vmcontrol.c create_domain)."""
        from xl_py.render.libxl_json import to_json

        data = json.loads(to_json(config))
        return self.create_from_json(with_domid_policy(data, domid_policy), paused=paused)

    def create_from_json(self, config: dict[str, object], *, paused: bool = False,
                         soft_reset_of: int | None = None) -> int:
        """A domain from its libxl JSON (create, and the monitor's restart)."""
        c_info = config.get("c_info")
        name = str(c_info.get("name") or "") if isinstance(c_info, dict) else ""
        text = json.dumps(config).encode()
        domid = _u32()
        if soft_reset_of is not None:
            with self._config(text) as buf:
                rc = self.lib.libxl_domain_soft_reset(self.ctx, buf, soft_reset_of, None, None)
            domid.value = soft_reset_of
        else:
            with self._create_lock():
                check_new_name(self.xs._names_and_uuids(), -1, name)
                with self._config(text) as buf:
                    rc = self.lib.libxl_domain_create_new(self.ctx, buf, ctypes.byref(domid),
                                                          None, None)
        if rc:  # libxl destroys a half-built domain and its xenstore nodes itself
            raise OperationError(f"cannot create domain {name} (libxl rc={rc})")
        self._created[domid.value] = config
        if not paused:
            self.unpause(domid.value)
        return domid.value

    def start_monitor(self, domid: int, foreground: bool = False) -> int | None:
        """xl's daemonized create: a process that carries out the on_* actions.
        Returns its pid (None in the foreground, after the domain is gone)."""
        from xl_py.backends import monitor

        config = self.domain_config_json(domid) or self._created.get(domid)
        if config is None:
            raise OperationError(f"cannot read the configuration of domain {domid}: "
                                 "no process will carry out its on_poweroff/on_reboot")
        if foreground:
            monitor.watch(self, domid, config, lambda line: print(line, file=sys.stderr))
            return None
        return monitor.spawn(domid, config, self.environ)

    # -- what the monitor needs (xl_py.backends.monitor.Supervisor) --------------------
    def shutdown_state(self, domid: int) -> tuple[str, str | None]:
        info = self._dominfo(domid)
        reason = info.get("shutdown_reason")
        down = bool(info.get("shutdown")) and reason not in (None, "unknown")
        return str(info.get("uuid") or NIL_UUID), str(reason) if down else None

    def core_dump(self, domid: int, path: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._check(self.lib.libxl_domain_core_dump(self.ctx, domid, path.encode(), None),
                    f"dumping the core of domain {domid}", domid)

    def preserve(self, domid: int, config: dict[str, object]) -> None:
        """xl's preserve_domain: rename to <name>-<UTC time> under a fresh UUID."""
        suffix = time.strftime("-%Y%m%dT%H%MZ", time.gmtime())
        new_uuid = _Uuid((ctypes.c_ubyte * 16)(*uuid_mod.uuid4().bytes))
        c_info = json.dumps(config.get("c_info") or {}).encode()
        with self._struct("domain_create_info") as info:
            self._check(self.lib.libxl_domain_create_info_from_json(self.ctx, info, c_info),
                        "libxl_domain_create_info_from_json")
            self._check(self.lib.libxl_domain_preserve(self.ctx, domid, info,
                                                       suffix.encode(), new_uuid),
                        f"preserving domain {domid}", domid)

    def _simple(self, symbol: str, domid: int, what: str) -> None:
        self._check(getattr(self.lib, symbol)(self.ctx, domid, None), what, domid)

    def destroy(self, domid: int) -> None:
        self._simple("libxl_domain_destroy", domid, f"destroying domain {domid}")

    def pause(self, domid: int) -> None:
        self._simple("libxl_domain_pause", domid, f"pausing domain {domid}")

    def unpause(self, domid: int) -> None:
        self._simple("libxl_domain_unpause", domid, f"unpausing domain {domid}")

    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None:
        symbol = "libxl_domain_reboot" if reboot else "libxl_domain_shutdown"
        rc = getattr(self.lib, symbol)(self.ctx, domid, None)
        if rc == ERROR_NOPARAVIRT:
            event = "reset" if reboot else "power"
            if not fallback:
                raise OperationError(
                    "PV control interface not available: external graceful "
                    f"{'reboot' if reboot else 'shutdown'} not possible (use -F to fall back "
                    f"to an ACPI {event} event)")
            trigger = TRIGGER_RESET if reboot else TRIGGER_POWER
            rc = self.lib.libxl_send_trigger(self.ctx, domid, trigger, 0, None)
        self._check(rc, f"{'reboot' if reboot else 'shutdown'} of domain {domid}", domid)

    def rename(self, domid: int, new_name: str) -> None:
        check_new_name(self.list_domains(), domid, new_name)
        self._check(self.lib.libxl_domain_rename(self.ctx, domid, None, new_name.encode()),
                    f"renaming domain {domid}", domid)

    def resume(self, domid: int) -> None:
        self._check(self.lib.libxl_domain_resume(self.ctx, domid, 1, None),
                    f"resuming domain {domid}", domid)

    def suspend_to_fd(self, domid: int, fd: int, live: bool) -> None:
        self._check(self.lib.libxl_domain_suspend(self.ctx, domid, fd,
                                                  SUSPEND_LIVE if live else 0, None),
                    f"suspending domain {domid}", domid)

    def restore_from_fd(self, fd: int, config_json: bytes, paused: bool,
                        stream_version: int = 2, domid_policy: str = "xen") -> int:
        """libxl_domain_create_restore reading libxl's stream from ``fd`` at its
        current position; ``stream_version`` as xl sets it from the header's
        STREAMv2 flag (the params' init value, 1, means a legacy stream)."""
        config = json.loads(config_json.rstrip(b"\0"))
        text = json.dumps(with_domid_policy(config, domid_policy)).encode()
        params_json = json.dumps({"stream_version": stream_version}).encode()
        domid = _u32()
        with self._config(text) as cfg, self._struct("domain_restore_params") as params:
            self._check(self.lib.libxl_domain_restore_params_from_json(self.ctx, params,
                                                                       params_json),
                        "libxl_domain_restore_params_from_json")
            rc = self.lib.libxl_domain_create_restore(self.ctx, cfg, ctypes.byref(domid), fd,
                                                      -1, params, None, None)
        if rc:
            raise OperationError(f"restoring the domain failed (libxl rc={rc})")
        if not paused:
            self.unpause(domid.value)
        return domid.value

    def save(self, domid: int, path: str, checkpoint: bool = False,
             progress: Progress | None = None, *, preserve_domid: bool = False,
             leave_paused: bool = False, config: Mapping[str, object] | None = None) -> None:
        """xl's save_domain: the image's config is the domain's retrieved one (or
        ``config``) with c_info.domid 0, or the domid with -D; a failed suspend
        resumes the domain; -p pauses it and -c / -p resume it; else it is destroyed."""
        stored = dict(config) if config is not None else self.domain_config_json(domid)
        header = SaveHeader(config=saved_config(stored, domid, preserve_domid=preserve_domid))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, header.pack())
            if progress:
                progress(header.describe(path), 0, 0)
            try:
                self.suspend_to_fd(domid, fd, live=False)
            except BackendError:
                self.lib.libxl_domain_resume(self.ctx, domid, 1, None)
                raise OperationError("Failed to save domain, resuming domain") from None
        finally:
            os.close(fd)
        if leave_paused:
            self.pause(domid)
        if checkpoint or leave_paused:
            self.resume(domid)
        else:
            self.destroy(domid)

    def restore(self, path: str, paused: bool = False,
                progress: Progress | None = None, *, domid_policy: str = "xen",
                config: Mapping[str, object] | None = None) -> int:
        # unbuffered: libxl reads its stream from the fd right after the header
        with open(path, "rb", buffering=0) as fh:
            header = read_header(fh, path)
            text = json.dumps(dict(config)).encode() if config is not None else header.config
            if not text:
                raise OperationError(f"{path}: the save file holds no domain configuration")
            return self.restore_from_fd(fh.fileno(), text, paused,
                                        stream_version=header.stream_version,
                                        domid_policy=domid_policy)

    # -- resources ---------------------------------------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None:
        info = self.domain_info(domid)
        static_max, video = self.xs.xs.read_many([f"/local/domain/{domid}/memory/static-max",
                                                  f"/local/domain/{domid}/memory/videoram"])
        videoram = max(int(video), 0) if video and video.lstrip("-").isdigit() else 0
        # libxl_set_memory_target's rule: target - videoram must not exceed static-max
        check_memory_target(info, target_kb - videoram,
                            int(static_max) if static_max else info.max_memkb)
        self._check(self.lib.libxl_set_memory_target(self.ctx, domid, target_kb, 0, 1),
                    f"setting the memory of domain {domid}", domid)

    def set_memory_max(self, domid: int, max_kb: int) -> None:
        self._dominfo(domid)
        self._check(self.lib.libxl_domain_setmaxmem(self.ctx, domid, max_kb),
                    f"setting the maximum memory of domain {domid}", domid)

    @contextmanager
    def _cpu_bitmap(self, bits: tuple[int, ...] | range, size: int) -> Iterator[Any]:
        buf = ctypes.create_string_buffer(64)
        self.lib.libxl_bitmap_init(buf)
        try:
            self._check(self.lib.libxl_cpu_bitmap_alloc(self.ctx, buf, size), "bitmap alloc")
            for bit in bits:
                self.lib.libxl_bitmap_set(buf, bit)
            yield buf
        finally:
            self.lib.libxl_bitmap_dispose(buf)

    def set_vcpus(self, domid: int, count: int) -> None:
        info = self.domain_info(domid)
        check_vcpu_count(info, count, info.vcpu_max_id + 1)
        with self._cpu_bitmap(range(count), count) as bitmap:
            self._check(self.lib.libxl_set_vcpuonline(self.ctx, domid, bitmap, None),
                        f"setting the vcpus of domain {domid}", domid)

    def pin_vcpu(self, domid: int, vcpu: int | None, hard: tuple[int, ...] | None,
                 soft: tuple[int, ...] | None) -> None:
        nr = self.physinfo().max_cpu_id + 1
        vcpus = [vcpu] if vcpu is not None else range(self.domain_info(domid).vcpu_max_id + 1)
        for v in vcpus:
            with self._cpu_bitmap(hard or (), nr) as hmap, \
                    self._cpu_bitmap(soft or (), nr) as smap:
                self._check(self.lib.libxl_set_vcpuaffinity(
                    self.ctx, domid, v, hmap if hard is not None else None,
                    smap if soft is not None else None), f"pinning vcpu {v}", domid)

    def cpupools(self) -> tuple[CpupoolInfo, ...]:
        return libxl_sched.cpupools(self)

    def domain_sched_params(self, domid: int) -> SchedParams:
        return libxl_sched.domain_sched_params(self, domid)

    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None:
        libxl_sched.set_domain_sched_params(self, domid, params)

    def pool_sched_params(self, poolid: int, sched: str) -> dict[str, int]:
        return libxl_sched.pool_sched_params(self, poolid, sched)

    def set_pool_sched_params(self, poolid: int, sched: str, values: Mapping[str, int]) -> None:
        libxl_sched.set_pool_sched_params(self, poolid, sched, values)

    def watch_domains(self) -> DomainWatch:
        """xenstored's @releaseDomain, the watch behind libxl's domain death events."""
        return self.xs.watch_domains()

    # -- devices: libxl_device_<kind>_from_json, then libxl's own add / remove ---------
    @contextmanager
    def _device(self, kind: str, spec: dict[str, object]) -> Iterator[Any]:
        with self._struct(f"device_{kind}") as buf:
            text = json.dumps({k: v for k, v in spec.items() if v is not None})
            rc = getattr(self.lib, f"libxl_device_{kind}_from_json")(self.ctx, buf,
                                                                     text.encode())
            if rc:
                raise OperationError(f"libxl rejected the {kind} {text} (rc={rc})")
            yield buf

    @staticmethod
    def _disk_json(disk: DiskSpec) -> dict[str, object]:
        return {"backend_domid": disk.backend_domid, "pdev_path": disk.target or None,
                "vdev": disk.vdev, "backend": disk.backendtype or None,
                "format": disk.format if disk.target else "empty",
                "removable": int(disk.is_cdrom), "readwrite": int(disk.readwrite),
                "is_cdrom": int(disk.is_cdrom)}

    def attach_disk(self, domid: int, disk: DiskSpec) -> None:
        from xl_py.backends.devnum import disk_devid

        self._dominfo(domid)
        devid = disk_devid(disk.vdev)
        if any(d.devid == devid for d in self.xs.list_devices(domid, "vbd")):
            raise OperationError(
                f"domain {domid} already has a disk at {disk.vdev} (device {devid})")
        with self._device("disk", self._disk_json(disk)) as buf:
            self._check(self.lib.libxl_device_disk_add(self.ctx, domid, buf, None),
                        f"attaching {disk.vdev} to domain {domid}", domid)

    def detach_disk(self, domid: int, vdev: str, force: bool = False) -> None:
        self._dominfo(domid)
        with self._struct("device_disk") as buf:
            if self.lib.libxl_vdev_to_device_disk(self.ctx, domid, vdev.encode(), buf):
                raise OperationError(f"Error: Device {vdev} not connected.")
            symbol = "libxl_device_disk_destroy" if force else "libxl_device_disk_remove"
            self._check(getattr(self.lib, symbol)(self.ctx, domid, buf, None),
                        f"detaching {vdev} from domain {domid}", domid)

    def attach_nic(self, domid: int, nic: NicSpec) -> str:
        from xl_py.backends.macs import random_mac

        self._dominfo(domid)
        in_use = self.used_macs()
        mac = nic.mac.lower() if nic.mac else random_mac(in_use)
        if mac in in_use:
            raise OperationError(f"MAC address {mac} is already used by {in_use[mac]}")
        spec: dict[str, object] = {
            "backend_domid": nic.backend_domid, "devid": nic.devid, "model": nic.model,
            "mac": mac, "ip": nic.ip, "bridge": nic.bridge, "ifname": nic.vifname,
            "script": nic.script if nic.script != "vif-bridge" else None,
            "rate_bytes_per_interval": nic.rate_bytes_per_interval or None,
            "rate_interval_usecs": nic.rate_interval_usecs or None}
        with self._device("nic", spec) as buf:
            self._check(self.lib.libxl_device_nic_add(self.ctx, domid, buf, None),
                        f"attaching a vif to domain {domid}", domid)
        return mac

    def detach_nic(self, domid: int, which: str) -> None:
        self._dominfo(domid)
        with self._struct("device_nic") as buf:
            rc = (self.lib.libxl_devid_to_device_nic(self.ctx, domid, int(which), buf)
                  if which.isdigit() else
                  self.lib.libxl_mac_to_device_nic(self.ctx, domid, which.encode(), buf))
            if rc:
                raise OperationError(f"Unknown device {which}.")
            self._check(self.lib.libxl_device_nic_remove(self.ctx, domid, buf, None),
                        f"detaching vif {which} from domain {domid}", domid)

    def _media(self, domid: int, vdev: str, target: str) -> None:
        self._dominfo(domid)
        disk = DiskSpec(vdev=vdev, target=target, readwrite=False, is_cdrom=True)
        with self._device("disk", self._disk_json(disk)) as buf:
            self._check(self.lib.libxl_cdrom_insert(self.ctx, domid, buf, None),
                        f"changing the medium in {vdev} of domain {domid}", domid)

    def cd_insert(self, domid: int, vdev: str, target: str) -> None:
        self._media(domid, vdev, target)

    def cd_eject(self, domid: int, vdev: str) -> None:
        self._media(domid, vdev, "")


def _int(record: Mapping[str, Any], key: str, default: int = 0) -> int:
    """A number from libxl's JSON.  libxl's ``*_gen_json`` leaves out every field
    equal to its IDL default (0 for numbers, -1 where the IDL says so, e.g. the
    scheduler's weight and cap), so a missing key means that default."""
    value = record.get(key)
    return default if value is None else int(value)


def _bits(value: object, nr_cpus: int) -> tuple[int, ...] | None:
    if not isinstance(value, list):
        return None
    bits = tuple(int(b) for b in value)
    return None if nr_cpus and set(bits) >= set(range(nr_cpus)) else bits


def _vcpuinfo_stride(base: int, count: int, usable: int) -> int:
    """sizeof(libxl_vcpuinfo), the one number of a libxl layout this module holds.

    libxl_list_vcpu hands back a bare array, so its stride cannot come from a
    JSON entry point.  VCPUINFO_SIZE is the 4.17 x86_64 ABI's value (pinned by
    the soname; tests/test_backend_libxl.py compiles sizeof() against the real
    libxl.h to check it), and it is checked again here against the answer
    itself: libxl callocs ``count`` structs (glibc's malloc_usable_size must hold
    them) and fills them in vcpu order with vcpuid first, so element i starts
    with i.  A mismatch is an error, never a guess."""
    if count <= 1:
        return 0
    stride = VCPUINFO_SIZE
    if usable >= count * stride and all(
            ctypes.c_uint32.from_address(base + i * stride).value == i for i in range(count)):
        return stride
    raise BackendError("libxl_list_vcpu's answer does not look like libxl 4.17's "
                       f"libxl_vcpuinfo array of {VCPUINFO_SIZE}-byte entries")
