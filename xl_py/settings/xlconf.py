"""/etc/xen/xl.conf: xl's global settings (same language as xl.cfg).

Only the settings that change what ``create`` builds live here; see
xl.conf(5).  ``XlConf()`` is what xl uses when the file is missing or empty.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class XlConf:
    autoballoon: str = "auto"  # "on" | "off" | "auto"
    run_hotplug_scripts: bool = True
    lockfile: str = "/var/lock/xl"
    default_vifscript: str | None = None  # vif.default.script
    default_bridge: str | None = None  # vif.default.bridge
    default_gatewaydev: str | None = None  # vif.default.gatewaydev
    default_vifbackend: str | None = None  # vif.default.backend
    default_remus_netbufscript: str | None = None
    default_colo_proxy_script: str | None = None
    output_format: str = "json"  # "json" | "sxp"
    blkdev_start: str | None = None
    claim_mode: bool | None = None  # None: xl's default (on)
    max_grant_frames: int | None = None
    max_maptrack_frames: int | None = None
    max_grant_version: int | None = None
    global_vm_affinity_mask: str | None = None  # vm.cpumask
    global_hvm_affinity_mask: str | None = None  # vm.hvm.cpumask
    global_pv_affinity_mask: str | None = None  # vm.pv.cpumask
