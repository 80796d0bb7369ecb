"""Schedulers and cpupools through libxenlight's JSON entry points (xl_sched.c's calls).

A domain's parameters go out with ``libxl_domain_sched_params_from_json`` and
``libxl_domain_sched_params_set``; a pool's scheduler-wide parameters are read
with ``libxl_sched_<credit|credit2>_params_get`` + ``_to_json`` and written
back with ``_from_json`` + ``_set``.  Pools are the ids xen-init-dom0 and
``libxl_cpupool_create`` record under ``/local/pool`` (plus pool 0), each
confirmed and described by ``libxl_cpupool_info`` + ``libxl_cpupoolinfo_to_json``:
no libxl struct layout is copied here.  The functions take the
:class:`~xl_py.backends.libxl.LibxlBackend` whose methods call them.
"""

from __future__ import annotations

import ctypes
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from xl_py.backends.base import CpupoolInfo, SchedParams
from xl_py.errors import OperationError

if TYPE_CHECKING:
    from xl_py.backends.libxl import LibxlBackend

_vp, _u32, _i32, _cp = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_char_p

#: libxl schedulers whose scheduler-wide parameters xl reads and sets (sched-credit -s,
#: sched-credit2 -s); each has libxl_sched_<name>_params_{init,get,set,to_json,from_json}
POOL_SCHEDULERS = ("credit", "credit2")
POOL_PARAMS_BUFFER = 256  # bytes; libxl_sched_credit_params is three ints

SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "libxl_domain_sched_params_set": (_i32, (_vp, _u32, _vp)),
    "libxl_domain_sched_params_from_json": (_i32, (_vp, _vp, _cp)),
    "libxl_cpupool_info": (_i32, (_vp, _vp, _u32)),
    "libxl_cpupoolinfo_init": (None, (_vp,)),
    "libxl_cpupoolinfo_dispose": (None, (_vp,)),
    "libxl_cpupoolinfo_to_json": (_vp, (_vp, _vp)),
    **{f"libxl_sched_{s}_params_{op}": sig for s in POOL_SCHEDULERS for op, sig in (
        ("init", (None, (_vp,))), ("get", (_i32, (_vp, _u32, _vp))),
        ("set", (_i32, (_vp, _u32, _vp))), ("to_json", (_vp, (_vp, _vp))),
        ("from_json", (_i32, (_vp, _vp, _cp))))},
}


def _known(sched: str) -> str:
    if sched not in POOL_SCHEDULERS:
        raise OperationError(f"xl-py has no scheduler-wide parameters for '{sched}'")
    return sched


def cpupools(be: LibxlBackend) -> tuple[CpupoolInfo, ...]:
    """Every cpupool, by id (libxl_list_cpupool's answer, without its bare array)."""
    ids = {0} | {int(p) for p in be.xs.xs.directory("/local/pool") if p.isdigit()}
    out = []
    for poolid in sorted(ids):
        with be._struct("cpupoolinfo") as buf:
            if be.lib.libxl_cpupool_info(be.ctx, buf, poolid):
                continue  # a stale xenstore entry: the hypervisor has no such pool
            info = be._json(be.lib.libxl_cpupoolinfo_to_json(be.ctx, buf))
        out.append(CpupoolInfo(poolid=poolid, name=str(info.get("pool_name") or ""),
                               sched=str(info.get("sched") or "unknown")))
    return tuple(out)


def domain_sched_params(be: LibxlBackend, domid: int) -> SchedParams:
    with be._struct("domain_sched_params") as buf:
        if be.lib.libxl_domain_sched_params_get(be.ctx, domid, buf):
            be._dominfo(domid)  # DomainNotFound when it is gone
            raise OperationError("libxl_domain_sched_params_get failed.")
        params = be._json(be.lib.libxl_domain_sched_params_to_json(be.ctx, buf))
    return SchedParams(sched=str(params.get("sched") or "unknown"),
                       weight=int(params.get("weight", -1)), cap=int(params.get("cap", -1)))


def set_domain_sched_params(be: LibxlBackend, domid: int, params: SchedParams) -> None:
    """libxl_domain_sched_params_set; fields left at -1 keep their value."""
    be._dominfo(domid)
    fields = {"sched": params.sched, "weight": params.weight, "cap": params.cap}
    text = json.dumps({k: v for k, v in fields.items() if v != -1}).encode()
    with be._struct("domain_sched_params") as buf:
        if be.lib.libxl_domain_sched_params_from_json(be.ctx, buf, text):
            raise OperationError(f"libxl rejected the scheduler parameters {text.decode()}")
        if be.lib.libxl_domain_sched_params_set(be.ctx, domid, buf):
            raise OperationError("libxl_domain_sched_params_set failed.")


@contextmanager
def _pool_params(be: LibxlBackend, sched: str) -> Iterator[ctypes.Array[ctypes.c_char]]:
    """An initialised libxl_sched_<sched>_params (the IDL gives it no dispose)."""
    buf = ctypes.create_string_buffer(POOL_PARAMS_BUFFER)
    getattr(be.lib, f"libxl_sched_{_known(sched)}_params_init")(buf)
    yield buf


def pool_sched_params(be: LibxlBackend, poolid: int, sched: str) -> dict[str, int]:
    with _pool_params(be, sched) as buf:
        if getattr(be.lib, f"libxl_sched_{sched}_params_get")(be.ctx, poolid, buf):
            raise OperationError(f"libxl_sched_{sched}_params_get failed.")
        data = be._json(getattr(be.lib, f"libxl_sched_{sched}_params_to_json")(be.ctx, buf))
    return {str(k): int(v) for k, v in data.items()}


def set_pool_sched_params(be: LibxlBackend, poolid: int, sched: str,
                          values: Mapping[str, int]) -> None:
    """Read the pool's parameters, change ``values``, write them back (xl's -s -t/-r/-m)."""
    current = pool_sched_params(be, poolid, sched)
    text = json.dumps({**current, **values}).encode()
    with _pool_params(be, sched) as buf:
        if getattr(be.lib, f"libxl_sched_{sched}_params_from_json")(be.ctx, buf, text):
            raise OperationError(f"libxl rejected the scheduler parameters {text.decode()}")
        if getattr(be.lib, f"libxl_sched_{sched}_params_set")(be.ctx, poolid, buf):
            raise OperationError(f"libxl_sched_{sched}_params_set failed.")


def domain_cpupool(info: Mapping[str, Any]) -> int:
    """libxl_dominfo's cpupool (0, the default, is left out of its JSON)."""
    value = info.get("cpupool")
    return 0 if value is None else int(value)

