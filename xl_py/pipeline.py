"""The config core end to end: xl.cfg text -> Document -> RawDomain ->
DomainConfig -> libxl JSON.  Used by ``xl-py create -N``, ``check`` and the
benchmarks; pure apart from the random UUID xl generates when none is given.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from xl_py._record import Record, replace
from xl_py._types import HostInfo
from xl_py.errors import Diagnostic

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from xl_py.model.devices import DeviceDisk
    from xl_py.model.domain import DomainConfig
    from xl_py.settings.raw import RawDomain
    from xl_py.settings.xlconf import XlConf


class Built(Record):
    """The result of building one config: the model and what xl would warn."""

    config: DomainConfig
    raw: RawDomain
    warnings: tuple[Diagnostic, ...]


def with_extra(text: str, extra: Sequence[str]) -> str:
    """xl create's ``key=value`` arguments: appended as "\\n<lines>\\n"."""
    if not extra:
        return text
    return text + "\n" + "".join(line + "\n" for line in extra) + "\n"


def read_raw(text: str | bytes, name: str, extra: Sequence[str] = ()) -> RawDomain:
    """The file's settings, then ``extra`` (create's key=value arguments) as xl
    reads them: one text, the arguments on lines of their own after the file."""
    from xl_py.settings.raw import RawDomain
    from xl_py.syntax import parse_xlcfg
    from xl_py.syntax.xlcfg import decode_config

    if not extra:
        return RawDomain.from_document(parse_xlcfg(text, name))
    if isinstance(text, bytes):
        text = decode_config(text, name)
    return RawDomain.from_document(parse_xlcfg(with_extra(text, extra), name,
                                               extra_from=len(text) + 1))


def build(text: str | bytes, name: str, host: HostInfo | None = None,
          xlconf: XlConf | None = None, *, uuid: str | None = None,
          extra: Sequence[str] = ()) -> Built:
    """Parse and type one config; raise ConfigError with every problem.

    ``uuid``: the UUID to use when the config has none (default: random, as
    xl's libxl_uuid_generate).  ``extra``: create's key=value arguments."""
    from xl_py.settings.domain import from_raw

    raw = read_raw(text, name, extra)
    config, warnings = from_raw(raw, host, xlconf)
    if config.c_info.uuid is None:
        config = replace(config, c_info=replace(config.c_info, uuid=uuid or random_uuid()))
    doc_warnings = tuple(raw.document.warnings) + tuple(raw.warnings)
    return Built(config, raw, doc_warnings + warnings)


def apply_affinity_masks(config: DomainConfig, xlconf: XlConf | None,
                         host: HostInfo | None = None) -> DomainConfig:
    """xl.conf's vm.cpumask / vm.pv.cpumask / vm.hvm.cpumask, applied after
    the parse as xl's create_domain does (apply_global_affinity_masks)."""
    from xl_py.errors import ConfigValueError
    from xl_py.model._base import Bitmap
    from xl_py.model.enums import DomainType
    from xl_py.settings.domain_rules import cpumap_size, parse_cpurange

    host = host or HostInfo()
    full = frozenset(range(cpumap_size(host)))

    def mask(spec: str | None) -> frozenset[int]:
        return full if spec is None else parse_cpurange(spec, host)[0]

    conf = xlconf
    vm = mask(conf.global_vm_affinity_mask if conf else None)
    is_pv = config.c_info.type is DomainType.PV
    typed = mask((conf.global_pv_affinity_mask if is_pv else conf.global_hvm_affinity_mask)
                 if conf else None)
    b_info = config.b_info
    maps = b_info.vcpu_hard_affinity
    if not maps and (vm != full or typed != full):
        maps = (Bitmap(full),) * b_info.max_vcpus
    result = []
    for cpus in maps:
        bits = cpus.bits & vm & typed
        if not bits:
            raise ConfigValueError.at("vcpu hard affinity map is empty",
                                      hint="cpus= and the vm.cpumask settings of xl.conf "
                                      "leave no CPU to run on")
        result.append(Bitmap(bits))
    if tuple(result) == b_info.vcpu_hard_affinity:
        return config
    return replace(config, b_info=replace(b_info, vcpu_hard_affinity=tuple(result)))


def to_json(config: DomainConfig) -> str:
    from xl_py.render.libxl_json import to_json as render

    return render(config)


def random_uuid() -> str:
    """A version 4 UUID, formatted as libxl prints it."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def libvirt_xml(cfg: Mapping[str, Any], *, for_libxl_driver: bool = False) -> str:
    """An xl.cfg's keys (a flat key -> value mapping) as libvirt domain XML:
    disk= parsed as xl parses it (an item xl refuses is refused, with the
    positioned reason, every bad item at once), then render.libvirt_xml
    (``for_libxl_driver``: see :func:`xl_py.render.libvirt_xml.to_xml`)."""
    from xl_py.errors import ConfigValueError
    from xl_py.render.libvirt_common import specs
    from xl_py.render.libvirt_xml import to_xml
    from xl_py.settings.disk import parse_disk

    names = specs(cfg, "disk")
    disks: list[DeviceDisk] = []
    errors: list[Diagnostic] = []
    for spec in names:
        try:
            disks.append(parse_disk(spec))
        except ConfigValueError as exc:
            errors.extend(exc.diagnostics())
    if errors:
        raise ConfigValueError(tuple(errors))
    return to_xml(cfg, disks, names, for_libxl_driver=for_libxl_driver)
