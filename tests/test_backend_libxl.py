"""The libxl backend: Xen 4.17's real libxenlight through ctypes.

Without a hypervisor, the reference harness's LD_PRELOAD stand-in answers the
hypercalls libxl makes for its context, version and host facts, so the
binding (symbol signatures, opaque-buffer structs, the JSON entry points and
the version check) runs against the genuine library here.  Everything that
needs real domains is marked ``xenvm`` and runs on the real-Xen QEMU lane
(a dom0 with ``/proc/xen/capabilities`` = ``control_d``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from xl_py.errors import BackendUnavailable

ON_DOM0 = Path("/proc/xen/capabilities").exists() and \
    Path("/proc/xen/capabilities").read_text().strip() == "control_d"
xenvm = pytest.mark.xenvm
needs_dom0 = pytest.mark.skipif(not ON_DOM0, reason="needs a real Xen dom0 (the xenvm lane)")


@pytest.fixture(scope="module")
def shim_env(reference: object,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment running real libxl on the stand-in with a real xenstored."""
    from reference import xlref

    directory = tmp_path_factory.mktemp("xs-libxl")
    sock = xlref.start_xenstored(directory, "c")
    t = xlref.tools()
    env = dict(os.environ)
    env.update(xlref.Host(cpus=6, memory_mb=8192).env())
    env.update(LD_LIBRARY_PATH=str(t.libdir), XENSTORED_PATH=str(sock),
               # libxenlight preloaded after the shim, so the shim's wrappers find it
               LD_PRELOAD=f"{t.shim} {t.libdir / 'libxenlight.so.4.17'}")
    try:
        yield env
    finally:
        xlref.stop_xenstored(directory)


def xlpy(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xl_py.cli.main", "-c", "libxl", *argv],
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def test_info_through_real_libxl(shim_env: dict[str, str]) -> None:
    proc = xlpy(shim_env, "info")
    assert proc.returncode == 0, proc.stderr
    rows = {k.strip(): v for k, v in (ln.split(" : ", 1) for ln in proc.stdout.splitlines())}
    # the host the stand-in describes (6 cpus, 8 GiB), read back through
    # libxl_get_physinfo + libxl_physinfo_to_json, and Xen 4.17 from
    # libxl_get_version_info + libxl_version_info_to_json
    assert (rows["nr_cpus"], rows["max_cpu_id"], rows["total_memory"], rows["free_memory"],
            rows["xen_major"], rows["xen_minor"]) == ("6", "5", "8192", "8192", "4", "17")
    data = json.loads(xlpy(shim_env, "info", "--json").stdout)
    assert data["nr_cpus"] == 6 and data["xen_minor"] == 17


def test_one_cpu_host_whose_json_omits_zero_fields(shim_env: dict[str, str]) -> None:
    """libxl's *_to_json leaves out fields equal to their default: on a 1-CPU host
    (the lane's) max_cpu_id = 0 is missing from libxl_physinfo_to_json, which made
    'vcpu-list' and 'info' die of KeyError 'max_cpu_id'."""
    from reference import xlref

    env = {**shim_env, **xlref.Host(cpus=1, memory_mb=2048).env()}
    raw = subprocess.run([sys.executable, "-c", PHYSINFO_PROBE], env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert raw.returncode == 0, raw.stderr
    assert "max_cpu_id" not in json.loads(raw.stdout)  # the finding itself
    proc = xlpy(env, "info")
    assert proc.returncode == 0, proc.stderr
    rows = {k.strip(): v for k, v in (ln.split(" : ", 1) for ln in proc.stdout.splitlines())}
    assert (rows["nr_cpus"], rows["max_cpu_id"], rows["total_memory"]) == ("1", "0", "2048")


PHYSINFO_PROBE = """
from xl_py.backends.libxl import LibxlBackend
b = LibxlBackend()
with b._struct("physinfo") as buf:
    assert b.lib.libxl_get_physinfo(b.ctx, buf) == 0
    print(b._string(b.lib.libxl_physinfo_to_json(b.ctx, buf)))
"""

RESTORE_PARAMS_PROBE = """
import ctypes, json
from xl_py.backends.libxl import LibxlBackend
b = LibxlBackend()
to_json = b.lib.libxl_domain_restore_params_to_json
to_json.restype, to_json.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p]
out = []
for text in (b'{}', b'{"stream_version": 2}'):
    with b._struct("domain_restore_params") as buf:
        if text != b'{}':
            assert b.lib.libxl_domain_restore_params_from_json(b.ctx, buf, text) == 0
        out.append(b._string(to_json(b.ctx, buf)))
print(json.dumps(out))
"""


def test_restore_params_stream_version_through_real_libxl(shim_env: dict[str, str]) -> None:
    """libxl_domain_restore_params_init leaves stream_version = 1 (a legacy stream,
    which libxl hands to convert-legacy-stream); xl sets 2 for a STREAMv2 image, and
    so does the backend, through libxl_domain_restore_params_from_json."""
    proc = subprocess.run([sys.executable, "-c", RESTORE_PARAMS_PROBE], env=shim_env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    init, set2 = (json.loads(t) for t in json.loads(proc.stdout))
    assert init.get("stream_version", 1) == 1  # omitted when at its init value
    assert set2["stream_version"] == 2


SCHED_PROBE = """
import json
from xl_py.backends.libxl import LibxlBackend
from xl_py.backends import libxl_sched
b = LibxlBackend()
out = {}
with b._struct("domain_sched_params") as buf:
    text = b'{"sched": "credit2", "weight": 768}'
    assert b.lib.libxl_domain_sched_params_from_json(b.ctx, buf, text) == 0
    out["domain"] = b._json(b.lib.libxl_domain_sched_params_to_json(b.ctx, buf))
for sched, text in (("credit", b'{"tslice_ms": 10, "ratelimit_us": 500, '
                               b'"vcpu_migr_delay_us": 100}'),
                    ("credit2", b'{"ratelimit_us": 700}')):
    with libxl_sched._pool_params(b, sched) as buf:
        assert getattr(b.lib, f"libxl_sched_{sched}_params_from_json")(b.ctx, buf, text) == 0
        out[sched] = b._json(getattr(b.lib, f"libxl_sched_{sched}_params_to_json")(b.ctx, buf))
print(json.dumps(out))
"""


def test_sched_params_json_is_what_real_libxl_parses(shim_env: dict[str, str]) -> None:
    """What sched-credit(2) hands libxl: a domain's params with only the fields set
    (the others stay libxl's -1 "default") and each scheduler's pool params,
    through the real libxl_*_from_json and back out of *_to_json."""
    proc = subprocess.run([sys.executable, "-c", SCHED_PROBE], env=shim_env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["domain"] == {"sched": "credit2", "weight": 768}
    assert got["credit"] == {"tslice_ms": 10, "ratelimit_us": 500, "vcpu_migr_delay_us": 100}
    assert got["credit2"] == {"ratelimit_us": 700}


DEVICE_PROBE = """
import json, sys
from xl_py.backends.base import DiskSpec
from xl_py.backends.libxl import LibxlBackend
b = LibxlBackend()
out = {}
for kind, spec in (
        ("disk", b._disk_json(DiskSpec(vdev="xvdb", target="/srv/b.img", format="qcow2",
                                       readwrite=False))),
        ("disk", b._disk_json(DiskSpec(vdev="hdc", is_cdrom=True, readwrite=False))),
        ("nic", {"mac": "00:16:3e:01:02:03", "bridge": "br1", "ifname": "vif-x",
                 "rate_bytes_per_interval": 50000, "rate_interval_usecs": 50000})):
    with b._device(kind, spec) as buf:
        fn = getattr(b.lib, f"libxl_device_{kind}_to_json")
        out.setdefault(kind, []).append(b._json(fn(b.ctx, buf)))
print(json.dumps(out))
"""


def test_device_json_is_what_real_libxl_parses(shim_env: dict[str, str]) -> None:
    """Our libxl_device_disk / _nic JSON goes through the real
    libxl_device_*_from_json and comes back out of *_to_json unchanged."""
    proc = subprocess.run([sys.executable, "-c", DEVICE_PROBE], env=shim_env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["disk"][0] == {"pdev_path": "/srv/b.img", "vdev": "xvdb", "format": "qcow2"}
    assert got["disk"][1] == {"vdev": "hdc", "format": "empty", "removable": 1, "is_cdrom": 1}
    assert {k: got["nic"][0][k] for k in ("mac", "bridge", "ifname",
                                          "rate_bytes_per_interval",
                                          "rate_interval_usecs")} == {
        "mac": "00:16:3e:01:02:03", "bridge": "br1", "ifname": "vif-x",
        "rate_bytes_per_interval": 50000, "rate_interval_usecs": 50000}


def test_vcpuinfo_size_is_the_real_headers(reference: object, tmp_path: Path) -> None:
    """The one layout number the backend holds, against sizeof() from libxl.h."""
    import shutil

    from reference import xlref

    from xl_py.backends.libxl import VCPUINFO_SIZE

    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    src = tmp_path / "sz.c"
    src.write_text("#include <stdio.h>\n#include <libxl.h>\nint main(void) { printf(\"%zu %zu\\n\","
                   " sizeof(libxl_vcpuinfo), __builtin_offsetof(libxl_vcpuinfo, vcpuid));"
                   " return 0; }\n")
    include = xlref.tools().root / "usr" / "include"
    subprocess.run(["gcc", f"-I{include}", "-o", str(tmp_path / "sz"), str(src)], check=True,
                   capture_output=True, timeout=120)
    out = subprocess.run([str(tmp_path / "sz")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(VCPUINFO_SIZE), "0"]


def test_vcpuinfo_stride_checks_the_array() -> None:
    import ctypes

    from xl_py.backends.libxl import VCPUINFO_SIZE, _vcpuinfo_stride
    from xl_py.errors import BackendError

    n = 3
    buf = (ctypes.c_uint8 * (n * VCPUINFO_SIZE))()
    base = ctypes.addressof(buf)
    for i in range(n):
        ctypes.c_uint32.from_address(base + i * VCPUINFO_SIZE).value = i
    assert _vcpuinfo_stride(base, n, n * VCPUINFO_SIZE + 8) == VCPUINFO_SIZE
    ctypes.c_uint32.from_address(base + 2 * VCPUINFO_SIZE).value = 7
    with pytest.raises(BackendError, match=r"does not look like libxl 4\.17"):
        _vcpuinfo_stride(base, n, n * VCPUINFO_SIZE + 8)


def test_missing_libxenlight_is_one_clear_line() -> None:
    from xl_py.backends.libxl import LibxlBackend

    with pytest.raises(BackendUnavailable) as info:
        LibxlBackend(environ={"XL_PY_LIBXL": "libxenlight.so.0.99"})
    message = str(info.value)
    assert message.startswith("cannot load libxenlight.so.0.99")
    assert message.endswith("install xen-utils-4.17 (libxenlight) or use -c xenstore / "
                            "-c xen:///system")


def test_missing_libxenlight_through_the_cli() -> None:
    env = dict(os.environ, XL_PY_LIBXL="libxenlight.so.0.99")
    proc = subprocess.run([sys.executable, "-m", "xl_py.cli.main", "-c", "libxl", "list"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("error: cannot load libxenlight.so.0.99")


# -- the real hypervisor lane ---------------------------------------------------------------

def _real(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xl_py.cli.main", "-c", "libxl", *argv],
                          capture_output=True, text=True, timeout=300, check=False)


@xenvm
@needs_dom0
def test_list_matches_xl_on_real_xen() -> None:
    ours = _real("list").stdout.splitlines()
    theirs = subprocess.run(["xl", "list"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert ours[0] == theirs[0]
    # name, id, memory, vcpus and state agree row by row; cpu time moves on
    assert [r.split()[:5] for r in ours[1:]] == [r.split()[:5] for r in theirs[1:]]


@xenvm
@needs_dom0
def test_dom0_lookups_on_real_xen() -> None:
    assert _real("domid", "Domain-0").stdout == "0\n"
    assert _real("domname", "0").stdout == "Domain-0\n"
    assert _real("vcpu-list", "0").returncode == 0
    assert _real("dmesg").returncode == 0


@xenvm
@needs_dom0
def test_guest_lifecycle_on_real_xen(tmp_path: Path) -> None:
    """Create a tiny PV guest, pause/unpause, balloon, save/restore, destroy."""
    kernel = os.environ.get("XL_PY_XENVM_KERNEL")
    if not kernel:
        pytest.skip("set XL_PY_XENVM_KERNEL to a PV-bootable kernel on the xenvm lane")
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(f'name = "xlpy-tiny"\ntype = "pvh"\nkernel = "{kernel}"\n'
                   'memory = 128\nmaxmem = 256\nvcpus = 1\nmaxvcpus = 2\n')
    assert _real("create", str(cfg)).returncode == 0
    try:
        assert _real("pause", "xlpy-tiny").returncode == 0
        assert "p" in _real("list", "xlpy-tiny").stdout.splitlines()[1].split()[4]
        assert _real("unpause", "xlpy-tiny").returncode == 0
        assert _real("mem-set", "xlpy-tiny", "200m").returncode == 0
        refused = _real("mem-set", "xlpy-tiny", "512m")
        assert refused.returncode == 1 and "above its maximum" in refused.stderr
        assert _real("vcpu-set", "xlpy-tiny", "2").returncode == 0
        assert _real("vcpu-set", "xlpy-tiny", "3").returncode == 1
        image = tmp_path / "tiny.save"
        assert _real("save", "xlpy-tiny", str(image)).returncode == 0
        assert _real("restore", str(image)).returncode == 0
    finally:
        _real("destroy", "xlpy-tiny")


def test_every_libxl_call_has_declared_types() -> None:
    """A libxl function called without argtypes/restype gets ctypes' int defaults,
    which truncate pointers (a segfault waiting to happen): every symbol the backend
    names, directly or through _struct / _device, is in SIGNATURES."""
    import re

    from xl_py.backends import libxl, libxl_sched

    source = Path(libxl.__file__).read_text() + Path(libxl_sched.__file__).read_text()
    named = set(re.findall(r"lib\.(libxl_\w+)", source))
    for kind in re.findall(r'_struct\("(\w+)"\)', source):
        named |= {f"libxl_{kind}_init", f"libxl_{kind}_dispose"}
    for kind in re.findall(r'_device\("(\w+)"', source):
        named |= {f"libxl_device_{kind}_init", f"libxl_device_{kind}_dispose",
                  f"libxl_device_{kind}_from_json"}
    assert len(named) > 40
    assert sorted(named - set(libxl.SIGNATURES)) == []
    lib = libxl_sched.POOL_SCHEDULERS  # the f-string names: every one is declared
    assert {f"libxl_sched_{s}_params_{op}" for s in lib
            for op in ("init", "get", "set", "to_json", "from_json")} <= set(libxl.SIGNATURES)
