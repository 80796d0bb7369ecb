"""The domain model against Xen 4.17's libxl_types.idl (records: tests/test_record.py)."""

from __future__ import annotations

import pytest

from xl_py._record import FrozenInstanceError, fields, replace
from xl_py.model._base import MEMKB_DEFAULT, Defbool
from xl_py.model.domain import (
    DomainBuildInfo,
    DomainConfig,
    DomainCreateInfo,
    DomainSchedParams,
    HvmInfo,
    PvhInfo,
    PvInfo,
    info_for_type,
)
from xl_py.model.enums import ActionOnShutdown, DomainType, TimerMode

# field order copied from libxl_types.idl (RELEASE-4.17.0..4.17.7 agree)
IDL = {
    DomainCreateInfo: "type hap oos ssidref ssid_label name domid uuid xsdata platformdata "
    "poolid pool_name run_hotplug_scripts driver_domain passthrough "
    "xend_suspend_evtchn_compat",
    DomainSchedParams: "sched weight cap period budget extratime slice latency",
    DomainBuildInfo: "max_vcpus avail_vcpus cpumap nodemap vcpu_hard_affinity "
    "vcpu_soft_affinity numa_placement tsc_mode max_memkb target_memkb video_memkb "
    "shadow_memkb iommu_memkb rtc_timeoffset exec_ssidref exec_ssid_label localtime "
    "disable_migrate cpuid blkdev_start vnuma_nodes max_grant_frames max_maptrack_frames "
    "max_grant_version device_model_version device_model_stubdomain stubdomain_memkb "
    "stubdomain_kernel stubdomain_cmdline stubdomain_ramdisk device_model "
    "device_model_ssidref device_model_ssid_label device_model_user extra extra_pv "
    "extra_hvm sched_params ioports irqs iomem claim_mode event_channels kernel cmdline "
    "ramdisk device_tree acpi bootloader bootloader_args timer_mode nested_hvm apic "
    "dm_restrict tee u arch_arm arch_x86 altp2m vmtrace_buf_kb vpmu",
    HvmInfo: "firmware bios pae apic acpi acpi_s3 acpi_s4 acpi_laptop_slate nx viridian "
    "viridian_enable viridian_disable timeoffset hpet vpt_align mmio_hole_memkb timer_mode "
    "nested_hvm altp2m system_firmware smbios_firmware acpi_firmware hdtype nographic vga "
    "vnc keymap sdl spice gfx_passthru gfx_passthru_kind serial boot usb usbversion "
    "usbdevice vkb_device soundhw xen_platform_pci usbdevice_list vendor_device "
    "ms_vm_genid serial_list rdm rdm_mem_boundary_memkb mca_caps",
    PvInfo: "kernel slack_memkb bootloader bootloader_args cmdline ramdisk e820_host",
    PvhInfo: "pvshim pvshim_path pvshim_cmdline pvshim_extra",
    DomainConfig: "c_info b_info disks nics pcidevs rdms dtdevs vfbs vkbs vtpms p9s "
    "pvcallsifs vdispls vsnds channels usbctrls usbdevs on_poweroff on_reboot on_watchdog "
    "on_crash on_soft_reset",
}


@pytest.mark.parametrize("cls", list(IDL), ids=lambda c: c.__name__)
def test_field_order_is_the_idls(cls: type) -> None:
    assert [f.name for f in fields(cls)] == IDL[cls].split()


def test_init_values() -> None:
    b = DomainBuildInfo()
    assert (b.max_memkb, b.target_memkb, b.video_memkb) == (MEMKB_DEFAULT,) * 3
    assert b.timer_mode is TimerMode.UNKNOWN  # LIBXL_TIMER_MODE_DEFAULT (-1)
    assert b.sched_params.weight == -1 and b.max_grant_frames == 0xFFFFFFFF
    assert DomainCreateInfo().type is DomainType.INVALID
    assert DomainConfig().on_reboot is ActionOnShutdown.DESTROY
    assert HvmInfo().mmio_hole_memkb == MEMKB_DEFAULT


def test_union_member_per_type() -> None:
    assert isinstance(info_for_type(DomainType.HVM), HvmInfo)
    assert DomainBuildInfo(u=PvhInfo()).type is DomainType.PVH
    assert info_for_type(DomainType.INVALID) is None


def test_models_are_frozen_and_compare_by_value() -> None:
    c = DomainCreateInfo(name="a", hap=Defbool.TRUE)
    with pytest.raises(FrozenInstanceError):
        c.name = "b"  # type: ignore[misc]
    assert c == DomainCreateInfo(name="a", hap=Defbool.TRUE)
    assert hash(c) == hash(DomainCreateInfo(name="a", hap=Defbool.TRUE))
    assert replace(c, name="b").name == "b"
