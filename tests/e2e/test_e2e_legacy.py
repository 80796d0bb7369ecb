"""A legacy xm config of the RHEL 5 kind on the real hypervisor.

``xl-py migrate-config`` runs in dom0 on an xm file that uses the xmexample
idioms (``import os``, ``os.uname()``, string arithmetic), a ``tap:aio:`` disk,
a vif without ``mac=`` (``--fixed-macs``), ``vcpu_avail`` and no ``on_crash``
(xend's default was restart).  The result boots under the reference ``xl``, under
``xl-py``, and -- as libvirt domain XML (``--to libvirt``) -- under libvirtd
(``virsh create``); inside the guest the disk, the pinned MAC, the vCPU count
and the kernel command line are what the xm file meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lanelib import (
    GUEST_KERNEL,
    GUEST_RAMDISK,
    SCRATCH,
    XL,
    Toolstack,
    destroy_quietly,
    libvirtd_down,
    must,
    sh,
    toolstacks,
    wait_console,
    xl_list_long,
)

XM = """\
# {name}: a RHEL 5 guest, as xm knew it
import os, re
arch = os.uname()[4]
if re.search('64', arch):
    arch_libdir = 'lib64'
else:
    arch_libdir = 'lib'
name = "{name}"
kernel = "{kernel}"
ramdisk = "{ramdisk}"
memory = 128
maxmem = 256
vcpus = 2
vcpu_avail = 1
cpu_weight = 512
extra = "console=hvc0 rdinit=/init " + "lane_ip=10.99.0.%d/24 lane_ping=10.99.0.1" % {ip}
disk = [ 'tap:aio:{image},xvda,w' ]
vif = [ 'bridge=xenbr0' ]
on_poweroff = 'destroy'
on_reboot = 'restart'
"""

#: how the migrated guest is started: a toolstack on the xl.cfg, or virsh on the XML
STARTERS = [s.name for s in toolstacks()] + ["virsh"]


@pytest.fixture(params=STARTERS)
def starter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def legacy(starter: str, bridge: str) -> Iterator[tuple[str, Path, int]]:
    index = STARTERS.index(starter)
    name = f"legacy-{re.sub(r'[^a-z0-9]+', '-', starter)}"
    image = SCRATCH / f"{name}.img"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"LANELEGACYDISK01" + bytes(8 * 1024 * 1024 - 16))
    src = SCRATCH / "legacy" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    # --to libvirt leaves the raw file's backend to libxl, as xl does (a loop device;
    # libvirt's own converter would pin qdisk, which the lane's dom0 does not run)
    src.write_text(XM.format(name=name, kernel=GUEST_KERNEL, ramdisk=GUEST_RAMDISK,
                             image=image, ip=40 + index))
    destroy_quietly(name)
    yield name, src, 40 + index
    destroy_quietly(name)


def _toolstack(name: str) -> Toolstack:
    return next(s for s in toolstacks() if s.name == name)


def test_migrated_xm_config_boots_as_xend_meant(starter: str,
                                                 legacy: tuple[str, Path, int]) -> None:
    name, src, ip = legacy
    target = "libvirt" if starter == "virsh" else "xl"
    if starter == "virsh" and libvirtd_down():
        pytest.skip(str(libvirtd_down()))
    converted = must(sh(["xl-py", "migrate-config", "--fixed-macs", "--to", target, str(src)],
                        timeout=120))
    report = converted.err
    mac = re.search(r"vif 0: mac=(00:16:3e:[0-9a-f:]{8})", report)
    assert mac, report
    assert "changed: disk -> disk: 'tap:aio:' prefix -> format=raw" in report, report
    out = src.with_suffix(".xml" if target == "libvirt" else ".cfg")
    out.write_text(converted.out)
    if starter == "virsh":
        must(sh(["virsh", "-c", "xen:///system", "create", str(out)], timeout=240))
    else:
        tool = _toolstack(starter)
        tool.require("create")
        tool.ok("create", str(out), timeout=240)
    up = wait_console(name, r"LANE-GUEST-UP [^\n]*", timeout=180).group()
    assert f"lane_ip=10.99.0.{ip}/24" in up  # extra= built from Python arithmetic
    wait_console(name, r"LANE-GUEST-DISK xvda \d+ LANELEGACYDISK01", timeout=60)
    wait_console(name, rf"LANE-GUEST-NIC eth0 {mac.group(1)}", timeout=60)
    wait_console(name, r"LANE-GUEST-PING-OK", timeout=60)
    wait_console(name, r"LANE-GUEST-VCPUS 1\b", timeout=60)  # vcpu_avail = 1 of vcpus = 2
    info = xl_list_long(name, XL)[0]
    config = info["config"]
    assert isinstance(config, dict)
    b_info, c_info = config["b_info"], config["c_info"]
    assert (b_info["max_vcpus"], b_info["max_memkb"], b_info["target_memkb"]) == (
        2, 256 * 1024, 128 * 1024), json.dumps(b_info)
    assert c_info["name"] == name
    assert config.get("on_crash") == "restart", json.dumps(config)  # xend's default
