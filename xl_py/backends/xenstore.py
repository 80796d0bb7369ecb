"""The xenstore backend: what xl's commands can do with xenstored alone.

It reads the nodes libxl writes for every domain (``libxl__domain_make`` and
``libxl__build_post``)::

    /local/domain/<domid>/name, vm ("/vm/<uuid>"), memory/{target,static-max,videoram},
        cpu/<n>/availability, console/tty, serial/<n>/tty, control/shutdown,
        device/{vbd,vif}/<devid>/...
    /vm/<uuid>/{uuid,name,start_time}
    /libxl/<domid>/{type, device/<kind>/<devid>/{frontend,backend}}
    /local/domain/0/backend/{vbd,vif}/<domid>/<devid>/...

and changes them the way libxl does (memory target and maximum, vcpu
availability, the shutdown request, the name, device front/back ends), every
multi-key change in one transaction retried on EAGAIN.  Anything that needs
the hypervisor (pause, destroy, cpu time and run state) is refused with
:class:`~xl_py.backends.base.NotSupported` before anything is written;
``list`` shows the run-state letters as ``-`` and the time as 0.0.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from xl_py.backends.base import (
    BackendBase,
    DeviceInfo,
    DiskSpec,
    DomainInfo,
    DomainWatch,
    NicSpec,
    PollingWatch,
    VcpuInfo,
    check_memory_target,
    check_new_name,
    check_vcpu_count,
    resolve_in,
)
from xl_py.backends.devnum import disk_devid
from xl_py.backends.xsclient import DIRECTORY, READ, ReleaseWatch, XsClient
from xl_py.errors import DomainNotFound, OperationError

DOM = "/local/domain"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
XENBUS_INITIALISING = 1
XENBUS_CLOSING = 5

# per-domain nodes read by list, in this order
_DOMAIN_KEYS = ("name", "vm", "memory/target", "memory/static-max", "memory/videoram")

# frontend keys read for each device kind: key -> DeviceInfo field
_FRONT_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "vbd": (("backend", "backend_path"), ("backend-id", "backend_id"), ("state", "state"),
            ("event-channel", "evtch"), ("ring-ref", "rref")),
    "vif": (("backend", "backend_path"), ("backend-id", "backend_id"), ("state", "state"),
            ("event-channel", "evtch"), ("tx-ring-ref", "rref_tx"),
            ("rx-ring-ref", "rref_rx"), ("mac", "mac")),
}
# backend keys read for each device kind: key -> DeviceInfo field
_BACK_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "vbd": (("dev", "vdev"), ("params", "target"), ("device-type", "devtype")),
    "vif": (("mac", "mac"), ("bridge", "bridge")),
}


def _int(value: str | None, default: int = -1) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class XenstoreBackend(BackendBase):
    name = "xenstore"
    hint = "that needs the hypervisor: use the libxl backend or a libvirt URI"

    def __init__(self, socket_path: str | None = None, xenbus_path: str | None = None,
                 client: XsClient | None = None) -> None:
        self.xs = client or XsClient(socket_path, xenbus_path)

    def close(self) -> None:
        self.xs.close()

    def watch_domains(self) -> DomainWatch:
        """A watch on @releaseDomain over a connection of its own (the unix
        socket; through /dev/xen/xenbus, polling)."""
        if self.xs.transport_name != "socket":
            return PollingWatch()
        return ReleaseWatch(XsClient(self.xs.path, transport="socket"))

    # -- queries ---------------------------------------------------------------
    def domids(self) -> list[int]:
        return sorted(int(d) for d in self.xs.directory(DOM) if d.isdigit())

    def list_domains(self) -> tuple[DomainInfo, ...]:
        return self._infos(self.domids())

    def _infos(self, domids: Sequence[int]) -> tuple[DomainInfo, ...]:
        xs = self.xs
        paths = [f"{DOM}/{d}/{k}" for d in domids for k in _DOMAIN_KEYS]
        values = xs.read_many(paths)
        cpu_dirs = xs.directory_many([f"{DOM}/{d}/cpu" for d in domids])
        avail_paths = [f"{DOM}/{d}/cpu/{c}/availability"
                       for d, cpus in zip(domids, cpu_dirs, strict=True) for c in cpus]
        avail = iter(xs.read_many(avail_paths))
        type_paths = [f"/libxl/{d}/type" for d in domids]
        types = xs.read_many(type_paths)
        vm_paths = [v for v in values[1::len(_DOMAIN_KEYS)]]
        starts = xs.read_many([f"{v}/start_time" for v in vm_paths if v])
        start_of = dict(zip([v for v in vm_paths if v], starts, strict=True))
        out = []
        n = len(_DOMAIN_KEYS)
        for i, domid in enumerate(domids):
            name, vm, target, smax, video = values[i * n:(i + 1) * n]
            if name is None and vm is None and domid != 0:
                continue  # a half-written or half-removed domain
            online = sum(1 for _ in cpu_dirs[i] if next(avail) == "online")
            uuid = vm.rsplit("/", 1)[-1] if vm and vm.startswith("/vm/") else ZERO_UUID
            memkb = _int(target, 0) + max(_int(video, 0), 0)
            out.append(DomainInfo(
                domid=domid, name=name if name is not None else f"Domain-{domid}",
                uuid=uuid, current_memkb=memkb, max_memkb=_int(smax, memkb),
                vcpu_online=online, vcpu_max_id=max(len(cpu_dirs[i]) - 1, 0),
                start_time=_float(start_of.get(vm)) if vm else None,
                domain_type=types[i]))
        return tuple(out)

    def domain_info(self, domid: int) -> DomainInfo:
        if self.xs.read(f"{DOM}/{domid}/name") is None and not self.xs.directory(
                f"{DOM}/{domid}"):
            raise DomainNotFound(str(domid))
        (info,) = self._infos([domid])
        return info

    def resolve(self, ident: str) -> int:
        if ident.isdigit() and ident.isascii():
            domid = int(ident)
            if self.xs.directory(f"{DOM}/{domid}") or self.xs.read(f"{DOM}/{domid}/name"):
                return domid
            raise DomainNotFound(ident)
        return resolve_in(self._names_and_uuids(), ident)

    def _names_and_uuids(self) -> list[DomainInfo]:
        domids = self.domids()
        values = self.xs.read_many([f"{DOM}/{d}/{k}" for d in domids for k in ("name", "vm")])
        out = []
        for i, domid in enumerate(domids):
            name, vm = values[2 * i], values[2 * i + 1]
            uuid = vm.rsplit("/", 1)[-1] if vm and vm.startswith("/vm/") else ZERO_UUID
            out.append(DomainInfo(domid=domid, name=name or "", uuid=uuid))
        return out

    def list_vcpus(self, domid: int) -> tuple[VcpuInfo, ...]:
        """Online / offline from cpu/<n>/availability; where each runs and for how
        long only the hypervisor knows (cpu None, time 0)."""
        self.domain_info(domid)
        cpus = sorted(int(c) for c in self.xs.directory(f"{DOM}/{domid}/cpu") if c.isdigit())
        avail = self.xs.read_many([f"{DOM}/{domid}/cpu/{c}/availability" for c in cpus])
        return tuple(VcpuInfo(vcpuid=c, cpu=None, online=a == "online", running=False,
                              blocked=False, cpu_time_ns=0, affinity=None)
                     for c, a in zip(cpus, avail, strict=True))

    @staticmethod
    def _tty_path(domid: int, kind: str, num: int) -> str:
        """libxl_console_get_tty's node for a console."""
        if kind == "serial":
            return f"{DOM}/{domid}/serial/{num}/tty"
        if num == 0:
            return f"{DOM}/{domid}/console/tty"
        return f"{DOM}/{domid}/device/console/{num}/tty"

    def console_tty(self, domid: int, kind: str, num: int) -> str:
        path = self._tty_path(domid, kind, num)
        tty = self.xs.read(path)
        if not tty:
            raise OperationError(f"domain {domid} has no {kind} console {num} (no {path})")
        return tty

    def wait_console_tty(self, domid: int, kind: str, num: int, timeout: float) -> str:
        """The tty once xenconsoled has written it: a xenstore watch on the node
        (xl console waits for the same write)."""
        path = self._tty_path(domid, kind, num)
        token = f"xlpy-tty-{domid}"
        self.xs.watch(path, token)
        deadline = time.monotonic() + timeout
        try:
            while True:
                tty = self.xs.read(path)
                if tty:
                    return tty
                left = deadline - time.monotonic()
                if left <= 0 or self.xs.next_event(timeout=left) is None:
                    raise OperationError(
                        f"domain {domid} has no {kind} console {num} (no {path})")
        finally:
            self.xs.unwatch(path, token)

    def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
        base = f"{DOM}/{domid}/console"
        listen, port, password = self.xs.read_many(
            [f"{base}/vnc-listen", f"{base}/vnc-port", f"{base}/vnc-pass"])
        if port is None:
            raise OperationError(f"domain {domid} has no VNC display (no {base}/vnc-port)")
        return listen or "127.0.0.1", _int(port, 5900), password

    def list_devices(self, domid: int, kind: str) -> tuple[DeviceInfo, ...]:
        devids = self._devids(domid, kind)
        fkeys, bkeys = _FRONT_KEYS[kind], _BACK_KEYS[kind]
        front = self.xs.read_many([f"{DOM}/{domid}/device/{kind}/{i}/{k}"
                                   for i in devids for k, _ in fkeys])
        backs = [front[j * len(fkeys)] or self._default_backend(domid, kind, devids[j])
                 for j in range(len(devids))]
        back = self.xs.read_many([f"{b}/{k}" for b in backs for k, _ in bkeys])
        out = []
        for j, devid in enumerate(devids):
            fields: dict[str, object] = {"backend_id": 0, "state": -1}
            for (_, f), v in zip(fkeys, front[j * len(fkeys):(j + 1) * len(fkeys)],
                                 strict=True):
                fields[f] = v if f in ("backend_path", "mac") else _int(v)
            for (_, f), v in zip(bkeys, back[j * len(bkeys):(j + 1) * len(bkeys)], strict=True):
                if v is not None and not fields.get(f):
                    fields[f] = v
            fields["backend_path"] = backs[j]
            out.append(DeviceInfo(kind=kind, devid=devid, frontend_id=domid,
                                  **{k: v for k, v in fields.items() if v is not None}))  # type: ignore[arg-type]
        return tuple(out)

    def _devids(self, domid: int, kind: str) -> list[int]:
        listed = self.xs.directory(f"/libxl/{domid}/device/{kind}") or self.xs.directory(
            f"{DOM}/{domid}/device/{kind}")
        return sorted(int(i) for i in listed if i.isdigit())

    @staticmethod
    def _default_backend(domid: int, kind: str, devid: int) -> str:
        return f"{DOM}/0/backend/{kind}/{domid}/{devid}"

    def used_macs(self) -> dict[str, str]:
        """Every vif MAC in every domain, read in two pipelined rounds."""
        domids = self.domids()
        names = self.xs.read_many([f"{DOM}/{d}/name" for d in domids])
        vifs = self.xs.directory_many([f"{DOM}/0/backend/vif/{d}" for d in domids])
        paths = [(d, n, i) for d, n, ids in zip(domids, names, vifs, strict=True) for i in ids]
        macs = self.xs.read_many([f"{DOM}/0/backend/vif/{d}/{i}/mac" for d, _, i in paths])
        return {m.lower(): f"{n or d}/{i}" for (d, n, i), m in zip(paths, macs, strict=True)
                if m}

    # -- changes -------------------------------------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None:
        info = self.domain_info(domid)
        base = f"{DOM}/{domid}/memory"

        def body(xs: XsClient) -> None:
            smax, video = xs.read_many([f"{base}/static-max", f"{base}/videoram"])
            if smax is None:
                raise OperationError(f"cannot get memory info from {base}/static-max")
            new_target = target_kb - max(_int(video, 0), 0)
            check_memory_target(info, new_target, _int(smax, 0))
            xs.write(f"{base}/target", str(new_target))

        self.xs.transaction(body)

    def set_memory_max(self, domid: int, max_kb: int) -> None:
        self.domain_info(domid)
        base = f"{DOM}/{domid}/memory"

        def body(xs: XsClient) -> None:
            target = xs.read(f"{base}/target")
            if target is None:
                raise OperationError(f"cannot get memory info from {base}/target")
            if max_kb < _int(target, 0):
                raise OperationError(
                    f"cannot set the maximum memory of domain {domid} to {max_kb // 1024}M: "
                    f"below its current target of {_int(target, 0) // 1024}M")
            xs.write(f"{base}/static-max", str(max_kb))

        self.xs.transaction(body)

    def set_vcpus(self, domid: int, count: int) -> None:
        info = self.domain_info(domid)
        base = f"{DOM}/{domid}/cpu"

        def body(xs: XsClient) -> None:
            cpus = sorted(int(c) for c in xs.directory(base) if c.isdigit())
            check_vcpu_count(info, count, len(cpus))
            xs.write_many([(f"{base}/{c}/availability", "online" if c < count else "offline")
                           for c in cpus])

        self.xs.transaction(body)

    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None:
        self.domain_info(domid)
        control = f"{DOM}/{domid}/control"
        feature = "feature-reboot" if reboot else "feature-poweroff"

        def body(xs: XsClient) -> None:
            supported, dtype = xs.read_many([f"{control}/{feature}", f"/libxl/{domid}/type"])
            if dtype not in (None, "pv", "pvh") and supported != "1":
                event = "reset" if reboot else "power"
                if fallback:
                    raise self._no(f"send an ACPI {event} button event")
                raise OperationError(
                    "PV control interface not available: external graceful "
                    f"{'reboot' if reboot else 'shutdown'} not possible "
                    f"(use -F to fall back to an ACPI {event} event)")
            xs.write(f"{control}/shutdown", "reboot" if reboot else "poweroff")

        self.xs.transaction(body)

    def rename(self, domid: int, new_name: str) -> None:
        self.domain_info(domid)

        def body(xs: XsClient) -> None:
            domids = [int(d) for d in xs.directory(DOM) if d.isdigit()]
            names = xs.read_many([f"{DOM}/{d}/name" for d in domids])
            check_new_name([DomainInfo(d, n or "") for d, n in zip(domids, names, strict=True)],
                           domid, new_name)
            vm = xs.read(f"{DOM}/{domid}/vm")
            writes = [(f"{DOM}/{domid}/name", new_name)]
            if vm:
                writes.append((f"{vm}/name", new_name))
            xs.write_many(writes)

        self.xs.transaction(body)

    # -- devices -------------------------------------------------------------------
    def attach_disk(self, domid: int, disk: DiskSpec) -> None:
        self.domain_info(domid)
        devid = disk_devid(disk.vdev)
        back = f"{DOM}/{disk.backend_domid}/backend/vbd/{domid}/{devid}"
        front = f"{DOM}/{domid}/device/vbd/{devid}"
        btype = disk.backendtype or ("phy" if disk.target.startswith("/dev/") else "qdisk")
        params = disk.target if btype == "phy" else (
            f"{disk.format}:{disk.target}" if disk.target else f"{disk.format}:")
        back_nodes = {
            "frontend": front, "frontend-id": str(domid), "online": "1",
            "removable": "1" if disk.is_cdrom else "0", "bootable": "1",
            "state": str(XENBUS_INITIALISING), "dev": disk.vdev, "type": btype,
            "mode": disk.mode, "device-type": "cdrom" if disk.is_cdrom else "disk",
            "params": params, "discard-enable": "1" if disk.readwrite else "0",
            "specification": "xen",
        }
        front_nodes = {
            "backend": back, "backend-id": str(disk.backend_domid),
            "state": str(XENBUS_INITIALISING), "virtual-device": str(devid),
            "device-type": "cdrom" if disk.is_cdrom else "disk", "trusted": "1",
        }

        def body(xs: XsClient) -> None:
            existing = {int(i) for i in xs.directory(f"{DOM}/{domid}/device/vbd") if i.isdigit()}
            existing |= {int(i) for i in xs.directory(f"/libxl/{domid}/device/vbd")
                         if i.isdigit()}
            if devid in existing:
                raise OperationError(
                    f"domain {domid} already has a disk at {disk.vdev} (device {devid})")
            self._add_device(xs, domid, "vbd", devid, back, back_nodes, front, front_nodes)

        self.xs.transaction(body)

    def attach_nic(self, domid: int, nic: NicSpec) -> str:
        from xl_py.backends.macs import random_mac, validate_mac

        self.domain_info(domid)
        in_use = self.used_macs()
        mac = validate_mac(nic.mac) if nic.mac else random_mac(in_use)
        if mac in in_use:
            raise OperationError(f"MAC address {mac} is already used by {in_use[mac]}")

        def body(xs: XsClient) -> str:
            existing = [int(i) for i in xs.directory(f"{DOM}/{domid}/device/vif") if i.isdigit()]
            existing += [int(i) for i in xs.directory(f"/libxl/{domid}/device/vif")
                         if i.isdigit()]
            devid = nic.devid if nic.devid is not None else (max(existing) + 1 if existing else 0)
            if devid in existing:
                raise OperationError(f"domain {domid} already has a vif with devid {devid}")
            back = f"{DOM}/{nic.backend_domid}/backend/vif/{domid}/{devid}"
            front = f"{DOM}/{domid}/device/vif/{devid}"
            back_nodes = {"frontend": front, "frontend-id": str(domid), "online": "1",
                          "state": str(XENBUS_INITIALISING), "script": nic.script,
                          "mac": mac, "bridge": nic.bridge, "handle": str(devid),
                          "type": "vif"}
            rate = (f"{nic.rate_bytes_per_interval},{nic.rate_interval_usecs}"
                    if nic.rate_bytes_per_interval else None)
            for key, value in (("ip", nic.ip), ("vifname", nic.vifname), ("model", nic.model),
                               ("rate", rate), *nic.extra):
                if value:
                    back_nodes[key] = value
            front_nodes = {"backend": back, "backend-id": str(nic.backend_domid),
                           "state": str(XENBUS_INITIALISING), "handle": str(devid), "mac": mac}
            self._add_device(xs, domid, "vif", devid, back, back_nodes, front, front_nodes)
            return mac

        return self.xs.transaction(body)

    @staticmethod
    def _add_device(xs: XsClient, domid: int, kind: str, devid: int, back: str,
                    back_nodes: dict[str, str], front: str,
                    front_nodes: dict[str, str]) -> None:
        """libxl__device_generic_add: back end, front end and libxl's own record."""
        lib = f"/libxl/{domid}/device/{kind}/{devid}"
        backend_domid = back.split("/")[3]
        xs.rm(back)
        xs.rm(front)
        xs.mkdir(back)
        xs.set_perms(back, [f"n{backend_domid}", f"r{domid}"])
        xs.mkdir(front)
        xs.set_perms(front, [f"n{domid}", f"r{backend_domid}"])
        xs.write_many([*((f"{back}/{k}", v) for k, v in back_nodes.items()),
                       *((f"{front}/{k}", v) for k, v in front_nodes.items()),
                       (f"{lib}/frontend", front), (f"{lib}/backend", back)])

    def detach_disk(self, domid: int, vdev: str, force: bool = False) -> None:
        self.domain_info(domid)
        devid = disk_devid(vdev) if not vdev.isdigit() else int(vdev)
        self._remove_device(domid, "vbd", devid, vdev)

    def detach_nic(self, domid: int, which: str) -> None:
        self.domain_info(domid)
        devices = self.list_devices(domid, "vif")
        match = [d for d in devices
                 if (which.isdigit() and d.devid == int(which)) or d.mac.lower() == which.lower()]
        if not match:
            raise OperationError(f"domain {domid} has no vif '{which}'")
        self._remove_device(domid, "vif", match[0].devid, which)

    def _remove_device(self, domid: int, kind: str, devid: int, label: str) -> None:
        """Ask the back end to close, then forget the device (libxl's force path)."""
        front = f"{DOM}/{domid}/device/{kind}/{devid}"
        lib = f"/libxl/{domid}/device/{kind}/{devid}"

        def body(xs: XsClient) -> None:
            back, lib_back = xs.read_many([f"{front}/backend", f"{lib}/backend"])
            back = back or lib_back
            if back is None:
                raise OperationError(f"domain {domid} has no {kind} device '{label}'")
            xs.write(f"{back}/online", "0")
            xs.write(f"{back}/state", str(XENBUS_CLOSING))
            xs.rm(front)
            xs.rm(lib)
            xs.rm(back)

        self.xs.transaction(body)

    def cd_insert(self, domid: int, vdev: str, target: str) -> None:
        self._change_media(domid, vdev, target)

    def cd_eject(self, domid: int, vdev: str) -> None:
        self._change_media(domid, vdev, "")

    def _change_media(self, domid: int, vdev: str, target: str) -> None:
        self.domain_info(domid)
        devid = disk_devid(vdev)
        front = f"{DOM}/{domid}/device/vbd/{devid}"

        def body(xs: XsClient) -> None:
            back, devtype = xs.read_many([f"{front}/backend", f"{front}/device-type"])
            if back is None:
                raise OperationError(f"domain {domid} has no disk at {vdev}")
            if devtype != "cdrom":
                raise OperationError(f"{vdev} of domain {domid} is not a cdrom")
            # libxl_cdrom_insert: "<format>:<path>"; xl's cd-insert spec has no format
            # (raw), and an eject is an empty medium ("empty:")
            xs.write(f"{back}/params", f"raw:{target}" if target else "empty:")

        self.xs.transaction(body)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


__all__ = ["DIRECTORY", "READ", "XenstoreBackend"]
