"""vnuma specs: one [list] of ``key=value`` strings per virtual NUMA node::

    vnuma = [ [ "pnode=0", "size=512", "vcpus=0-1", "vdistances=10,20" ],
              [ "pnode=0", "size=512", "vcpus=2-3", "vdistances=20,10" ] ]

Keys: pnode (host node, < nr_nodes), size (MiB), vcpus (ranges "N" / "N-M"
joined by ','), vdistances (one per node).  Other keys and non-string items
are ignored by xl (warnings here).  Afterwards the node vcpus must add up to
``maxvcpus`` (or at most the host's CPUs when maxvcpus is unset) and the
sizes to ``maxmem`` when given.

:func:`parse_vnuma` is the pure parser; :func:`parse_vnuma_config` is the
hook ``settings.domain_rules.rule_vnuma`` calls with its Cursor.
"""

from __future__ import annotations

from typing import Any

from xl_py._record import Record, field
from xl_py.errors import ConfigValueError, Diagnostic, Source
from xl_py.model._base import MEMKB_DEFAULT, Bitmap, Defbool
from xl_py.settings._spec import ULONG_MAX, SpecSite, Token, strtok, strtoul
from xl_py.syntax.document import Atom, ListValue

KEYS = "pnode=, size=, vcpus=, vdistances="


class Vnode(Record):
    """One parsed node (the fields of libxl_vnode_info)."""

    memkb: int = MEMKB_DEFAULT  # no size=: libxl's init value
    distances: tuple[int, ...] = ()
    pnode: int = 0
    vcpus: frozenset[int] = frozenset()


class Vnuma(Record):
    nodes: tuple[Vnode, ...]
    vcpu_count: int  # what xl counts (every vcpu named, even out of range)
    memkb: int
    pnode_given: bool
    warnings: tuple[Diagnostic, ...] = field(default=())


def _ulong(value: Token, site: SpecSite, label: str) -> int:
    """xl's parse_ulong: a base-10 prefix, or an error."""
    number, used = strtoul(value.text, 10)
    if used == 0 or number == ULONG_MAX:
        raise site.error(f"{label}: '{value.text}' is not a number", value.start, value.end,
                         expected="a decimal number")
    if used != len(value.text):
        site.warn(f"{label}: junk after the number in '{value.text}'", value.start,
                  value.end)
    return number


def _range(item: Token, site: SpecSite) -> tuple[int, int]:
    """parse_range; xl ignores its failure and uses what it read (warned)."""
    text = item.text
    low, used = strtoul(text, 10)
    high, end, bad = low, used, used == 0
    if not bad and text[used:used + 1] == "-":
        high, more = strtoul(text[used + 1:], 10)
        end = used + 1 + more
        bad = more == 0 or high < low
    if bad or end != len(text):
        site.warn(f"vcpus: invalid range '{text}' (xl reads it as {low}-{high})",
                  item.start, item.end, expected="N or N-M")
    return low, high


def _option(node: dict[str, Any], atom: Atom, site: SpecSite, ctx: dict[str, int]) -> None:
    parts = strtok(atom.text, "=", skip_blanks=False)
    if len(parts) < 2:
        raise site.error(f"'{atom.text}' is not key=value", 0, len(atom.text), expected=KEYS)
    key = parts[0].strip()
    value = parts[1].strip()
    if key.text == "pnode":
        pnode = _ulong(value, site, "pnode")
        if pnode >= ctx["nr_nodes"]:
            raise site.error(f"invalid pnode {pnode}: the host has {ctx['nr_nodes']} "
                             "NUMA node(s)", value.start, value.end,
                             expected=f"0 to {ctx['nr_nodes'] - 1}")
        node["pnode"] = pnode
        node["pnode_given"] = True
    elif key.text == "size":
        node["memkb"] = (_ulong(value, site, "size") << 10) & ULONG_MAX
        node["total"] += node["memkb"]  # xl adds every size= given, even repeated ones
        if node["total"] != node["memkb"]:
            site.warn("size= given twice: xl counts both in the guest's memory",
                      key.start, value.end)
    elif key.text in ("vcpus", "vdistances") and not strtok(value.text, ",", skip_blanks=False):
        raise site.error(f"{key.text}: empty list (xl 4.17 crashes on it)", key.start,
                         value.end, expected="values separated by ','")
    elif key.text == "vcpus":
        for item in strtok(value.text, ",", skip_blanks=False):
            low, high = _range(Token(item.text, value.start + item.start), site)
            # counted, not walked: xl's loop over 0-2**64 never ends, ours must
            node["vcpus"].update(range(low, min(high + 1, ctx["bits"])))
            node["count"] += max(0, high - low + 1)
    elif key.text == "vdistances":
        items = strtok(value.text, ",", skip_blanks=False)
        if len(items) > ctx["nodes"]:
            site.warn(f"{len(items)} distances for {ctx['nodes']} nodes: xl writes the extra "
                      "ones past its array (ignored here)", value.start, value.end,
                      expected="one distance per vnuma node")
        dist = list(node["distances"])
        for index, item in enumerate(items):
            distance = _ulong(Token(item.text, value.start + item.start), site, "vdistances")
            if index < len(dist):
                dist[index] = distance & 0xFFFFFFFF
        node["distances"] = dist
    else:
        site.warn(f"unknown vnode option '{key.text}' (xl ignores it)", key.start, key.end,
                  expected=KEYS)


def parse_vnuma(value: ListValue, source: Source | None, nr_nodes: int,
                bitmap_bits: int) -> Vnuma:
    """The ``vnuma`` list -> nodes.  ``bitmap_bits``: the size of xl's vcpu
    bitmaps (bits past it are dropped, though still counted)."""
    warnings: list[Diagnostic] = []
    count = len(value.items)
    ctx = {"nr_nodes": nr_nodes, "bits": bitmap_bits, "nodes": count}
    nodes: list[Vnode] = []
    total_vcpus = total_mem = 0
    pnode_given = False
    for spec in value.items:
        if not isinstance(spec, ListValue):
            raise ConfigValueError.at("vnuma: each vnode must be a [list] of 'key=value'",
                                      source, spec.span[0], spec.span[1],
                                      expected="[ 'pnode=0', 'size=512', 'vcpus=0-1', ... ]")
        node: dict[str, Any] = {"vcpus": set(), "count": 0, "distances": [0] * count,
                                "total": 0}
        for atom in spec.items:
            if isinstance(atom, Atom):
                start = atom.span[0] + (1 if atom.quoted else 0)
                _option(node, atom, SpecSite(source, start, "vnuma", warnings), ctx)
        total_vcpus += node["count"]
        total_mem += node["total"]
        pnode_given = pnode_given or node.get("pnode_given", False)
        nodes.append(Vnode(memkb=node.get("memkb", MEMKB_DEFAULT),
                           distances=tuple(node["distances"]),
                           pnode=node.get("pnode", 0), vcpus=frozenset(node["vcpus"])))
    return Vnuma(tuple(nodes), total_vcpus, total_mem & ULONG_MAX, pnode_given,
                 tuple(warnings))


def parse_vnuma_config(cur: Any, key: Any) -> None:
    """Hook for settings.domain_rules.rule_vnuma: xl's parse_vnuma_config."""
    from xl_py.model.domain import VnodeInfo

    value = cur.value("vnuma")
    if not isinstance(value, ListValue) or not value.items:
        return
    max_vcpus = cur.get("b.max_vcpus", 0) or 0
    bits = max_vcpus if max_vcpus else cur.host.max_cpus
    try:
        vnuma = parse_vnuma(value, cur.source, cur.host.nr_nodes, ((bits + 7) // 8) * 8)
    except ConfigValueError as exc:
        cur.errors.extend(exc.diagnostics())
        return
    cur.warnings.extend(vnuma.warnings)
    if vnuma.pnode_given:
        cur.set("b.numa_placement", Defbool.FALSE)
    if max_vcpus:
        if max_vcpus != vnuma.vcpu_count:
            cur.errors.append(cur.diag("error", cur.span("vnuma"),
                              f"vnuma: the nodes have {vnuma.vcpu_count} vcpus but maxvcpus "
                              f"is {max_vcpus}", expected="vcpus= of the nodes adding up "
                              "to maxvcpus"))
            return
    elif cur.host.nr_cpus < vnuma.vcpu_count:
        cur.errors.append(cur.diag("error", cur.span("vnuma"),
                          f"vnuma: the nodes have {vnuma.vcpu_count} vcpus, more than the "
                          f"host's {cur.host.nr_cpus} CPUs",
                          hint="set maxvcpus= to override this check"))
        return
    else:
        cur.set("b.max_vcpus", vnuma.vcpu_count)
    max_memkb = cur.get("b.max_memkb", MEMKB_DEFAULT)
    if max_memkb != MEMKB_DEFAULT and max_memkb != vnuma.memkb:
        cur.errors.append(cur.diag("error", cur.span("vnuma"),
                          f"vnuma: the node sizes add up to {vnuma.memkb >> 10} MiB but "
                          f"maxmem is {max_memkb >> 10} MiB",
                          expected="size= of the nodes adding up to maxmem"))
        return
    cur.set("b.max_memkb", vnuma.memkb)
    cur.set("b.vnuma_nodes", tuple(
        VnodeInfo(memkb=n.memkb, distances=n.distances, pnode=n.pnode,
                  vcpus=Bitmap(n.vcpus)) for n in vnuma.nodes))
