"""What xend did with an xm key, and what the migrated xl.cfg says: the rows
whose meaning depends on xend's defaults and its kernel command line.

Facts from Xen's tools/python/xen/xm/create.py (3.1 and 4.4: gopts defaults,
configure_vifs, configure_vfbs, preprocess_ip / preprocess_nfs, make_config)
and xend/XendConfig.py (_defaults, the cpu/cpus merge, update_with_image_sxp).
"""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_py.errors import Source
from xl_py.settings.legacy import RULES, LegacyInput, LegacyValue, from_xm, migrate
from xl_py.syntax.xm import read_xm

UUID = "00000000-0000-4000-8000-00000000abcd"


def mig(text: str) -> Any:
    return migrate(from_xm(read_xm("name = 'g'\n" + text, "t.cfg")), lambda: UUID)


def rows(m: Any) -> dict[str, tuple[str, tuple[str, ...], str]]:
    return {r.key: (r.status, r.xl, r.detail) for r in m.report}


def entries(m: Any) -> dict[str, object]:
    return {k: v for k, v in m.entries if k not in ("type", "name", "uuid")}


# ---- xend's defaults where xl's differ


def test_pv_defaults_memory_and_on_crash() -> None:
    m = mig("kernel = '/k'\n")
    assert m.errors == ()
    assert entries(m) == {"kernel": "/k", "memory": 128, "on_crash": "restart"}
    r = rows(m)
    assert r["memory"] == ("added", ("memory",),
                           "not in the source: xend's default was 128 MB (xl's is 32 MB)")
    assert r["on_crash"] == ("added", ("on_crash",), "not in the source: xend restarted a "
                             "crashed guest by default (xl destroys it)")


def test_hvm_defaults_boot_disk_only_and_no_display() -> None:
    m = mig("builder = 'hvm'\nmemory = 256\non_crash = 'destroy'\n")
    assert entries(m) == {"memory": 256, "on_crash": "destroy", "boot": "c", "vnc": 0}
    r = rows(m)
    assert r["boot"] == ("added", ("boot",), "not in the source: xend booted HVM guests from "
                         "the hard disk only by default (xl's default is \"cd\")")
    assert r["vnc"] == ("added", ("vnc",), "not in the source: xend started qemu with "
                        "-nographic unless vnc= was set (xl's default is a VNC display)")


def test_hvm_hpet_default_depends_on_the_xend_version() -> None:
    """xend 3.x had no hpet option (Xen's default: an HPET); xend 4.0-4.4 set hpet=0
    unless told (XendConfig): the file does not say which xend read it."""
    m = mig("builder = 'hvm'\nmemory = 256\n")
    assert "hpet" not in entries(m)
    assert rows(m)["hpet"] == (
        "decision", (), "not in the source: xend 4.0-4.4 gave HVM guests no HPET unless "
        "hpet=1; xend 3.x had no hpet option and gave one, as xl does (hpet=1). Add hpet=0 "
        "if this guest ran on xend 4.x")
    assert [r.key for r in m.report][-2:] == ["hpet", "uuid"]
    assert rows(mig("builder = 'hvm'\nmemory = 256\nhpet = 1\n"))["hpet"] == (
        "kept", ("hpet",), "")
    assert "hpet" not in rows(mig("memory = 256\n"))


@pytest.mark.parametrize("text", ["restart = 'onreboot'\n", "on_crash = 'preserve'\n"])
def test_on_crash_default_only_when_nothing_sets_it(text: str) -> None:
    m = mig("memory = 64\n" + text)
    assert "on_crash" not in {r.key for r in m.report if r.status == "added"}


def test_hvm_sdl_only_keeps_vnc_off_and_nographic_needs_nothing() -> None:
    assert entries(mig("builder = 'hvm'\nmemory = 64\nboot = 'd'\nsdl = 1\n"))["vnc"] == 0
    assert "vnc" not in entries(mig("builder = 'hvm'\nmemory = 64\nnographic = 1\n"))


# ---- vcpu placement


def test_cpu_pins_every_vcpu() -> None:
    m = mig("memory = 64\nvcpus = 2\ncpu = 2\ncpus = '4-5'\n")
    assert entries(m)["cpus"] == "2,4-5"
    r = rows(m)
    assert r["cpu"] == ("changed", ("cpus",), "xend pinned every vcpu to CPU 2 (added to "
                        "cpus=): cpus=\"2,4-5\"")
    assert r["cpus"] == ("changed", ("cpus",), "merged with cpu= (see cpu)")


def test_cpu_with_a_cpus_list_is_an_error() -> None:
    m = mig("memory = 64\ncpu = 2\ncpus = ['4']\n")
    assert [d.message for d in m.errors] == [
        "cpu: cpu=2 with a list cpus=: xend refused the pair"]


def test_xend31_integer_cpu_list_is_one_set_for_every_vcpu() -> None:
    m = mig("memory = 64\nvcpus = 4\ncpus = [0, 1]\n")
    assert entries(m)["cpus"] == "0,1"
    assert rows(m)["cpus"] == ("changed", ("cpus",), "xend 3.1 pinned every vcpu to the "
                               "listed CPUs: cpus=\"0,1\" (xl's list form pins one vcpu per "
                               "item)")
    assert entries(mig("memory = 64\ncpus = ['0', '1']\n"))["cpus"] == ["0", "1"]


def test_localtime_applies_to_pv_guests_too() -> None:
    m = mig("memory = 64\nlocaltime = 1\n")
    assert entries(m)["localtime"] == 1
    assert rows(m)["localtime"] == ("kept", ("localtime",), "")


# ---- the kernel command line


def test_root_prefix_is_stripped_as_xend_did() -> None:
    m = mig("memory = 64\nroot = 'root=/dev/xvda1 ro'\n")
    assert entries(m)["root"] == "/dev/xvda1 ro"
    assert rows(m)["root"] == ("changed", ("root",),
                               "leading 'root=' removed as xend did: root=\"/dev/xvda1 ro\"")


def test_root_and_ip_give_way_to_extra() -> None:
    m = mig("memory = 64\nroot = '/dev/xvda1'\nip = '10.0.0.2'\n"
            "extra = 'ro root=LABEL=/ ip=dhcp'\n")
    assert "root" not in entries(m)
    assert entries(m)["extra"] == "ro root=LABEL=/ ip=dhcp"
    r = rows(m)
    assert r["root"] == ("dropped", (), "extra= already has root=: xend left this root= off "
                         "the kernel command line, and so does the migration")
    assert r["ip"] == ("dropped", (), "extra= already has ip=: xend did not add its own")


def test_nfsroot_in_extra_does_not_drop_root() -> None:
    m = mig("memory = 64\nroot = '/dev/nfs'\nextra = 'nfsroot=10.0.0.1:/x'\n")
    assert entries(m)["root"] == "/dev/nfs"


def test_nfs_root_without_server_is_refused_as_xend_did() -> None:
    m = mig("memory = 64\nnfs_root = '/export/g'\n")
    assert [d.format() for d in m.errors] == [
        "t.cfg:3:1: error: nfs_root: nfs_root without nfs_server: xend refused to start the "
        "guest ('Must set nfs root and nfs server')\n"
        "    3 | nfs_root = '/export/g'\n"
        "      | ^^^^^^^^^^^^^^^^^^^^^^"]


def test_ip_keys_without_ip_or_dhcp_do_nothing() -> None:
    m = mig("memory = 64\nnetmask = '255.0.0.0'\nnfs_server = '10.0.0.1'\n")
    assert "extra" not in entries(m)
    r = rows(m)
    assert r["netmask"] == ("dropped", (), "only used with ip= or dhcp=, which are not set")
    assert r["nfs_server"] == ("dropped", (), "only used with nfs_root=, which is not set")


# ---- devices and the xend daemon


def test_nics_adds_the_vifs_xend_added() -> None:
    m = mig("memory = 64\nvif = ['bridge=xenbr1']\nnics = 3\n")
    assert entries(m)["vif"] == ["bridge=xenbr1", "", ""]
    assert rows(m)["nics"] == ("changed", ("vif",), "xend added 2 vif entry(ies) with default "
                               "settings to reach 3 NICs; so does the migrated vif=")
    m = mig("memory = 64\nnics = 1\nvif = ['', '']\n")
    assert entries(m)["vif"] == ["", ""]
    assert rows(m)["nics"] == ("dropped", (), "deprecated; vif= already lists 2 NIC(s)")


def test_top_level_keymap_goes_into_every_vfb_without_one() -> None:
    m = mig("memory = 64\nkeymap = 'de'\nvfb = ['type=vnc', 'type=sdl,keymap=fr']\n")
    assert entries(m)["vfb"] == ["vnc=1,keymap=de", "sdl=1,keymap=fr"]
    assert rows(m)["keymap"] == ("changed", ("vfb",),
                                 "added to each vfb spec without keymap=, as xend did")


@pytest.mark.parametrize(("text", "detail"), [
    ("on_xend_start = 'start'", "xend started this guest with itself; with xl, link the config "
     "into /etc/xen/auto/ so the xendomains service starts it at boot"),
    ("on_xend_stop = 'suspend'", "xend's stop saved this guest; with xl, the xendomains "
     "service saves the guests in /etc/xen/auto/ (XENDOMAINS_SAVE=)"),
    ("on_xend_stop = 'shutdown'", "xend's stop shut this guest down; with xl, the xendomains "
     "service does so for the guests in /etc/xen/auto/ (XENDOMAINS_SAVE= empty)"),
    ("on_xend_start = 'ignore'", "xl has no daemon: nothing starts or stops the guest on its "
     "own, as with xend's default"),
])
def test_xend_start_and_stop_actions_say_what_replaces_them(text: str, detail: str) -> None:
    m = mig("memory = 64\n" + text + "\n")
    assert rows(m)[text.split()[0]] == ("dropped", (), detail)


@pytest.mark.parametrize(("text", "error"), [
    ("memory = 512\nmaxmem = 256\n", "t.cfg:3:1: error: maxmem: 256 is below memory=512: "
     "xend refused to start the guest ('memory_dynamic_max must be less than or equal to "
     "memory_static_max')\n    3 | maxmem = 256\n      | ^^^^^^^^^^^^"),
    ("maxmem = 256\nmemory = 512\n", "t.cfg:2:1: error: maxmem: 256 is below memory=512: "
     "xend refused to start the guest ('memory_dynamic_max must be less than or equal to "
     "memory_static_max')\n    2 | maxmem = 256\n      | ^^^^^^^^^^^^"),
    ("maxmem = 64\n", "t.cfg:2:1: error: maxmem: 64 is below memory=128 (xend's default): "
     "xend refused to start the guest ('memory_dynamic_max must be less than or equal to "
     "memory_static_max')\n    2 | maxmem = 64\n      | ^^^^^^^^^^^"),
    ("memory = 512\nmaxmem = 512\n", None),
    ("maxmem = 128\n", None),
])
def test_maxmem_below_memory_is_refused_as_xend_did(text: str, error: str | None) -> None:
    """XendConfig._memory_sanity_check (xl -N accepts it; xend never started it)."""
    m = mig(text)
    assert [d.format() for d in m.errors] == ([error] if error else [])
    if error is None:
        assert rows(m)["maxmem"] == ("kept", ("maxmem",), "")


# ---- any value under any key: diagnostics, never an exception


@pytest.mark.parametrize(("text", "message"), [
    ("vcpus = -3\nvcpu_avail = 5\n", "vcpu_avail: bitmask 5 of -3 vcpus: vcpus must be "
     "1..4096 and the mask not negative"),
    ("vcpus = 2 ** 70\nvcpu_avail = 5\n", "vcpu_avail: bitmask 5 of 1180591620717411303424 "
     "vcpus: vcpus must be 1..4096 and the mask not negative"),
    ("nics = 10 ** 9\n", "nics: 1000000000 NICs: more than 4096"),
])
def test_counts_are_bounded_before_anything_is_built(text: str, message: str) -> None:
    assert [d.message for d in mig("memory = 64\n" + text).errors] == [message]


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
    st.sampled_from(["hvm", "linux", "start", "0x10", "a,b", "type=vnc", "1-3,^2"]),
    st.lists(st.integers() | st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(RULES)), VALUES), max_size=6))
def test_any_values_give_diagnostics_not_exceptions(pairs: list[tuple[str, Any]]) -> None:
    values = (LegacyValue("name", "g"), *(LegacyValue(k, v) for k, v in pairs))
    m = migrate(LegacyInput(Source("f", ""), "xm", values), lambda: UUID)
    assert all(d.severity in ("error", "warning") for d in m.diagnostics)
