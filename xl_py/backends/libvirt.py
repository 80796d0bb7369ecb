"""The libvirt backend: xl's commands through libvirt-python.

Any URI libvirt accepts works: ``xen:///system`` (the local libxl driver),
``xen+ssh://host/system`` (a remote dom0, how a fleet is run from one place),
``test:///default`` (libvirt's in-process test driver).  Only active domains
are listed, as ``xl list`` does.  libvirt-python is imported here and only here.
"""

from __future__ import annotations

import contextlib
import functools
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from xl_py.backends.base import (
    BackendBase,
    DeviceInfo,
    DiskSpec,
    DomainInfo,
    NicSpec,
    NotSupported,
    PhysInfo,
    Progress,
    SchedParams,
    VcpuInfo,
    check_memory_target,
    check_new_name,
    check_vcpu_count,
    is_uuid,
    normalise_uuid,
)
from xl_py.backends.devnum import disk_devid
from xl_py.errors import BackendError, BackendUnavailable, DomainNotFound, OperationError

if TYPE_CHECKING:
    from xl_py.model.domain import DomainConfig

T = TypeVar("T")

# virDomainState -> DomainInfo flags
_RUNNING, _BLOCKED, _PAUSED, _SHUTDOWN, _SHUTOFF, _CRASHED, _PMSUSPENDED = 1, 2, 3, 4, 5, 6, 7
_STATE_FLAGS: dict[int, dict[str, object]] = {
    _RUNNING: {"running": True},
    _BLOCKED: {"blocked": True},
    _PAUSED: {"paused": True},
    _SHUTDOWN: {"shutdown": True, "shutdown_reason": 0},
    _SHUTOFF: {"shutdown": True, "shutdown_reason": 0},
    _CRASHED: {"shutdown": True, "shutdown_reason": 3},
    _PMSUSPENDED: {"shutdown": True, "shutdown_reason": 2},
}
AFFECT_LIVE = 1
START_PAUSED = 1  # VIR_DOMAIN_START_PAUSED
ERR_INVALID_ARG = 8  # VIR_ERR_INVALID_ARG ("unsupported flags")
ERR_NO_SUPPORT = 3  # VIR_ERR_NO_SUPPORT ("this function is not supported by the driver")
ERR_NO_DOMAIN = 42  # VIR_ERR_NO_DOMAIN ("domain not found")
#: where libvirt's libxl driver writes libxenlight's own messages (libxl_logger.c): one
#: file per domain plus the driver's; the only place libxl's reason for a failure shows
LIBXL_LOG_DIR = Path("/var/log/libvirt/libxl")
_LOG_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4}: ")
_LIBXL_LINE = re.compile(r"^\S+ \S+: (libxl|xc): ")  # libxenlight's and libxenctrl's
VCPU_MAXIMUM = 4
LIST_ACTIVE = 1


def _import() -> Any:
    try:
        import libvirt
    except ImportError as exc:
        raise BackendUnavailable(
            "the libvirt backend needs libvirt-python: pip install 'xl_py[runtime]' "
            "(it builds against libvirt-dev and pkg-config)") from exc
    return libvirt


class LibvirtBackend(BackendBase):
    name = "libvirt"
    hint = "the libvirt driver does not offer it; use the libxl backend on the dom0"

    def __init__(self, uri: str) -> None:
        lv = _import()
        self._lv = lv
        self.uri = uri
        lv.registerErrorHandler(lambda _ctx, _err: None, None)  # we report errors ourselves
        try:
            self.conn = lv.open(uri)
        except lv.libvirtError as exc:
            raise BackendUnavailable(f"cannot connect to {uri}: {exc.get_error_message()}"
                                     ) from exc

    def close(self) -> None:
        with contextlib.suppress(self._lv.libvirtError):
            self.conn.close()

    def _call(self, what: str, fn: Callable[[], T],
              unsupported: tuple[str, str] | None = None) -> T:
        """``fn()``, libvirt's errors as BackendError; with ``unsupported``
        (operation, why), a driver without the call (VIR_ERR_NO_SUPPORT) is
        NotSupported instead."""
        try:
            return fn()
        except self._lv.libvirtError as exc:
            if unsupported is not None and exc.get_error_code() == ERR_NO_SUPPORT:
                raise NotSupported(self.name, *unsupported) from exc
            raise BackendError(f"{what}: {exc.get_error_message()}") from exc

    def _device_call(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except self._lv.libvirtError as exc:
            raise BackendError(f"{what}: {exc.get_error_message()}") from exc

    # -- lookups ---------------------------------------------------------------
    def _dom(self, domid: int) -> Any:
        try:
            return self.conn.lookupByID(domid)
        except self._lv.libvirtError:
            raise DomainNotFound(str(domid)) from None

    def resolve(self, ident: str) -> int:
        lookups: list[Callable[[], Any]]
        if ident.isascii() and ident.isdigit():
            lookups = [lambda: self.conn.lookupByID(int(ident))]
        elif is_uuid(ident):
            lookups = [lambda: self.conn.lookupByUUIDString(normalise_uuid(ident))]
        else:
            lookups = [lambda: self.conn.lookupByName(ident)]
        for lookup in lookups:
            try:
                dom = lookup()
            except self._lv.libvirtError:
                continue
            if dom.isActive():
                return int(dom.ID())
        raise DomainNotFound(ident)

    def _info(self, dom: Any) -> DomainInfo:
        try:
            state, max_kb, mem_kb, nr_vcpus, cpu_ns = dom.info()
        except self._lv.libvirtError as exc:
            raise self._gone_or_failed(dom, exc) from exc
        flags = dict(_STATE_FLAGS.get(state, {}))
        try:
            max_vcpus = int(dom.vcpusFlags(VCPU_MAXIMUM))
        except self._lv.libvirtError:
            max_vcpus = nr_vcpus
        return DomainInfo(
            domid=int(dom.ID()), name=dom.name(), uuid=dom.UUIDString(),
            current_memkb=int(mem_kb), max_memkb=int(max_kb), vcpu_online=int(nr_vcpus),
            vcpu_max_id=max(max_vcpus - 1, 0), cpu_time_ns=int(cpu_ns),
            domain_type=_os_type(dom), **flags)  # type: ignore[arg-type]

    def _gone_or_failed(self, dom: Any, exc: Any) -> Exception:
        """A domain that went away between its lookup and the call (libvirt's libxl
        driver then says "libxl_domain_info failed") is DomainNotFound, as for
        xl; any other failure is a BackendError."""
        try:
            active = bool(dom.isActive())
        except self._lv.libvirtError:
            active = False
        if not active or exc.get_error_code() == ERR_NO_DOMAIN:
            return DomainNotFound(str(dom.name()))
        return BackendError(f"domain {dom.name()}: {exc.get_error_message()}")

    def list_domains(self) -> tuple[DomainInfo, ...]:
        doms = self._call("listing domains", lambda: self.conn.listAllDomains(LIST_ACTIVE))
        infos = []
        for dom in doms:
            with contextlib.suppress(DomainNotFound):  # gone while we looked: as xl's list
                infos.append(self._info(dom))
        return tuple(sorted(infos, key=lambda i: i.domid))

    def domain_info(self, domid: int) -> DomainInfo:
        return self._info(self._dom(domid))

    def physinfo(self) -> PhysInfo:
        model, mem_mb, cpus, mhz, nodes, _sockets, cores, threads = self._call(
            "host info", self.conn.getInfo)
        free = self._call("free memory", self.conn.getFreeMemory)
        version = self._call("hypervisor version", self.conn.getVersion)
        kind = self.conn.getType()
        extra: tuple[tuple[str, str], ...] = (
            ("host", self._call("hostname", self.conn.getHostname)),
            ("libvirt_uri", self.conn.getURI()), ("hypervisor", kind),
            ("hypervisor_version", f"{version // 1000000}.{(version // 1000) % 1000}."
                                   f"{version % 1000}"),
            ("cpu_model", model))
        xen = kind.lower() == "xen"
        caps = self._call("capabilities", self.conn.getCapabilities)
        if not is_local_uri(self.conn.getURI()):
            # xl info's release/version/machine are dom0's uname: not ours to print
            extra += (("release", REMOTE_UNKNOWN), ("version", REMOTE_UNKNOWN),
                      ("machine", host_arch(caps) or REMOTE_UNKNOWN))
        # libvirt's libxl driver reports major.minor only (micro is always 0): xl's
        # xen_extra (".7+13-g...") is not to be had through libvirt
        micro = version % 1000
        return PhysInfo(nr_cpus=int(cpus), max_cpu_id=int(cpus) - 1, nr_nodes=int(nodes),
                        cores_per_socket=int(cores), threads_per_core=int(threads),
                        cpu_khz=int(mhz) * 1000, total_memkb=int(mem_mb) * 1024,
                        free_memkb=int(free) // 1024,
                        xen_major=version // 1000000 if xen else None,
                        xen_minor=(version // 1000) % 1000 if xen else None,
                        xen_extra=f".{micro}" if xen and micro else "",
                        xen_caps=xen_caps(caps) if xen else "", extra=extra)

    def list_vcpus(self, domid: int) -> tuple[VcpuInfo, ...]:
        dom = self._dom(domid)
        infos, maps = self._vcpu_call("vcpu info", dom.vcpus)
        out = []
        for (number, state, cpu_ns, cpu), cpumap in zip(infos, maps, strict=True):
            online = state != 0
            out.append(VcpuInfo(
                vcpuid=int(number), cpu=int(cpu) if online and cpu >= 0 else None,
                online=online, running=state == 1, blocked=state == 2,
                cpu_time_ns=int(cpu_ns),
                affinity=tuple(i for i, on in enumerate(cpumap) if on)))
        return tuple(out)

    def _xml(self, domid: int) -> ET.Element:
        dom = self._dom(domid)
        return ET.fromstring(self._call("domain XML", dom.XMLDesc))

    def list_devices(self, domid: int, kind: str) -> tuple[DeviceInfo, ...]:
        root = self._xml(domid)
        if kind == "vbd":
            return tuple(_disk_info(domid, d) for d in root.iterfind("devices/disk"))
        return tuple(_nic_info(domid, i, n) for i, n in enumerate(root.iterfind(
            "devices/interface")))

    def vnc_address(self, domid: int) -> tuple[str, int, str | None]:
        for g in self._xml(domid).iterfind("devices/graphics"):
            if g.get("type") == "vnc" and g.get("port"):
                return g.get("listen") or "127.0.0.1", int(g.get("port", "5900")), g.get(
                    "passwd")
        raise OperationError(f"domain {domid} has no VNC display")

    # -- lifecycle ---------------------------------------------------------------
    def create(self, config: DomainConfig, paused: bool = False,
               progress: Progress | None = None,
               xl_keys: Mapping[str, object] | None = None,
               domid_policy: str = "xen") -> int:
        """The domain XML libvirt's own xen-xl reader would make of the config
        (render.libvirt_xml.to_xml of its xl.cfg keys), then virDomainCreateXML."""
        if xl_keys is None:
            raise self._no("create a domain without its xl.cfg keys")
        from xl_py.render.libvirt_xml import to_xml

        name = str(xl_keys.get("name") or config.c_info.name or "")
        try:
            self.conn.lookupByName(name)
        except self._lv.libvirtError:
            pass
        else:
            raise OperationError(f"domain with name \"{name}\" already exists.")
        # the disks as parsed (no defaults filled); the XML the driver starts xl's guest from
        xml = to_xml(xl_keys, config.disks, for_libxl_driver=True)
        if progress:
            progress(f"Creating domain {name} through {self.uri}", 0, 0)
        logs = LibxlLogs(self.uri, name)
        try:
            dom = self.conn.createXML(xml, START_PAUSED if paused else 0)
        except self._lv.libvirtError as exc:
            if not (paused and exc.get_error_code() == ERR_INVALID_ARG):
                raise BackendError("\n".join([
                    f"creating domain {name}: {exc.get_error_message()}",
                    *logs.new_lines()])) from exc
            # a driver without VIR_DOMAIN_START_PAUSED (the test driver): start, then
            # pause at once
            dom = self._call(f"creating domain {name}", lambda: self.conn.createXML(xml, 0))
            self._call(f"pausing domain {name}", dom.suspend)
        return int(dom.ID())

    def destroy(self, domid: int) -> None:
        dom = self._dom(domid)
        self._call(f"destroying domain {domid}", dom.destroy)

    def shutdown(self, domid: int, reboot: bool = False, fallback: bool = False) -> None:
        dom = self._dom(domid)
        if reboot:
            self._call(f"rebooting domain {domid}", lambda: dom.reboot(0))
        else:
            self._call(f"shutting down domain {domid}", dom.shutdown)

    def pause(self, domid: int) -> None:
        dom = self._dom(domid)
        self._call(f"pausing domain {domid}", dom.suspend)

    def unpause(self, domid: int) -> None:
        dom = self._dom(domid)
        self._call(f"unpausing domain {domid}", dom.resume)

    def rename(self, domid: int, new_name: str) -> None:
        dom = self._dom(domid)
        check_new_name(self.list_domains(), domid, new_name)
        try:
            self.conn.lookupByName(new_name)
        except self._lv.libvirtError:
            pass
        else:
            raise OperationError(f"domain with name \"{new_name}\" already exists.")
        self._call(f"renaming domain {domid}", lambda: dom.rename(new_name, 0),
                   unsupported=("rename a domain",  # libvirt 9's libxl driver
                                f"libvirt's {self.conn.getType()} driver has no "
                                "virDomainRename"))

    def domain_config_json(self, domid: int) -> dict[str, object] | None:
        raise self._no("show libxl's configuration of a domain (virsh dumpxml shows "
                       "libvirt's)")

    def save(self, domid: int, path: str, checkpoint: bool = False,
             progress: Progress | None = None, *, preserve_domid: bool = False,
             leave_paused: bool = False, config: Mapping[str, object] | None = None) -> None:
        dom = self._dom(domid)
        for wanted, what in ((checkpoint, "leave a domain running after saving it (-c)"),
                             (leave_paused, "leave a domain paused after saving it (-p)"),
                             (preserve_domid, "store the domain id in the image (-D)"),
                             (config is not None, "save another config in the image")):
            if wanted:
                raise self._no(what)
        if progress:
            progress(f"Saving domain {domid} to {path}", 0, 0)
        self._call(f"saving domain {domid}", lambda: dom.save(path))

    def restore(self, path: str, paused: bool = False,
                progress: Progress | None = None, *, domid_policy: str = "xen",
                config: Mapping[str, object] | None = None) -> int:
        """libvirtd picks the domid (``domid_policy`` is libxl's concern)."""
        if config is not None:
            raise self._no("restore with another config")
        name = self._saved_name(path)
        if progress:
            progress(f"Restoring domain {name or '?'} from {path}", 0, 0)
        flags = 4 if paused else 0  # VIR_DOMAIN_SAVE_PAUSED
        before = {d.UUIDString() for d in self.conn.listAllDomains(LIST_ACTIVE)}
        self._call(f"restoring {path}", lambda: self.conn.restoreFlags(path, None, flags))
        if name:
            return int(self.conn.lookupByName(name).ID())
        new = [d for d in self.conn.listAllDomains(LIST_ACTIVE) if d.UUIDString() not in before]
        if len(new) != 1:
            raise OperationError(f"restored {path}, but cannot tell which domain it became")
        return int(new[0].ID())

    def _saved_name(self, path: str) -> str | None:
        """The domain name in a save image; None when the driver cannot read images
        (libvirt 9's libxl driver has no virDomainSaveImageGetXMLDesc)."""
        try:
            xml = self.conn.saveImageGetXMLDesc(path, 0)
        except self._lv.libvirtError as exc:
            if exc.get_error_code() == ERR_NO_SUPPORT:
                return None
            raise BackendError(f"reading {path}: {exc.get_error_message()}") from exc
        return ET.fromstring(xml).findtext("name") or None

    # -- resources -----------------------------------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None:
        dom = self._dom(domid)
        info = self._info(dom)
        check_memory_target(info, target_kb, int(dom.maxMemory()))
        self._call(f"setting the memory of domain {domid}",
                   lambda: dom.setMemoryFlags(target_kb, AFFECT_LIVE))

    def set_memory_max(self, domid: int, max_kb: int) -> None:
        dom = self._dom(domid)
        info = self._info(dom)
        if max_kb < info.current_memkb:
            raise OperationError(
                f"cannot set the maximum memory of domain {domid} to {max_kb // 1024}M: "
                f"below its current target of {info.current_memkb // 1024}M")
        self._call(f"setting the maximum memory of domain {domid}",
                   lambda: dom.setMaxMemory(max_kb))

    def set_vcpus(self, domid: int, count: int) -> None:
        dom = self._dom(domid)
        info = self._info(dom)
        check_vcpu_count(info, count, info.vcpu_max_id + 1)
        host_cpus = int(self._call("host info", self.conn.getInfo)[2])
        if self.conn.getType().lower() == "xen" and count > host_cpus:
            # libxlDomainSetVcpusFlags caps live vcpus at the host's CPU count
            raise self._no(f"give domain {domid} {count} vcpus: libvirt's libxl driver "
                           f"caps them at the host's CPU count ({host_cpus}), and xl's -i "
                           "has no libvirt equivalent")
        self._call(f"setting the vcpus of domain {domid}",
                   lambda: dom.setVcpusFlags(count, AFFECT_LIVE))

    def pin_vcpu(self, domid: int, vcpu: int | None, hard: tuple[int, ...] | None,
                 soft: tuple[int, ...] | None) -> None:
        dom = self._dom(domid)
        if soft is not None:
            raise self._no("set soft vcpu affinity")
        if hard is None:
            return
        nr_cpus = int(self.conn.getInfo()[2])
        cpumap = tuple(i in hard for i in range(nr_cpus))
        vcpus = [vcpu] if vcpu is not None else range(self._info(dom).vcpu_max_id + 1)
        for v in vcpus:
            self._vcpu_call(f"pinning vcpu {v} of domain {domid}",
                            functools.partial(dom.pinVcpu, v, cpumap))

    def _vcpu_call(self, what: str, fn: Callable[[], T]) -> T:
        """libvirt-python sizes vcpu maps with virNodeGetCPUMap (virDomainGetVcpus,
        virDomainPinVcpu), which libvirt 9's libxl driver does not implement."""
        return self._call(what, fn, unsupported=(
            "list or pin vcpus", "libvirt-python needs virNodeGetCPUMap for vcpu maps, "
            f"which libvirt's {self.conn.getType()} driver lacks"))

    def domain_sched_params(self, domid: int) -> SchedParams:
        """weight and cap as libvirt's scheduler parameters; the scheduler unnamed."""
        params = self._call("scheduler parameters", self._dom(domid).schedulerParameters)
        return SchedParams("", int(params.get("weight", 256)), int(params.get("cap", 0)))

    def set_domain_sched_params(self, domid: int, params: SchedParams) -> None:
        dom = self._dom(domid)
        values = {k: v for k, v in (("weight", params.weight), ("cap", params.cap)) if v != -1}
        self._device_call(f"setting the scheduler parameters of domain {domid}",
                          dom.setSchedulerParametersFlags, values, AFFECT_LIVE)

    # -- devices -------------------------------------------------------------------
    def attach_disk(self, domid: int, disk: DiskSpec) -> None:
        dom = self._dom(domid)
        disk_devid(disk.vdev)  # a name libxl would refuse is refused here too
        if any(d.vdev == disk.vdev for d in self.list_devices(domid, "vbd")):
            raise OperationError(f"domain {domid} already has a disk at {disk.vdev}")
        self._call(f"attaching {disk.vdev} to domain {domid}",
                   lambda: dom.attachDeviceFlags(disk_xml(disk), AFFECT_LIVE))

    def detach_disk(self, domid: int, vdev: str, force: bool = False) -> None:
        dom = self._dom(domid)
        for d in self._xml(domid).iterfind("devices/disk"):
            target = d.find("target")
            if target is not None and target.get("dev") == vdev:
                xml = ET.tostring(d, encoding="unicode")
                self._device_call(f"detaching {vdev} from domain {domid}",
                                  dom.detachDeviceFlags, xml, AFFECT_LIVE)
                return
        raise OperationError(f"domain {domid} has no disk '{vdev}'")

    def attach_nic(self, domid: int, nic: NicSpec) -> str:
        from xl_py.backends.macs import random_mac

        dom = self._dom(domid)
        in_use = self.used_macs()
        mac = nic.mac.lower() if nic.mac else random_mac(in_use)
        if mac in in_use:
            raise OperationError(f"MAC address {mac} is already used by {in_use[mac]}")
        self._call(f"attaching a vif to domain {domid}",
                   lambda: dom.attachDeviceFlags(nic_xml(nic, mac), AFFECT_LIVE))
        return mac

    def detach_nic(self, domid: int, which: str) -> None:
        dom = self._dom(domid)
        for i, n in enumerate(self._xml(domid).iterfind("devices/interface")):
            mac = n.find("mac")
            if (which.isdigit() and int(which) == i) or (
                    mac is not None and (mac.get("address") or "").lower() == which.lower()):
                xml = ET.tostring(n, encoding="unicode")
                self._device_call(f"detaching vif {which} from domain {domid}",
                                  dom.detachDeviceFlags, xml, AFFECT_LIVE)
                return
        raise OperationError(f"domain {domid} has no vif '{which}'")

    def cd_insert(self, domid: int, vdev: str, target: str) -> None:
        self._media(domid, vdev, target)

    def cd_eject(self, domid: int, vdev: str) -> None:
        self._media(domid, vdev, "")

    def _media(self, domid: int, vdev: str, target: str) -> None:
        dom = self._dom(domid)
        for d in self._xml(domid).iterfind("devices/disk"):
            t = d.find("target")
            if t is None or t.get("dev") != vdev:
                continue
            if d.get("device") != "cdrom":
                raise OperationError(f"{vdev} of domain {domid} is not a cdrom")
            src = d.find("source")
            if src is not None:
                d.remove(src)
            if target:
                ET.SubElement(d, "source", {"file": target})
            xml = ET.tostring(d, encoding="unicode")
            self._device_call(f"changing the medium in {vdev}", dom.updateDeviceFlags, xml,
                              AFFECT_LIVE)
            return
        raise OperationError(f"domain {domid} has no disk at {vdev}")


#: libvirt capabilities <guest> (os_type, arch) -> the tokens of Xen's capabilities
#: string libvirt's libxl driver parsed it from (libxl_capabilities.c: "xen|hvm-VER-ARCH"
#: with "p" for PAE; its xenpvh guests are derived from hvm ones, not in the string)
_CAPS_ARCH = {"x86_64": "x86_64", "i686": "x86_32", "aarch64": "aarch64", "armv7l": "armv7l"}
_CAPS_OS = {"xen": "xen", "hvm": "hvm"}


REMOTE_UNKNOWN = "unknown (remote host)"


def is_local_uri(uri: str) -> bool:
    """A libvirt URI served on this machine (no host part: ``xen:///system``,
    ``xen+unix:///...``, ``test:///default``)."""
    return not urllib.parse.urlsplit(uri).hostname


def host_arch(capabilities: str) -> str:
    """The host's machine (``x86_64``) from libvirt's capabilities XML."""
    return ET.fromstring(capabilities).findtext("host/cpu/arch") or ""


def xen_caps(capabilities: str) -> str:
    """``xl info``'s xen_caps from libvirt's capabilities XML (Xen's string, rebuilt)."""
    tokens: list[str] = []
    for guest in ET.fromstring(capabilities).iterfind("guest"):
        kind = _CAPS_OS.get(guest.findtext("os_type") or "")
        arch_el = guest.find("arch")
        arch = _CAPS_ARCH.get(arch_el.get("name", "") if arch_el is not None else "")
        if kind is None or arch is None:
            continue
        suffixes = [""]
        if arch == "x86_32":
            features = guest.find("features")
            pae = features is not None and features.find("pae") is not None
            nonpae = features is None or features.find("nonpae") is not None
            suffixes = [s for s, on in (("", nonpae), ("p", pae)) if on]
        tokens += [f"{kind}-3.0-{arch}{s}" for s in suffixes]
    return " ".join(dict.fromkeys(tokens))


class LibxlLogs:
    """What libxenlight logs through libvirt's libxl driver during one operation.

    Only a daemon on this machine writes where we can read (``xen:///system``, or
    ``xen+unix:///...``); for a remote URI there is nothing to add."""

    def __init__(self, uri: str, name: str) -> None:
        self.files = ([LIBXL_LOG_DIR / f"{name}.log", LIBXL_LOG_DIR / "libxl-driver.log"]
                      if is_local_uri(uri) and uri.startswith("xen") else [])
        self.sizes = {f: _size(f) for f in self.files}

    def new_lines(self) -> list[str]:
        """libxl's lines logged since, without their time stamps (xl prints them so)."""
        out: list[str] = []
        for f in self.files:
            try:
                with f.open("rb") as fh:
                    fh.seek(self.sizes[f] if _size(f) >= self.sizes[f] else 0)
                    text = fh.read(1 << 16).decode(errors="replace")
            except OSError:
                continue
            out += [_LOG_STAMP.sub("", line) for line in text.splitlines()
                    if _LOG_STAMP.match(line) and _LIBXL_LINE.search(line)]
        return list(dict.fromkeys(out))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _os_type(dom: Any) -> str | None:
    try:
        kind = str(dom.OSType())
    except Exception:
        return None
    return {"linux": "pv", "xen": "pv", "hvm": "hvm", "xenpvh": "pvh"}.get(kind, kind)


#: DiskSpec.backendtype -> libvirt <driver name> (libxl_conf.c libxlMakeDisk)
_DRIVER_OF_BACKEND = {"phy": "phy", "qdisk": "qemu", "tap": "tap"}


def disk_xml(disk: DiskSpec) -> str:
    """<disk> for libvirt: a block device for phy, a file otherwise.

    A raw disk without a backendtype gets no <driver>: libvirt then hands libxl
    format raw and backend "unknown", and libxl picks the backend as it does for xl
    (phy through a loop device for a file); <driver name='qemu'> would force qdisk,
    which a PV domain created without one has no QEMU to serve."""
    kind = "block" if disk.backendtype == "phy" or disk.target.startswith("/dev/") else "file"
    root = ET.Element("disk", type=kind, device="cdrom" if disk.is_cdrom else "disk")
    driver = _DRIVER_OF_BACKEND.get(disk.backendtype)
    if driver or disk.format != "raw" or disk.is_cdrom:
        ET.SubElement(root, "driver", name=driver or "qemu", type=disk.format)
    if disk.target:
        ET.SubElement(root, "source", {"dev" if kind == "block" else "file": disk.target})
    bus = "ide" if disk.vdev.startswith("hd") else ("scsi" if disk.vdev.startswith("sd")
                                                     else "xen")
    ET.SubElement(root, "target", dev=disk.vdev, bus=bus)
    if not disk.readwrite:
        ET.SubElement(root, "readonly")
    return ET.tostring(root, encoding="unicode")


def nic_xml(nic: NicSpec, mac: str) -> str:
    """<interface type='bridge'> for libvirt's attachDevice."""
    root = ET.Element("interface", type="bridge")
    ET.SubElement(root, "mac", address=mac)
    ET.SubElement(root, "source", bridge=nic.bridge)
    optional = (("script", "path", nic.script if nic.script != "vif-bridge" else None),
                ("ip", "address", nic.ip), ("target", "dev", nic.vifname),
                ("model", "type", nic.model))
    for tag, attribute, value in optional:
        if value:
            ET.SubElement(root, tag, {attribute: value})
    return ET.tostring(root, encoding="unicode")


def _disk_info(domid: int, d: ET.Element) -> DeviceInfo:
    target = d.find("target")
    vdev = target.get("dev", "") if target is not None else ""
    src = d.find("source")
    path = (src.get("file") or src.get("dev") or "") if src is not None else ""
    try:
        devid = disk_devid(vdev)
    except OperationError:
        devid = -1
    return DeviceInfo(kind="vbd", devid=devid, backend_id=0, frontend_id=domid, state=4,
                      backend_path=f"/local/domain/0/backend/vbd/{domid}/{devid}", vdev=vdev,
                      target=path, devtype=d.get("device", "disk"))


def _nic_info(domid: int, index: int, n: ET.Element) -> DeviceInfo:
    mac = n.find("mac")
    src = n.find("source")
    return DeviceInfo(kind="vif", devid=index, backend_id=0, frontend_id=domid, state=4,
                      backend_path=f"/local/domain/0/backend/vif/{domid}/{index}",
                      mac=(mac.get("address") or "") if mac is not None else "",
                      bridge=(src.get("bridge") or "") if src is not None else "")
