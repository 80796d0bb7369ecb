"""Write a domain's xenstore nodes the way libxl does (tests and the bench).

libxl__domain_make writes the skeleton in one transaction (dom path, /vm/<uuid>,
/libxl/<domid>); libxl__build_post adds name, domid, memory, cpu availability,
console and store nodes.  This helper writes the same layout through our
client, so the backend is exercised against what a real toolstack leaves.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from dataclasses import dataclass

from xl_py.backends.xsclient import XsClient


@dataclass(frozen=True)
class Dom:
    domid: int
    name: str
    memory_mb: int = 512
    maxmem_mb: int = 1024
    vcpus: int = 2
    max_vcpus: int = 4
    type: str = "pv"
    uuid: str = ""
    start_time: float = 0.0
    vifs: tuple[str, ...] = ()


def _nodes(d: Dom) -> list[tuple[str, str]]:
    uuid = d.uuid or str(uuidlib.UUID(int=d.domid + 0x1000))
    dom = f"/local/domain/{d.domid}"
    vm = f"/vm/{uuid}"
    out = [
        (f"{dom}/vm", vm), (f"{dom}/name", d.name), (f"{dom}/domid", str(d.domid)),
        (f"{dom}/memory/static-max", str(d.maxmem_mb * 1024)),
        (f"{dom}/memory/target", str(d.memory_mb * 1024)),
        (f"{dom}/memory/videoram", "8192" if d.type == "hvm" else "0"),
        (f"{dom}/control/shutdown", ""),
        (f"{dom}/control/feature-poweroff", "1" if d.type != "hvm" else ""),
        (f"{dom}/control/feature-reboot", "1" if d.type != "hvm" else ""),
        (f"{dom}/control/platform-feature-multiprocessor-suspend", "1"),
        (f"{dom}/control/platform-feature-xs_reset_watches", "1"),
        (f"{dom}/store/port", "1"), (f"{dom}/store/ring-ref", "1044476"),
        (f"{dom}/console/port", "2"), (f"{dom}/console/ring-ref", "1044475"),
        (f"{dom}/console/limit", "1048576"), (f"{dom}/console/type", "xenconsoled"),
        (f"{dom}/console/tty", f"/dev/pts/{d.domid + 10}"),
        (f"{dom}/data", ""), (f"{dom}/drivers", ""), (f"{dom}/feature", ""),
        (f"{dom}/attr", ""), (f"{dom}/error", ""),
        (f"{vm}/uuid", uuid), (f"{vm}/name", d.name),
        (f"{vm}/start_time", f"{d.start_time or time.time():.2f}"),
        (f"{vm}/image/ostype", "linux" if d.type != "hvm" else "hvm"),
        (f"/libxl/{d.domid}/type", d.type), (f"/libxl/{d.domid}/dm-version", "qemu_xen"),
    ]
    out += [(f"{dom}/cpu/{i}/availability", "online" if i < d.vcpus else "offline")
            for i in range(d.max_vcpus)]
    for devid, mac in enumerate(d.vifs):
        back = f"/local/domain/0/backend/vif/{d.domid}/{devid}"
        front = f"{dom}/device/vif/{devid}"
        out += [(f"{back}/frontend", front), (f"{back}/frontend-id", str(d.domid)),
                (f"{back}/mac", mac), (f"{back}/bridge", "xenbr0"), (f"{back}/state", "4"),
                (f"{back}/handle", str(devid)), (f"{back}/online", "1"),
                (f"{front}/backend", back), (f"{front}/backend-id", "0"),
                (f"{front}/mac", mac), (f"{front}/handle", str(devid)),
                (f"{front}/state", "4"), (f"{front}/event-channel", str(20 + devid)),
                (f"{front}/tx-ring-ref", str(8 + 2 * devid)),
                (f"{front}/rx-ring-ref", str(9 + 2 * devid)),
                (f"/libxl/{d.domid}/device/vif/{devid}/frontend", front),
                (f"/libxl/{d.domid}/device/vif/{devid}/backend", back)]
    return out


def add_domain(xs: XsClient, d: Dom) -> None:
    """One transaction per domain, as libxl__domain_make does."""
    def body(c: XsClient) -> None:
        dom = f"/local/domain/{d.domid}"
        c.rm(dom)
        c.mkdir(dom)
        c.set_perms(dom, ["n0", f"r{d.domid}"])
        c.write_many(_nodes(d))

    xs.transaction(body)


def add_dom0(xs: XsClient, memory_mb: int = 2048) -> None:
    xs.write_many([("/local/domain/0/name", "Domain-0"), ("/local/domain/0/domid", "0"),
                   ("/local/domain/0/memory/target", str(memory_mb * 1024)),
                   ("/local/domain/0/memory/static-max", str(memory_mb * 1024)),
                   ("/local/domain/0/cpu/0/availability", "online"),
                   ("/local/domain/0/cpu/1/availability", "online")])


def clear(xs: XsClient) -> None:
    for top in ("/local/domain", "/vm", "/libxl"):
        xs.rm(top)


def introduce(xs: XsClient, domid: int) -> None:
    """XS_INTRODUCE the domain (what libxl does once the domain is built).

    The C xenstored refuses nodes owned by a domain it does not know; the
    reference harness's stand-in answers the ring mapping this needs."""
    from xl_py.backends import xsclient

    if xs.request(17, f"{domid}\0".encode()).rstrip(b"\0") == b"T":  # IS_DOMAIN_INTRODUCED
        return
    xs.request(xsclient.INTRODUCE, f"{domid}\0{0x12345000 + domid}\0{5 + domid}\0".encode())
