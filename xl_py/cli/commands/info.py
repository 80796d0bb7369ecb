"""``xl-py info [-n] [--json]``: host facts in xl's ``key : value`` layout (xl_info.c)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, options, print_json
from xl_py.cli.opts import Opt

if TYPE_CHECKING:
    from xl_py.backends.base import PhysInfo
    from xl_py.cli.context import Context


NODE_KEYS = ("host", "release", "version", "machine")


def node_rows(extra: dict[str, str]) -> list[tuple[str, str]]:
    """xl's first four lines: this machine's uname, unless the backend speaks for
    another host (libvirt with a remote URI); taken out of ``extra``."""
    u = os.uname()
    local = dict(zip(NODE_KEYS, (u.nodename, u.release, u.version, u.machine), strict=True))
    return [(key, extra.pop(key, "") or local[key]) for key in NODE_KEYS]


def phys_rows(p: PhysInfo) -> list[tuple[str, str]]:
    rows = [
        ("nr_cpus", str(p.nr_cpus)), ("max_cpu_id", str(p.max_cpu_id)),
        ("nr_nodes", str(p.nr_nodes)), ("cores_per_socket", str(p.cores_per_socket)),
        ("threads_per_core", str(p.threads_per_core)),
        ("cpu_mhz", f"{p.cpu_khz // 1000}.{p.cpu_khz % 1000:03d}"),
        ("total_memory", str(p.total_memkb // 1024)), ("free_memory", str(p.free_memkb // 1024)),
    ]
    if p.xen_major is not None:
        rows += [("xen_major", str(p.xen_major)), ("xen_minor", str(p.xen_minor)),
                 ("xen_extra", p.xen_extra),
                 ("xen_version", f"{p.xen_major}.{p.xen_minor}{p.xen_extra}"),
                 ("xen_caps", p.xen_caps)]
        if p.xen_scheduler:
            rows.append(("xen_scheduler", p.xen_scheduler))
    return rows


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (Opt("numa", "n", "numa"), JSON_OPT), nargs=0)
    p = backend(ctx).physinfo()
    extra = dict(p.extra)
    node = node_rows(extra)
    if opts.flag("json"):
        print_json(ctx, {**dict(node), **p.to_json()})
        return 0
    rows = [*node, *phys_rows(p), *extra.items(), ("xend_config_format", "4")]
    ctx.out("\n".join(f"{k:<23}: {v}" for k, v in rows))
    return 0
