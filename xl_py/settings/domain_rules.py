"""Readers and cross-key rules of the domain keys table (xl_parse.c, Xen 4.17).

Each function handles one key (named ``rule_<key>``) or one stage of
``parse_config_data`` where xl looks at several keys together
(``stage_<what>``); the table in :mod:`xl_py.settings.domain` says which runs
when.  Generic readers (STRING, LONG, DEFBOOL, MIB, ...) store a key's value
into the row's ``target`` field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from xl_py._types import HostInfo
from xl_py.model import enums
from xl_py.model._base import MEMKB_DEFAULT, Bitmap, Defbool
from xl_py.model.domain import (
    MCA_CAP_LMCE,
    VIRIDIAN_WIDTH,
    IomemRange,
    IoportRange,
)
from xl_py.model.enums import ActionOnShutdown, DomainType
from xl_py.settings.domain_values import (
    INT_MAX,
    INT_MIN,
    Cursor,
    Skip,
    c_strtoul,
    parse_long,
    prefix_of,
)

if TYPE_CHECKING:
    from xl_py.settings.domain import Key

HVM, PV, PVH = DomainType.HVM, DomainType.PV, DomainType.PVH
XENFIRMWAREDIR = "/usr/lib/xen-4.17/boot"  # Debian's xen-utils-4.17 build
UINT32_MAX = 2**32 - 1
MMIO_HOLE_MIB = (256, 3840)  # HVM_BELOW_4G_MMIO_LENGTH .. _START, in MiB

# --------------------------------------------------------------------------
# generic readers: value of the key -> row.target


def STRING(cur: Cursor, key: Key) -> None:
    """xlu_cfg_replace_string."""
    text = cur.string(key.name)
    if text is not None:
        cur.set(key.target, text)


def LONG(cur: Cursor, key: Key) -> None:
    number = cur.long(key.name)
    if number is not None:
        cur.set(key.target, number)


def INT(cur: Cursor, key: Key) -> None:
    """A key xl reads with xlu_cfg_get_long into a C int: xl silently keeps the
    low 32 bits (2**32 + 5 becomes 5); xl-py refuses what does not fit."""
    number = c_int(cur, key.name)
    if number is not None:
        cur.set(key.target, number)


def c_int(cur: Cursor, name: str) -> int | None:
    """cur.long (what xl ignores stays a warning), then an error outside C int."""
    number = cur.long(name)
    if number is not None and not INT_MIN <= number <= INT_MAX:
        raise cur.error(name, f"{name}: {number} does not fit in a C int",
                        expected=f"an integer from {INT_MIN} to {INT_MAX}",
                        hint="xl would silently keep only the low 32 bits")
    return number


def MIB(cur: Cursor, key: Key) -> None:
    """A MiB count stored as KiB (``l * 1024``)."""
    number = cur.long(key.name)
    if number is not None:
        cur.set(key.target, (number * 1024) % 2**64)


def DEFBOOL(cur: Cursor, key: Key) -> None:
    flag = cur.defbool(key.name)
    if flag is not None:
        cur.set(key.target, Defbool.of(flag))


def GRANT(cur: Cursor, key: Key) -> None:
    """max_grant_frames & co: bounded 0..INT_MAX (default from xl.conf); xl
    exits on a bad value."""
    number = cur.long(key.name, 0, INT_MAX, strict=True)
    if number is not None:
        cur.set(key.target, number)


def STRING_LIST(cur: Cursor, key: Key) -> None:
    """device_model_args*: a list of strings (xl exits on anything else)."""
    items = cur.string_list(key.name, strict=True)
    if items is not None:
        cur.set(key.target, items)


def enum_reader(enum_name: str, style: str = "ERROR") -> Callable[[Cursor, Key], None]:
    """libxl_<enum>_from_string (case-insensitive) into the target."""
    cls: type[enums.LibxlEnum] = getattr(enums, enum_name)

    def read(cur: Cursor, key: Key) -> None:
        text = cur.string(key.name)
        if text is None:
            return
        member = cls.from_libxl(text)
        if member is None:
            raise cur.error(key.name, f"{key.name}: invalid value {text!r}",
                            expected=" | ".join(cls.names()))
        cur.set(key.target, member)

    read.__doc__ = f"libxl_{enum_name} from its name"
    return read


def rule_noop(cur: Cursor, key: Key) -> None:
    """Read by a stage together with other keys."""


# --------------------------------------------------------------------------
# c_info


def rule_seclabel(cur: Cursor, key: Key) -> None:
    """seclabel is the exec label when init_seclabel gave the build label."""
    text = cur.string("seclabel")
    if text is None:
        return
    target = "b.exec_ssid_label" if cur.get("c.ssid_label") is not None else "c.ssid_label"
    cur.set(target, text)


_TYPES = (("hvm", HVM), ("pv", PV), ("pvh", PVH))


def rule_type(cur: Cursor, key: Key) -> None:
    """type=: xl accepts any prefix of hvm, pv, pvh (tried in that order)."""
    text = cur.string("type")
    if text is None:
        return
    for word, dtype in _TYPES:
        if prefix_of(text, word):
            cur.set("c.type", dtype)
            return
    raise cur.error("type", f"type: invalid domain type {text!r}", expected="pv | pvh | hvm")


def rule_builder(cur: Cursor, key: Key) -> None:
    """builder= (deprecated since 4.10): 'hvm' or 'generic' (PV)."""
    text = cur.string("builder")
    if text is None:
        return
    cur.warn("builder", "builder: deprecated since Xen 4.10", code="deprecated",
             hint=f'write type = "{"hvm" if prefix_of(text, "hvm") else "pv"}"',
             at_key=True)
    if prefix_of(text, "hvm"):
        dtype = HVM
    elif prefix_of(text, "generic"):
        dtype = PV
    else:
        raise cur.error("builder", f"builder: invalid domain type {text!r}",
                        expected="hvm | generic")
    given = cur.get("c.type")
    if given is not None and given is not dtype:
        raise cur.error("builder", 'contradicting "builder" and "type" options',
                        hint=f"remove builder=; type = \"{given.value}\" is enough")
    cur.set("c.type", dtype)


def stage_type(cur: Cursor, key: Key) -> None:
    """The guest type defaults to PV on x86; later keys depend on it."""
    cur.dtype = cur.get("c.type") or PV
    cur.set("c.type", cur.dtype)


def rule_name(cur: Cursor, key: Key) -> None:
    STRING(cur, key)


_UUID = (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
         r"[0-9a-fA-F]{12}")  # compiled on first use (start-up time)


def rule_uuid(cur: Cursor, key: Key) -> None:
    """libxl_uuid_from_string: 36 characters, 8-4-4-4-12 hex digits."""
    text = cur.string("uuid")
    if text is None:
        return
    if not re.fullmatch(_UUID, text):
        raise cur.error("uuid", f"uuid: {text!r} is not a UUID",
                        expected="8-4-4-4-12 hex digits, e.g. "
                        "3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90")
    cur.set("c.uuid", text.lower())


# --------------------------------------------------------------------------
# memory, vcpus, affinity


def rule_vcpus(cur: Cursor, key: Key) -> None:
    """vcpus=N: vCPUs 0..N-1 online at boot."""
    number = cur.long("vcpus", 0, INT_MAX)
    if number is None:
        return
    if number > MAX_VCPUS:
        raise _too_many_vcpus(cur, "vcpus", number)
    cur.vcpus = number
    cur.set("b.avail_vcpus", Bitmap(frozenset(range(number))))


def rule_vnuma(cur: Cursor, key: Key) -> None:
    """vnuma=[...]: the vNUMA sub-language (settings/vnuma.py)."""
    parse = optional_function("xl_py.settings.vnuma", "parse_vnuma_config")
    if parse is None:
        raise cur.error("vnuma", "vnuma: not supported by this xl-py build")
    parse(cur, key)


# No Xen gives a domain more vCPUs than this (x86 HVM stops at 128); xl itself
# would print every one of 2**31 vCPU numbers (gigabytes of JSON).  A bound
# keeps xl-py's time and memory bounded: docs/differences.md.
MAX_VCPUS = 65536


def _too_many_vcpus(cur: Cursor, key: str, number: int) -> Skip:
    return cur.error(key, f"{key}: {number} vCPUs is more than xl-py accepts",
                     expected=f"at most {MAX_VCPUS} vCPUs",
                     hint="Xen 4.17 runs HVM guests with up to 128 vCPUs")


def stage_vcpus(cur: Cursor, key: Key) -> None:
    """maxmem defaults to memory, maxvcpus to vcpus; maxvcpus >= vcpus."""
    if cur.get("b.max_memkb", MEMKB_DEFAULT) == MEMKB_DEFAULT:
        cur.set("b.max_memkb", cur.get("b.target_memkb", MEMKB_DEFAULT))
    if not cur.get("b.max_vcpus", 0):
        cur.set("b.max_vcpus", cur.vcpus)
    if cur.get("b.max_vcpus") > MAX_VCPUS:
        too_many = cur.get("b.max_vcpus")
        cur.set("b.max_vcpus", cur.vcpus)  # later rules size per-vCPU maps by it
        raise _too_many_vcpus(cur, "maxvcpus", too_many)
    if cur.get("b.max_vcpus") < cur.vcpus:
        raise cur.error("maxvcpus", f"maxvcpus ({cur.get('b.max_vcpus')}) is less than "
                        f"vcpus ({cur.vcpus})",
                        hint="maxvcpus is the most vCPUs the guest can ever have")


def cpu_bitmap(cur: Cursor, spec: str, span: tuple[int, int], key: str) -> Bitmap:
    """A cpus= spec as a Bitmap; errors at ``span``."""
    bits, problem = parse_cpurange(spec, cur.host)
    if problem is not None:
        raise cur.error_at(span, f"{key}: {problem}",
                           expected="all | N | N-M | nodes:N | ^N, comma-separated")
    return Bitmap(bits)


def cpumap_size(host: HostInfo) -> int:
    """Bits in a libxl_cpu_bitmap_alloc(ctx, map, 0): max_cpus in whole bytes."""
    return ((host.max_cpus + 7) // 8) * 8


def parse_cpurange(spec: str, host: HostInfo) -> tuple[frozenset[int], str | None]:
    """xl's parse_cpurange: 'all', 'N', 'N-M', 'nodes:N-M', '^...' joined by
    ','; bits past the map's size are dropped, as libxl_bitmap_set does.
    Returns (bits, problem)."""
    size = cpumap_size(host)
    bits: set[int] = set()
    for part in spec.split(","):
        if part == "":
            continue
        problem = _cpu_range(part, bits, size, host)
        if problem is not None:
            return frozenset(bits), problem
    return frozenset(b for b in bits if b < size), None


def _cpu_range(part: str, bits: set[int], size: int, host: HostInfo) -> str | None:
    text = part
    negate = text.startswith("^")
    if negate:
        text = text[1:]
    nodes = False
    for prefix in ("node:", "nodes:"):
        if text.startswith(prefix):
            nodes, text = True, text[len(prefix):]
            break
    if text == "all":
        if negate:
            return "can't combine '^' and 'all'"
        bits.update(range(size))
        return None
    first, last = _range(text)
    if first is None or last is None:
        return f"invalid pcpu range {part!r}"
    chosen: set[int] = set()
    for index in range(first, min(last, first + 4096) + 1):
        if nodes:
            chosen.update(host.cpus_of_node(index))
        else:
            chosen.add(index)
    if negate:
        bits.difference_update(chosen)
    else:
        bits.update(chosen)
    return None


def _range(text: str) -> tuple[int | None, int | None]:
    """parse_range: 'A' or 'A-B' (strtoul base 10, B >= A, nothing after)."""
    first, used = c_strtoul(text, 10)
    if used == 0 or first == 2**64 - 1:
        return None, None
    last = first
    rest = text[used:]
    if rest.startswith("-"):
        last, used2 = c_strtoul(rest[1:], 10)
        if used2 == 0 or last == 2**64 - 1 or last < first:
            return None, None
        rest = rest[1 + used2:]
    if rest:
        return None, None
    return first, last


def rule_cpus(cur: Cursor, key: Key) -> None:
    """cpus= / cpus_soft=: one spec for every vCPU, or a list, one per vCPU."""
    max_vcpus: int = cur.get("b.max_vcpus", 0)
    hard = key.name == "cpus"
    value = cur.value(key.name)
    maps: list[Bitmap]
    if cur.is_list(key.name):
        atoms = cur.item_atoms(key.name) or []
        maps = [cpu_bitmap(cur, a.text, a.span, key.name) for a in atoms[:max_vcpus]]
        if len(atoms) > max_vcpus:
            maps = maps[:max_vcpus]
        cur.set("b.numa_placement", Defbool.FALSE)
    else:
        spec = cur.string(key.name) or ""
        one = cpu_bitmap(cur, spec, value.span, key.name)
        maps = [one] * max_vcpus
        if not hard:
            cur.set("b.numa_placement", Defbool.FALSE)
    cur.set(key.target, tuple(maps))


# --------------------------------------------------------------------------
# actions, modes


def ACTION(cur: Cursor, key: Key) -> None:
    """on_poweroff & co: xl's spellings (rename-restart, coredump-destroy ...)."""
    text = cur.string(key.name)
    if text is None:
        return
    for action in ActionOnShutdown:
        if action.xl_name == text:
            cur.set(key.target, action)
            return
    raise cur.error(key.name, f"{key.name}: unknown action {text!r}",
                    expected=" | ".join(a.xl_name for a in ActionOnShutdown))


def _int_or_name(cur: Cursor, key: Key, cls: type[enums.LibxlEnum], lo: int, hi: int,
                 offset: int = 0) -> enums.LibxlEnum | None:
    """Keys xl reads as a number first (deprecated) then as a name."""
    text = cur.string(key.name)
    if text is None:
        return None
    number = parse_long(text) if cur.op(key.name) == "=" else None
    members = list(cls)
    if number is not None:
        if not lo <= number <= hi:
            raise cur.error(key.name, f"{key.name}: invalid value {number}",
                            expected=" | ".join(m.value for m in members[offset:]))
        return members[number + offset]
    member = cls.from_libxl(text)
    if member is None:
        raise cur.error(key.name, f"{key.name}: invalid value {text!r}",
                        expected=" | ".join(cls.names()))
    return member


def rule_tsc_mode(cur: Cursor, key: Key) -> None:
    member = _int_or_name(cur, key, enums.TscMode, 0, 3)
    if member is None:
        return
    if parse_long(cur.string(key.name) or "") is not None:
        cur.warn(key.name, "tsc_mode: a number is deprecated", code="deprecated",
                 hint=f'write tsc_mode = "{member.value}"')
    cur.set(key.target, member)


def rule_timer_mode(cur: Cursor, key: Key) -> None:
    if cur.dtype is PV:
        if cur.string(key.name) is None:
            return
        raise cur.error(key.name, "timer_mode: not supported for PV guests",
                        hint="remove timer_mode, or use type = \"pvh\" or \"hvm\"")
    member = _int_or_name(cur, key, enums.TimerMode, 0, 3, offset=1)
    if member is None:
        return
    if parse_long(cur.string(key.name) or "") is not None:
        cur.warn(key.name, "timer_mode: a number is deprecated", code="deprecated",
                 hint=f'write timer_mode = "{member.value}"')
    cur.set(key.target, member)


def rule_altp2m(cur: Cursor, key: Key) -> None:
    member = _int_or_name(cur, key, enums.Altp2mMode, 0, 3)
    if member is not None:
        cur.set(key.target, member)


def rule_vmtrace(cur: Cursor, key: Key) -> None:
    """vmtrace_buf_kb: xl reads it quietly (dont_warn), 0 leaves it unset."""
    number = c_int(cur, key.name)
    if number:
        cur.set(key.target, number)


def rule_vncviewer(cur: Cursor, key: Key) -> None:
    if cur.long(key.name) is not None:
        cur.warn(key.name, 'vncviewer: ignored', code="ignored", at_key=True,
                 hint="use 'xl-py create -V' to start a VNC viewer")


# --------------------------------------------------------------------------
# boot


def stage_cmdline(cur: Cursor, key: Key) -> None:
    """cmdline= wins over root= + extra= (which make 'root=<root> <extra>')."""
    cmdline = cur.string("cmdline") if cur.has("cmdline") else None
    root = cur.string("root") if cur.has("root") else None
    extra = cur.string("extra") if cur.has("extra") else None
    if cmdline is not None:
        if root is not None or extra is not None:
            cur.warn("cmdline", "cmdline: root= and extra= are ignored in favour of "
                     "cmdline=", code="ignored", at_key=True,
                     hint="put everything in cmdline=")
        cur.set("b.cmdline", cmdline)
    elif root is not None and extra is not None:
        cur.set("b.cmdline", f"root={root} {extra}")
    elif root is not None:
        cur.set("b.cmdline", f"root={root}")
    elif extra is not None:
        cur.set("b.cmdline", extra)


def rule_bootloader_args(cur: Cursor, key: Key) -> None:
    """A list; a string is deprecated and split at blanks."""
    if cur.is_list(key.name):
        STRING_LIST(cur, key)
        return
    text = cur.string(key.name) or ""
    cur.warn(key.name, "bootloader_args: a string is deprecated", code="deprecated",
             hint="use a list: bootloader_args = [ \"arg1\", \"arg2\" ]")
    cur.set(key.target, tuple(split_string_list(text, " \t\n")))


def split_string_list(text: str, delims: str) -> list[str]:
    """xl's split_string_into_string_list: strtok_r, so the non-empty runs
    between delimiters."""
    items: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in delims:
            if current:
                items.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        items.append("".join(current))
    return items


def stage_hvm_kernel(cur: Cursor, key: Key) -> None:
    """HVM: kernel="…/hvmloader" is a leftover of xm configs: drop it."""
    if cur.dtype is not HVM:
        return
    kernel = cur.get("b.kernel")
    if kernel is not None and os.path.basename(kernel) == "hvmloader":
        cur.warn("kernel", "kernel: hvmloader is the default HVM firmware; ignored",
                 code="ignored", at_key=True,
                 hint='remove kernel=, or use firmware_override= for another firmware')
        cur.set("b.kernel", None)


def rule_bios(cur: Cursor, key: Key) -> None:
    enum_reader("BiosType")(cur, key)


def stage_bios(cur: Cursor, key: Key) -> None:
    if cur.dtype is HVM and not cur.has("bios") and cur.get("u.system_firmware"):
        cur.warn("bios_path_override", "bios_path_override: given without bios=",
                 code="incomplete", at_key=True, hint="say which bios it is: bios = ...")


def rule_firmware(cur: Cursor, key: Key) -> None:
    """HVM: a bios name, uefi, bios, or a path; PV/PVH: pvgrub32 / pvgrub64."""
    text = cur.string("firmware")
    if text is None:
        return
    if cur.dtype is HVM:
        bios = enums.BiosType.from_libxl(text)
        if bios is not None:
            cur.set("u.bios", bios)
        elif prefix_of(text, "uefi"):
            cur.set("u.bios", enums.BiosType.OVMF)
        elif not prefix_of(text, "bios"):
            cur.set("u.firmware", text)
        return
    if cur.get("b.kernel") is not None:
        raise cur.error("firmware", "firmware: both kernel and firmware specified",
                        hint="keep one of them")
    if not (prefix_of(text, "pvgrub32") or prefix_of(text, "pvgrub64")):
        raise cur.error("firmware", f"firmware: {text!r} is not a PV firmware",
                        expected="pvgrub32 | pvgrub64")
    cur.set("b.kernel", f"{XENFIRMWAREDIR}/{text}.bin")


def stage_boot(cur: Cursor, key: Key) -> None:
    """PV and PVH guests need a kernel or a bootloader."""
    if cur.dtype is HVM or cur.failed("type", "builder", "firmware"):
        return
    if cur.get("b.kernel") is None and cur.get("b.bootloader") is None:
        cur.error_global("neither kernel nor bootloader specified",
                         hint='add kernel = "/path/to/vmlinuz" or bootloader = "pygrub"')


# --------------------------------------------------------------------------
# HVM


def rule_viridian(cur: Cursor, key: Key) -> None:
    """viridian = 0|1, or a list of groups: all, defaults, NAME, !NAME."""
    if not cur.is_list(key.name):
        DEFBOOL(cur, key)
        return
    atoms = cur.item_atoms(key.name) or []
    enable: set[int] = set()
    disable: set[int] = set()
    for atom in atoms:
        name = atom.text
        if name == "all":
            enable.update(range(VIRIDIAN_WIDTH))
            continue
        if name == "defaults":
            cur.set("u.viridian", Defbool.TRUE)
            continue
        negate = name.startswith("!")
        into, other = (disable, enable) if negate else (enable, disable)
        group = enums.ViridianEnlightenment.from_libxl(name[1:] if negate else name)
        if group is None:
            raise cur.error_at(atom.span, f"viridian: unknown enlightenment {name!r}",
                               expected="all | defaults | "
                               + " | ".join(enums.ViridianEnlightenment.names())
                               + " (prefix ! to disable)")
        into.add(group.bit)
        other.discard(group.bit)
    cur.set("u.viridian_enable", Bitmap(frozenset(enable)))
    cur.set("u.viridian_disable", Bitmap(frozenset(disable)))


def rule_mmio_hole(cur: Cursor, key: Key) -> None:
    number = cur.long(key.name)
    if number is None:
        return
    lo, hi = MMIO_HOLE_MIB
    if not lo <= number <= hi:
        raise cur.error(key.name, f"mmio_hole: invalid value {number}",
                        expected=f"a size in MiB from {lo} to {hi}")
    cur.set(key.target, number * 1024)


def rule_altp2mhvm(cur: Cursor, key: Key) -> None:
    flag = cur.defbool(key.name)
    if flag is None:
        return
    cur.warn(key.name, "altp2mhvm: deprecated", code="deprecated", at_key=True,
             hint=f'write altp2m = "{"external" if flag else "disabled"}"')
    cur.set(key.target, Defbool.of(flag))


def rule_ms_vm_genid(cur: Cursor, key: Key) -> None:
    text = cur.string(key.name)
    if text is None:
        return
    if text == "generate":
        genid = os.urandom(16)
        while not any(genid):
            genid = os.urandom(16)
        cur.set(key.target, tuple(genid))
    elif text != "none":
        raise cur.error(key.name, f"ms_vm_genid: invalid value {text!r}",
                        expected="generate | none")


def rule_mca_caps(cur: Cursor, key: Key) -> None:
    caps = 0
    for atom in cur.item_atoms(key.name, strict=True) or []:
        if atom.text != "lmce":
            raise cur.error_at(atom.span, f"mca_caps: unrecognized MCA capability "
                               f"{atom.text!r}", expected="lmce")
        caps |= MCA_CAP_LMCE
    cur.set(key.target, caps)


def rule_vga(cur: Cursor, key: Key) -> None:
    text = cur.string(key.name)
    kinds = {"stdvga": enums.VgaInterfaceType.STD, "cirrus": enums.VgaInterfaceType.CIRRUS,
             "none": enums.VgaInterfaceType.NONE, "qxl": enums.VgaInterfaceType.QXL}
    if text is None:
        return
    if text not in kinds:
        raise cur.error(key.name, f"vga: unknown vga {text!r}",
                        expected=" | ".join(kinds))
    cur.set(key.target, kinds[text])


def rule_stdvga(cur: Cursor, key: Key) -> None:
    """stdvga=0|1 (deprecated): read only when vga= is absent."""
    if cur.has("vga"):
        cur.value(key.name)
        return
    flag = cur.defbool(key.name)
    if flag is None:
        return
    cur.warn(key.name, "stdvga: deprecated", code="deprecated", at_key=True,
             hint=f'write vga = "{"stdvga" if flag else "cirrus"}"')
    cur.set(key.target, enums.VgaInterfaceType.STD if flag else enums.VgaInterfaceType.CIRRUS)


def rule_gfx_passthru(cur: Cursor, key: Key) -> None:
    """gfx_passthru = 0|1, or a kind name (which also turns it on)."""
    text = cur.string(key.name)
    if text is None:
        return
    number = parse_long(text) if cur.op(key.name) == "=" else None
    if number is not None:
        cur.set("u.gfx_passthru", Defbool.of(number != 0))
        return
    kind = enums.GfxPassthruKind.from_libxl(text)
    if kind is None:
        raise cur.error(key.name, f"gfx_passthru: invalid value {text!r}",
                        expected="0 | 1 | " + " | ".join(enums.GfxPassthruKind.names()))
    cur.set("u.gfx_passthru_kind", kind)
    cur.set("u.gfx_passthru", Defbool.TRUE)


def _list_or_string(cur: Cursor, key: Key, single: str) -> None:
    if cur.is_list(key.name):
        STRING_LIST(cur, key)
    else:
        text = cur.string(key.name)
        if text is not None:
            cur.set(single, text)


def rule_serial(cur: Cursor, key: Key) -> None:
    _list_or_string(cur, key, "u.serial")


def rule_usbdevice(cur: Cursor, key: Key) -> None:
    _list_or_string(cur, key, "u.usbdevice")


def stage_vnc_check(cur: Cursor, key: Key) -> None:
    """HVM: the display number can't be both in vnclisten and vncdisplay."""
    listen = cur.get("vnc.listen")
    if cur.dtype is HVM and listen and cur.get("vnc.display") and ":" in listen:
        raise cur.error("vnclisten", "vnclisten: display given both in vnclisten and "
                        "vncdisplay", hint="drop the ':N' from vnclisten, or vncdisplay=")


# --------------------------------------------------------------------------
# ranges


def rule_ioports(cur: Cursor, key: Key) -> None:
    """ioports = ["3f8-3ff", "2f8"]: hex first[-last]."""
    ranges: list[IoportRange] = []
    for atom in cur.item_atoms(key.name) or []:
        first, used = c_strtoul(atom.text, 16)
        rest = atom.text[used:]
        last = first
        if used and rest.startswith("-"):
            last, used2 = c_strtoul(rest[1:], 16)
            rest = rest[1 + used2:] if used2 else "?"
            if rest:
                used = 0
        if used == 0:
            raise cur.error_at(atom.span, f"ioports: invalid I/O port range {atom.text!r}",
                               expected="hex FIRST or FIRST-LAST, e.g. \"3f8-3ff\"")
        if rest:
            cur.warnings.append(cur.diag(
                "warning", atom.span, f"ioports: {rest!r} after the port number is ignored, "
                f"as xl does: this is port {first:#x} only",
                hint="write FIRST or FIRST-LAST in hex, e.g. \"3f8-3ff\"", code="xl-quirk"))
        if last < first:
            cur.warnings.append(cur.diag(
                "warning", atom.span, f"ioports: {atom.text!r} ends before it starts; "
                f"xl 4.17 does not check and asks for {(last - first + 1) % 2**32} ports",
                hint="write FIRST-LAST with FIRST <= LAST", code="xl-quirk"))
        if first >= UINT32_MAX or last >= UINT32_MAX:
            raise cur.error_at(atom.span, f"ioports: {atom.text!r} is too big",
                               expected="ports below 0xffffffff")
        ranges.append(IoportRange(first, (last - first + 1) % 2**32))
    cur.set(key.target, tuple(ranges))


def rule_irqs(cur: Cursor, key: Key) -> None:
    irqs: list[int] = []
    for atom in cur.item_atoms(key.name) or []:
        number, used = c_strtoul(atom.text, 10)
        if used == 0 or used != len(atom.text):
            raise cur.error_at(atom.span, f"irqs: invalid irq {atom.text!r}",
                               expected="decimal IRQ numbers")
        if number >= UINT32_MAX:
            raise cur.error_at(atom.span, f"irqs: irq {atom.text!r} is too big",
                               expected="IRQs below 4294967295")
        irqs.append(number)
    cur.set(key.target, tuple(irqs))


_IOMEM = (r"\s*(?:0[xX])?([0-9a-fA-F]+),\s*(?:0[xX])?([0-9a-fA-F]+)"
          r"(?:@\s*(?:0[xX])?([0-9a-fA-F]+))?")


def rule_iomem(cur: Cursor, key: Key) -> None:
    """iomem = ["START,NUM[@GFN]"] in hex page numbers."""
    ranges: list[IomemRange] = []
    for atom in cur.item_atoms(key.name) or []:
        match = re.fullmatch(_IOMEM, atom.text)
        if match is None:
            raise cur.error_at(atom.span, f"iomem: invalid range {atom.text!r}",
                               expected="hex START,NUMBER[@GFN] page frames")
        start, number, gfn = match.groups()
        ranges.append(IomemRange(int(start, 16) % 2**64, int(number, 16) % 2**64,
                                 int(gfn, 16) % 2**64 if gfn else IomemRange().gfn))
    cur.set(key.target, tuple(ranges))


def rule_vif2(cur: Cursor, key: Key) -> None:
    cur.value(key.name)
    cur.warn(key.name, "vif2: netchannel2 is deprecated and not supported", at_key=True,
             code="deprecated", hint="use vif = [ ... ]")


def rule_cpuid(cur: Cursor, key: Key) -> None:
    """cpuid= : the libxl string form or the xend list form (settings/cpuid.py)."""
    parse = optional_function("xl_py.settings.cpuid", "parse_cpuid_config")
    if parse is None:
        raise cur.error(key.name, "cpuid: not supported by this xl-py build")
    parse(cur, key)


# --------------------------------------------------------------------------
# device model


def rule_device_model(cur: Cursor, key: Key) -> None:
    text = cur.string(key.name)
    if text is None:
        return
    hint = 'use device_model_override = "..." for a non-default device model'
    if "stubdom-dm" in text:
        hint += ("; device_model_stubdomain_override = 1 enables stubdomains"
                 if cur.dtype is HVM else "; stubdomains are not for PV guests")
    cur.warn(key.name, "device_model: ignored", code="ignored", at_key=True, hint=hint)


def rule_dm_version(cur: Cursor, key: Key) -> None:
    text = cur.string(key.name)
    if text is None:
        return
    versions = {"qemu-xen-traditional": enums.DeviceModelVersion.QEMU_XEN_TRADITIONAL,
                "qemu-xen": enums.DeviceModelVersion.QEMU_XEN}
    if text not in versions:
        raise cur.error(key.name, f"device_model_version: unknown version {text!r}",
                        expected=" | ".join(versions))
    cur.set(key.target, versions[text])


def stage_dm_version(cur: Cursor, key: Key) -> None:
    if not cur.has("device_model_version") and cur.get("b.device_model"):
        cur.warn("device_model_override", "device_model_override: given without "
                 "device_model_version", code="incomplete", at_key=True,
                 hint='add device_model_version = "qemu-xen"')


def optional_function(module: str, name: str) -> Any:
    """A function of a sibling module that may not exist yet in this build."""
    from importlib import import_module

    try:
        return getattr(import_module(module), name, None)
    except ImportError:
        return None
