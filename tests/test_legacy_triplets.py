"""One guest, every legacy form an admin of a RHEL 5 / CentOS 5 host may hold:
the xm config (``/etc/xen/NAME``), ``xm create --dryrun`` (``(vm ...)``), xend's
managed ``config.sxp`` (``(domain ...)`` with runtime state), ``virsh dumpxml`` of
libvirt 0.8's xen driver and libvirt 9's XML.  ``migrate-config --to json`` of
each form must mean what the xm config means (the libxl domain configuration xl
would create), apart from the differences listed per form with the reason: the
information really differs in the source.  Each migrated xl.cfg is also fed to
the real ``xl -N create``.  The forms: tests/data/triplets/GUEST/README.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from xl_py.cli.context import Context
from xl_py.cli.main import run as cli_run

DATA = Path(__file__).resolve().parent / "data" / "triplets"

# reasons shared by several forms
MAC = "xend drew a MAC at the first start and the running forms record it; the xm " \
      "config names none (migrate-config reports it and --fixed-macs can pin one)"
Q = "xm create wrote bootloader_args -q when bootargs was unset (create.py " \
    "make_config); the SXP says -q, which cannot be told from an admin's own -q"
CREDIT = "xend recorded its scheduler defaults (weight 256, cap 0): the credit " \
         "scheduler's defaults, so the same"
LOCALTIME = "libvirt's writer always writes localtime= from <clock>: 0 is xl's default"
SCRIPT = "libvirt's writer writes script=vif-bridge for a bridge; it is xl's default script"
RUN_SCRIPT = "xend recorded the vif script it took from xend-config.sxp (vif-bridge), " \
             "with its full path: the same script"
VIRIDIAN = "libvirt's writer always writes viridian= from <features>: 0 is xl's default"
USB = "libvirt's writer writes usb=1 with usbdevice=; libxl starts the USB bus for a " \
      "usbdevice anyway (libxl_dm.c)"
OLD_CPUTUNE = "libvirt 0.8's xen driver put no scheduler parameters in the XML " \
              "(no <cputune>): the cap and weight are not in this source"
QDISK = "libvirt 9's <driver name='file' type='raw'/> is qdisk in its libxl driver " \
        "(libxlMakeDisk) and in its xen-xl writer; the xm file: prefix leaves libxl " \
        "its choice: the same image, another backend"
NFS_DUMMY = "the NFS-server field of ip= is a placeholder xend filled in: 1.2.3.4 up to " \
            "Xen 3.2 (this dryrun), 127.0.255.255 from 3.3 (what the xm path writes); " \
            "the kernel reads it only for an NFS root"
ONE_VCPU = "the running form records vcpus 1, xl's default"
UUID = "the xm config has no uuid (each migration draws one); xend assigned this one " \
       "at the first start and the running forms record it"
NEW_UUID = "neither form has a uuid: each migration draws one"
SDL = "libvirt's writer always writes sdl=0: xl's default"
PAE = "libvirt's writer writes pae=1 from <pae/>; xm's and xl's default is pae=1"
OLD_IP = "libvirt 0.8 read no (ip ...) from xend (only kernel, ramdisk, args, root): " \
         "the ip= part of the command line is not in this source"
NO_CAP = "libvirt's XML has no Xen cap (its libxl driver sets only the weight, from " \
         "<shares>): the cap is not in this source"
XEND4_DEFAULTS = "xend 4 wrote its platform defaults into config.sxp (localtime 0, pae 1, " \
                 "hap 1, timer_mode 1, xen_platform_pci 1): the same as xl's defaults"
HPET = "xend 4 gave HVM guests no HPET unless hpet=1 and its SXP forms write hpet 0; the " \
       "xm config cannot say which xend ran it (the xm migration reports a decision on hpet)"
XM44_DEFAULTS = "xm create 4.4 wrote every HVM default out (nestedhvm 0, nographic 0, " \
                "timer_mode 1, viridian 0, vpt_align 1, xen_platform_pci 1, hap 1, oos 1): " \
                "xl's defaults too"
USB0 = "xm create 4.4 wrote usb 0 beside usbdevice; libxl starts the USB bus for a " \
       "usbdevice anyway (libxl_dm.c), as xend's qemu-dm did"
SDL_XM = "the xm config says sdl = 0 (xl writes sdl enable False); the running form " \
         "records no sdl, xl's default"

# GUEST -> (the xm config, {other form: {differing JSON path: reason}})
GUESTS: dict[str, tuple[str, dict[str, dict[str, str]]]] = {
    "pv-pygrub": ("web5.xm", {
        "web5.vm.sxp": {"b_info/bootloader_args/0": Q},
        "web5.config.sxp": {"b_info/bootloader_args/0": Q, "nics/0/mac": MAC,
                            "b_info/sched_params": CREDIT, "b_info/sched_params/cap": CREDIT,
                            "b_info/sched_params/weight": CREDIT},
        "web5.libvirt08.xml": {"b_info/bootloader_args/0": Q, "nics/0/mac": MAC,
                               "b_info/localtime": LOCALTIME},
        "web5.libvirt9.xml": {"b_info/bootloader_args/0": Q, "nics/0/mac": MAC,
                              "b_info/localtime": LOCALTIME},
    }),
    "pv-kernel": ("db3.xm", {
        "db3.vm.sxp": {"b_info/cmdline": NFS_DUMMY},
        "db3.libvirt08.xml": {"b_info/cmdline": OLD_IP, "nics/0/script": SCRIPT,
                              "b_info/localtime": LOCALTIME},
        "db3.libvirt9.xml": {"nics/0/script": SCRIPT, "b_info/localtime": LOCALTIME},
    }),
    "hvm-tablet": ("win7.xm", {
        "win7.vm.sxp": {},
        "win7.vm44.sxp": {"b_info/nested_hvm": XM44_DEFAULTS,
                          "b_info/type.hvm/nographic": XM44_DEFAULTS,
                          "b_info/timer_mode": XM44_DEFAULTS,
                          "b_info/type.hvm/viridian": XM44_DEFAULTS,
                          "b_info/type.hvm/vpt_align": XM44_DEFAULTS,
                          "b_info/type.hvm/xen_platform_pci": XM44_DEFAULTS,
                          "c_info/hap": XM44_DEFAULTS, "c_info/oos": XM44_DEFAULTS,
                          "b_info/type.hvm/hpet": HPET, "b_info/type.hvm/usb": USB0},
        "win7.config.sxp": {"b_info/sched_params": CREDIT, "b_info/sched_params/cap": CREDIT,
                            "b_info/sched_params/weight": CREDIT, "b_info/type.hvm/sdl": SDL_XM,
                            "b_info/type.hvm/sdl/enable": SDL_XM},
        "win7.libvirt08.xml": {"b_info/type.hvm/usb": USB,
                               "b_info/type.hvm/viridian": VIRIDIAN},
        "win7.libvirt9.xml": {"b_info/type.hvm/usb": USB, "b_info/type.hvm/viridian": VIRIDIAN,
                              "disks/2/backend": QDISK},
    }),
    "hvm-pci": ("nas1.xm", {
        "nas1.vm.sxp": {},
        "nas1.config.sxp": {"nics/0/script": RUN_SCRIPT, "b_info/sched_params": CREDIT,
                            "b_info/sched_params/cap": CREDIT,
                            "b_info/sched_params/weight": CREDIT,
                            "b_info/localtime": XEND4_DEFAULTS, "b_info/timer_mode": XEND4_DEFAULTS,
                            "b_info/type.hvm/pae": XEND4_DEFAULTS, "c_info/hap": XEND4_DEFAULTS,
                            "b_info/type.hvm/xen_platform_pci": XEND4_DEFAULTS,
                            "b_info/type.hvm/hpet": HPET},
        "nas1.libvirt9.xml": {"nics/0/script": SCRIPT, "b_info/localtime": LOCALTIME,
                              "b_info/type.hvm/viridian": VIRIDIAN,
                              "b_info/type.hvm/sdl": SDL, "b_info/type.hvm/sdl/enable": SDL,
                              "b_info/type.hvm/pae": PAE},
    }),
    "pv-vcpus": ("build2.xm", {
        "build2.vm.sxp": {},
        "build2.config.sxp": {"nics/0/script": RUN_SCRIPT},
        "build2.libvirt08.xml": {"nics/0/script": RUN_SCRIPT, "b_info/localtime": LOCALTIME,
                                 "b_info/sched_params": OLD_CPUTUNE,
                                 "b_info/sched_params/cap": OLD_CPUTUNE,
                                 "b_info/sched_params/weight": OLD_CPUTUNE},
        "build2.libvirt9.xml": {"nics/0/script": SCRIPT, "b_info/localtime": LOCALTIME,
                                "b_info/sched_params/cap": NO_CAP},
    }),
    "minimal": ("tiny.xm", {
        "tiny.vm.sxp": {"c_info/uuid": NEW_UUID},
        "tiny.config.sxp": {"c_info/uuid": UUID, "b_info/max_vcpus": ONE_VCPU,
                            "b_info/avail_vcpus/0": ONE_VCPU, "b_info/sched_params": CREDIT,
                            "b_info/sched_params/cap": CREDIT,
                            "b_info/sched_params/weight": CREDIT},
        "tiny.libvirt08.xml": {"c_info/uuid": UUID, "b_info/max_vcpus": ONE_VCPU,
                               "b_info/avail_vcpus/0": ONE_VCPU,
                               "b_info/localtime": LOCALTIME},
    }),
}

FORMS = [(guest, form) for guest, (xm, others) in GUESTS.items() for form in [xm, *others]]


def migrate(path: Path, to: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli_run(["migrate-config", "--to", to, str(path)], Context(stdout=out, stderr=err))
    assert rc == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


def flat(value: Any, path: str = "") -> dict[str, Any]:
    """libxl JSON as {"b_info/sched_params/cap": 0, ...}; empty objects kept as {}."""
    if isinstance(value, dict | list):
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        out: dict[str, Any] = {}
        for key, sub in pairs:
            out.update(flat(sub, f"{path}/{key}" if path else str(key)))
        return out or {path: value}
    return {path: value}


def meaning(path: Path) -> dict[str, Any]:
    return flat(json.loads(migrate(path, "json")[0]))


def test_every_form_is_listed() -> None:
    on_disk = {(p.parent.name, p.name) for p in DATA.glob("*/*") if p.name != "README"}
    assert on_disk == set(FORMS)
    for guest in GUESTS:
        readme = (DATA / guest / "README").read_text()
        for _, form in [f for f in FORMS if f[0] == guest]:
            assert f"{form}: " in readme, f"{guest}/README does not describe {form}"


@pytest.mark.parametrize(("guest", "form"), [(g, f) for g, (_, o) in GUESTS.items() for f in o])
def test_every_form_means_the_xm_guest(guest: str, form: str) -> None:
    xm, others = GUESTS[guest]
    want, got = meaning(DATA / guest / xm), meaning(DATA / guest / form)
    differ = {k for k in want.keys() | got.keys() if want.get(k) != got.get(k)}
    assert {k: (want.get(k), got.get(k)) for k in sorted(differ - others[form].keys())} == {}
    assert sorted(others[form].keys() - differ) == []  # a listed difference that is gone


@pytest.mark.reference
@pytest.mark.parametrize(("guest", "form"), FORMS)
def test_reference_xl_creates_every_migrated_form(guest: str, form: str, reference: Any,
                                                  tmp_path: Path) -> None:
    cfg = tmp_path / f"{form}.cfg"
    cfg.write_text(migrate(DATA / guest / form, "xl")[0])
    res = reference.xl_dryrun(cfg)
    warnings = [line for line in res.stderr.splitlines() if not line.startswith("Parsing config")]
    assert (res.rc, warnings) == (0, [])
    got = flat(json.loads(res.stdout))
    ours = meaning(DATA / guest / form)
    uuid = set() if "uuid" in (DATA / guest / form).read_text() else {"c_info/uuid"}  # drawn
    assert {k: v for k, v in got.items() if k not in uuid} == \
        {k: v for k, v in ours.items() if k not in uuid}


# ---- the bugs the triplets found, one message each

def report_line(path: Path, key: str) -> str:
    lines = [line for line in migrate(path, "xl")[1].splitlines()
             if f": {key}:" in line or f": {key} ->" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_rhel5_pygrub_copies_in_var_lib_xen_are_dropped() -> None:
    """Xen 3.0's pygrub (RHEL 5) left /var/lib/xen/vmlinuz.XXXXXX in config.sxp: xl
    would hand it to pygrub as --kernel= (a path inside the guest)."""
    path = DATA / "pv-pygrub" / "web5.config.sxp"
    cfg = migrate(path, "xl")[0]
    assert "kernel" not in cfg and "ramdisk" not in cfg and "extra" not in cfg
    assert report_line(path, "kernel") == (
        f"{path}:25:13: dropped: kernel: extracted by the bootloader for the last boot; "
        "xl runs the bootloader itself at every start")


def test_xen31_dryrun_none_password_is_no_password() -> None:
    path = DATA / "hvm-tablet" / "win7.vm.sxp"
    assert "vncpasswd" not in migrate(path, "xl")[0]
    assert report_line(path, "vncpasswd") == (
        f"{path}:27:13: dropped: vncpasswd: 'None' is how xm create --dryrun of Xen 3.0.4-3.1 "
        "printed an unset password (Python's None): no password, as in the xm config; add "
        "vncpasswd= if 'None' really was the password")


def test_old_libvirt_qemu_dm_emulator_is_dropped() -> None:
    path = DATA / "hvm-tablet" / "win7.libvirt08.xml"
    assert "device_model" not in migrate(path, "xl")[0]
    assert report_line(path, "device_model_override") == (
        f"{path}:23:5: dropped: device_model_override: <emulator>/usr/lib64/xen/bin/qemu-dm"
        "</emulator> is xend's qemu-dm (qemu-xen-traditional), not in Xen 4.17 builds: xl "
        "starts its own device model (qemu-xen), as for an xm device_model=")


def test_old_libvirt_file_driver_is_xends_loop_not_qdisk() -> None:
    path = DATA / "minimal" / "tiny.libvirt08.xml"
    assert 'disk = [ "format=raw,vdev=xvda1,access=rw,target=/srv/xen/tiny.img" ]' in \
        migrate(path, "xl")[0]
    assert report_line(path, "disk") == (
        f"{path}:16:5: changed: disk -> disk: old libvirt's <driver name='file'/> is xend's file: "
        "(a loop device), not qdisk: libxl picks the backend as for an xm file: disk: "
        "'format=raw,vdev=xvda1,access=rw,backendtype=qdisk,target=/srv/xen/tiny.img' -> "
        "'format=raw,vdev=xvda1,access=rw,target=/srv/xen/tiny.img'")


def test_xend_per_vcpu_copies_of_one_cpus_set_read_back_as_the_set() -> None:
    path = DATA / "pv-vcpus" / "build2.config.sxp"
    assert 'cpus = "4,5,6,7"\n' in migrate(path, "xl")[0]


@pytest.mark.parametrize(("path", "line"), [
    ("pv-vcpus/build2.config.sxp",
     "13:5: dropped: shadow_memory: xend gave PV guests no shadow memory whatever this "
     "said; xl's default applies"),
])
def test_shadow_memory_as_xend_used_it(path: str, line: str) -> None:
    assert report_line(DATA / path, "shadow_memory") == f"{DATA / path}:{line}"


def test_hvm_shadow_memory_below_xends_floor_is_xends_default() -> None:
    from xl_py.settings.legacy import from_xm
    from xl_py.settings.legacy import migrate as migrate_keys
    from xl_py.syntax.xm import read_xm

    def run(mib: int) -> tuple[Any, Any]:
        text = f'builder = "hvm"\nname = "h"\nmemory = 1024\nvcpus = 2\nshadow_memory = {mib}\n'
        m = migrate_keys(from_xm(read_xm(text, "h.cfg")))
        item = next(i for i in m.report if i.key == "shadow_memory")
        return dict(m.entries).get("shadow_memory"), (item.status, item.detail)

    assert run(8) == (None, ("dropped", "xend gave this guest max(10, 8) = 10 MiB, its own "
                             "default, as xl's default does (less with HAP); "
                             "shadow_memory=8 would give exactly 8 MiB under xl"))
    assert run(64) == (64, ("kept", ""))


def test_runtime_args_lose_xends_trailing_blank() -> None:
    path = DATA / "minimal" / "tiny.config.sxp"
    assert 'extra = "root=/dev/xvda1 ro"\n' in migrate(path, "xl")[0]


def test_old_libvirt_os_root_is_the_command_lines_root() -> None:
    """libvirt 0.8 kept xend's (root ...) as <os><root>; the xen-xl writer drops it."""
    path = DATA / "pv-kernel" / "db3.libvirt08.xml"
    assert 'cmdline = "root=/dev/xvda1 ro console=xvc0 selinux=0"\n' in migrate(path, "xl")[0]
    assert report_line(path, "<root>") == (
        f"{path}:8:5: changed: <root> -> cmdline: <root>/dev/xvda1 ro</root> (xend's root=; "
        "libvirt's xen-xl writer drops it): cmdline= starts with root=/dev/xvda1 ro, as "
        "xend's command line did")


def test_os_root_beside_a_root_in_cmdline_is_dropped(tmp_path: Path) -> None:
    xml = (DATA / "pv-kernel" / "db3.libvirt08.xml").read_text().replace(
        "<cmdline>console=xvc0", "<cmdline>root=/dev/xvda2 console=xvc0")
    path = tmp_path / "db3.xml"
    path.write_text(xml)
    assert 'cmdline = "root=/dev/xvda2 console=xvc0 selinux=0"\n' in migrate(path, "xl")[0]
    assert report_line(path, "<root>") == (
        f"{path}:8:5: dropped: <root>: <root>/dev/xvda1 ro</root>: the <cmdline> has a root= "
        "already, and xend kept that one")


def test_libvirt_shares_are_the_weight_the_guest_ran_with() -> None:
    path = DATA / "pv-vcpus" / "build2.libvirt9.xml"
    assert "cpu_weight = 512\n" in migrate(path, "xl")[0]
    assert report_line(path, "<cputune>") == (
        f"{path}:8:5: changed: <cputune> -> cpu_weight: <shares>512</shares> is the credit "
        "weight libvirt's libxl driver gave the guest; libvirt's xen-xl writer drops it")


def test_runtime_pci_slots_the_config_left_open_are_not_pinned() -> None:
    """xend wrote the slot qemu-dm chose back into (dev (vdevfn ...)); the image's
    platform pci list keeps what the config asked: 0x100, any slot."""
    path = DATA / "hvm-pci" / "nas1.config.sxp"
    assert 'pci = [ "0000:03:00.0", "0000:04:00.1" ]\n' in migrate(path, "xl")[0]
    lines = [line for line in migrate(path, "xl")[1].splitlines() if ": vdevfn:" in line]
    assert lines == [
        f"{path}:{line}:13: ignored: vdevfn: runtime state: the slot xend's device model gave "
        f"{bdf} at the last boot ({slot}); the config asked for any slot (the image's pci "
        f"list): xl picks one (add @{slot} to keep it)"
        for line, bdf, slot in ((123, "0000:03:00.0", 5), (132, "0000:04:00.1", 6))]


def test_requested_pci_slot_stays_pinned(tmp_path: Path) -> None:
    text = (DATA / "hvm-pci" / "nas1.config.sxp").read_text().replace(
        "(0x0000 0x03 0x00 0x0 0x100 ())", "(0x0000 0x03 0x00 0x0 0x28 ())")
    path = tmp_path / "nas1.sxp"
    path.write_text(text)
    assert 'pci = [ "0000:03:00.0@5", "0000:04:00.1" ]\n' in migrate(path, "xl")[0]


@pytest.mark.parametrize(("extra", "line"), [
    ("", "dropped: videoram: 4 MB of qemu-dm's VGA memory; libxl refuses it for "
     "qemu-xen ('videoram must be at least 8 MB for CIRRUS on QEMU_XEN'): xl's default, 8 MB"),
    ("stdvga = 1\n", "dropped: videoram: 4 MB of qemu-dm's VGA memory; libxl refuses "
     "it for qemu-xen ('videoram must be at least 16 MB for STDVGA on QEMU_XEN'): xl's "
     "default, 16 MB"),
])
def test_xend_default_videoram_is_xls_default(extra: str, line: str, tmp_path: Path) -> None:
    path = tmp_path / "g.cfg"
    path.write_text(f'builder = "hvm"\nname = "g"\nmemory = 512\nvideoram = 4\n{extra}')
    assert "videoram" not in migrate(path, "xl")[0]
    assert report_line(path, "videoram") == f"{path}:4:1: {line}"


def test_larger_videoram_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "g.cfg"
    path.write_text('builder = "hvm"\nname = "g"\nmemory = 512\nvideoram = 32\n')
    assert "videoram = 32\n" in migrate(path, "xl")[0]


@pytest.mark.parametrize(("model", "xl", "line"), [
    ("cirrus", "", "changed: <video><model type='cirrus'>: vram='4096' is below what libxl "
     "takes for this card on qemu-xen (8 MB; xend's qemu-dm had 4 MB for cirrus): xl's "
     "default"),
    ("vga", 'vga = "stdvga"\n', "changed: <video><model type='vga'> -> vga: vram='4096' is "
     "below what libxl takes for this card on qemu-xen (16 MB; xend's qemu-dm had 4 MB for "
     "cirrus): xl's default; vga='stdvga'"),
])
def test_libvirt_vram_below_qemu_xens_floor_is_xls_default(model: str, xl: str, line: str,
                                                           tmp_path: Path) -> None:
    """xend's 4 MB cirrus, as a libvirt XML of an xend guest may show it; libxl refuses
    videoram below 8 MB (cirrus) / 16 MB (stdvga) on qemu-xen."""
    path = tmp_path / "win7.xml"
    path.write_text((DATA / "hvm-tablet" / "win7.libvirt9.xml").read_text().replace(
        "<model type='cirrus' vram='8192'", f"<model type='{model}' vram='4096'"))
    cfg, report = migrate(path, "xl")
    assert "videoram" not in cfg and xl in cfg
    assert [r for r in report.splitlines() if "<video>" in r] == [f"{path}:60:7: {line}"]


def test_xm_create_44_empty_lists_are_no_warnings() -> None:
    path = DATA / "hvm-tablet" / "win7.vm44.sxp"
    report = migrate(path, "xl")[1]
    assert "warning" not in report
    assert report_line(path, "cpuid") == \
        f"{path}:21:13: dropped: cpuid: (cpuid ()) is an empty list: none"
