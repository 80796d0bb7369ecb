"""``xl-py vm-list``: guests with a UUID, dom0 excluded (xl_info.c list_vm)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xl_py.cli.commands._runtime import JSON_OPT, backend, options, print_json

if TYPE_CHECKING:
    from xl_py.cli.context import Context

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def run(ctx: Context, argv: list[str]) -> int:
    opts = options(ctx, argv, (JSON_OPT,), nargs=0)
    vms = [d for d in backend(ctx).list_domains() if d.domid != 0 and d.uuid != ZERO_UUID]
    if opts.flag("json"):
        print_json(ctx, [{"uuid": d.uuid, "domid": d.domid, "name": d.name} for d in vms])
        return 0
    lines = ["UUID                                  ID    name"]
    lines += [f"{d.uuid}  {d.domid}    {d.name:<30}" for d in vms]
    ctx.out("\n".join(lines))
    return 0
