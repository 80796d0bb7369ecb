"""The reference harness itself: Debian's real Xen 4.17 tools on our shim.

Each test pins something the differential tests rely on: xl's exact JSON for a
known config, xl's exit status and messages for broken ones, the xl.conf
redirection, the stand-in host topology, the libxlutil oracle's dict shapes,
and the xenstore daemons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from reference import xlref

pytestmark = pytest.mark.reference

PV = 'name = "pv1"\nkernel = "/boot/vmlinuz"\nmemory = 512\nvcpus = 2\n' \
     'disk = [ "phy:/dev/vg/pv1,xvda,w" ]\nvif = [ "bridge=xenbr0" ]\n'

PV_JSON = """\
{
    "c_info": {
        "type": "pv",
        "name": "pv1",
        "uuid": "<uuid>",
        "run_hotplug_scripts": "True"
    },
    "b_info": {
        "max_vcpus": 2,
        "avail_vcpus": [
            0,
            1
        ],
        "max_memkb": 524288,
        "target_memkb": 524288,
        "sched_params": {

        },
        "claim_mode": "True",
        "kernel": "/boot/vmlinuz",
        "type.pv": {

        },
        "arch_arm": {

        },
        "arch_x86": {

        }
    },
    "disks": [
        {
            "pdev_path": "/dev/vg/pv1",
            "vdev": "xvda",
            "format": "raw",
            "readwrite": 1
        }
    ],
    "nics": [
        {
            "devid": 0,
            "bridge": "xenbr0"
        }
    ],
    "on_reboot": "restart",
    "on_soft_reset": "soft_reset"
}
"""


def _json(result: xlref.Result) -> Any:
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


# ------------------------------------------------------------------ xl -N create


def test_known_config_gives_known_json(reference: Any) -> None:
    r = reference.xl_dryrun_text(PV)
    assert (r.rc, r.stderr) == (0, "Parsing config from guest.cfg\n")
    assert reference.normalise_uuid(r.stdout) == PV_JSON


def test_file_and_text_forms_agree(reference: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "guest.cfg"
    cfg.write_text(PV)
    by_file = reference.xl_dryrun(cfg)
    assert by_file.stderr == f"Parsing config from {cfg}\n"
    assert reference.normalise_uuid(by_file.stdout) == PV_JSON


def test_uuid_is_random_and_normalised(reference: Any) -> None:
    a, b = reference.xl_dryrun_text(PV), reference.xl_dryrun_text(PV)
    assert _json(a)["c_info"]["uuid"] != _json(b)["c_info"]["uuid"]
    assert reference.normalise_uuid(a.stdout) == reference.normalise_uuid(b.stdout)


def test_syntax_error_exit_status_and_message(reference: Any) -> None:
    r = reference.xl_dryrun_text('name = "x"\nmemory = [1,\n')
    assert (r.rc, r.stdout) == (1, "")
    assert r.stderr == (
        "Parsing config from guest.cfg\n"
        "guest.cfg:2: config parsing error near `': syntax error, unexpected $end,"
        " expecting ']'\n"
        "Failed to parse config: Invalid argument\n")


def test_python_looking_config_gets_xls_hint(reference: Any) -> None:
    r = reference.xl_dryrun_text('import os\nname = "x" + "y"\n')
    assert r.rc == 1
    assert r.stderr.endswith(
        "warning: Config file looks like it contains Python code.\n"
        "warning:  Arbitrary Python is no longer supported.\n"
        "warning:  See https://wiki.xen.org/wiki/PythonInXlConfig\n"
        "Failed to parse config: Invalid argument\n")


@pytest.mark.parametrize(("text", "message"), [
    ('name = "a"\n', "Neither kernel nor bootloader specified\n"),
    ('name = "a"\nkernel = "/k"\nvcpus = 4\nmaxvcpus = 2\n', "xl: maxvcpus < vcpus\n"),
])
def test_semantic_errors(reference: Any, text: str, message: str) -> None:
    r = reference.xl_dryrun_text(text)
    assert (r.rc, r.stdout, r.stderr) == (1, "", "Parsing config from guest.cfg\n" + message)


def test_extra_key_value_arguments(reference: Any) -> None:
    doc = _json(reference.xl_dryrun_text(PV, "memory=256", 'name="other"'))
    assert doc["c_info"]["name"] == "other"
    assert doc["b_info"]["max_memkb"] == 256 * 1024


def test_many_agrees_with_one_by_one(reference: Any, tmp_path: Path) -> None:
    cfgs = []
    for i in range(6):
        cfg = tmp_path / f"g{i}.cfg"
        cfg.write_text(PV.replace("memory = 512", f"memory = {128 * (i + 1)}"))
        cfgs.append(cfg)
    cfgs.append(tmp_path / "missing.cfg")
    many = reference.xl_dryrun_many(cfgs)
    one = [reference.xl_dryrun(c) for c in cfgs]
    assert [(r.rc, reference.normalise_uuid(r.stdout), r.stderr) for r in many] == \
           [(r.rc, reference.normalise_uuid(r.stdout), r.stderr) for r in one]
    assert [json.loads(r.stdout)["b_info"]["max_memkb"] for r in many[:6]] == \
           [128 * 1024 * (i + 1) for i in range(6)]
    assert many[-1].rc == 3   # create_domain's ERROR_FAIL, negated by xl's main
    assert many[-1].stderr == \
        f"Failed to read config file: {cfgs[-1]}: No such file or directory\n"


def test_dryrun_is_fast(reference: Any) -> None:
    reference.xl_dryrun_text(PV)
    start = time.perf_counter()
    for _ in range(10):
        reference.xl_dryrun_text(PV)
    per_call = (time.perf_counter() - start) / 10
    assert per_call < 0.25, f"{per_call * 1000:.0f} ms per xl -N create"


# ------------------------------------------------------------------ xl.conf


def test_xl_conf_redirection_changes_output(reference: Any, tmp_path: Path) -> None:
    conf = tmp_path / "xl.conf"
    conf.write_text("run_hotplug_scripts = 0\nclaim_mode = 0\n")
    plain, changed = _json(reference.xl_dryrun_text(PV)), \
        _json(reference.xl_dryrun_text(PV, xl_conf=conf))
    assert (plain["c_info"]["run_hotplug_scripts"], plain["b_info"]["claim_mode"]) == \
           ("True", "True")
    assert (changed["c_info"]["run_hotplug_scripts"], changed["b_info"]["claim_mode"]) == \
           ("False", "False")


def test_xl_conf_vif_defaults_reach_the_nics(reference: Any, tmp_path: Path) -> None:
    conf = tmp_path / "xl.conf"
    conf.write_text('vif.default.script = "vif-custom"\nvif.default.bridge = "br9"\n')
    nic = _json(reference.xl_dryrun_text('name="a"\nkernel="/k"\nvif=[""]\n',
                                         xl_conf=conf))["nics"][0]
    assert (nic["bridge"], nic["script"]) == ("br9", "vif-custom")


def test_missing_xl_conf_warns_like_xl(reference: Any, tmp_path: Path) -> None:
    """xl names its compiled-in path whatever file it was redirected to."""
    r = reference.xl_dryrun_text(PV, xl_conf=tmp_path / "absent.conf")
    assert r.rc == 0
    assert r.stderr == ("Failed to read config file: /etc/xen/xl.conf: No such file or "
                        "directory\nParsing config from guest.cfg\n")


def test_broken_xl_conf_is_fatal(reference: Any, tmp_path: Path) -> None:
    conf = tmp_path / "xl.conf"
    conf.write_text("claim_mode = [\n")
    r = reference.xl_dryrun_text(PV, xl_conf=conf)
    assert (r.rc, r.stdout) == (1, "")
    assert r.stderr == (
        "/etc/xen/xl.conf:1: config parsing error near `': syntax error, unexpected $end,"
        " expecting ']'\n"
        "Failed to parse config file: Invalid argument\n")


# ------------------------------------------------------------------ host topology


def test_default_host_matches_hostinfo_defaults(reference: Any) -> None:
    from xl_py._types import HostInfo

    host = HostInfo()
    assert (reference.DEFAULT_HOST.cpus, reference.DEFAULT_HOST.nodes,
            reference.DEFAULT_HOST.memory_mb * 1024) == \
           (host.nr_cpus, host.nr_nodes, host.total_memkb)


def test_host_topology_reaches_xl(reference: Any) -> None:
    text = 'name="a"\nkernel="/k"\nvcpus=2\ncpus="nodes:1"\n'
    on_default = reference.xl_dryrun_text(text)
    assert (on_default.rc, on_default.stderr) == \
           (1, "Parsing config from guest.cfg\nvcpu hard affinity map is empty\n")
    two_nodes = _json(reference.xl_dryrun_text(text, host=xlref.Host(cpus=4, nodes=2)))
    assert two_nodes["b_info"]["vcpu_hard_affinity"] == [[2, 3], [2, 3]]


# ------------------------------------------------------------------ libxlutil


def test_xlu_parse_values_and_errors(reference: Any) -> None:
    out = reference.xlu_parse_text(
        'memory = "x"\nvif = ["a"]\nextra = "a"\nextra += "b"\nmaxmem = 0x20\n',
        keys=["memory:int", "vif:str", "nope", "extra:str", "maxmem:int", "vif:list"])
    assert out == {
        "source": "guest.cfg", "rc": 0, "errno": None, "report": None,
        "values": {"extra": "ab", "maxmem": 32, "vif": ["a"]},
        "missing": ["nope"],
        "errors": {
            "memory": [22, "Invalid argument",
                       "guest.cfg:1: warning: parameter `memory' is not a valid number"],
            "vif": [22, "Invalid argument",
                    "guest.cfg:2: warning: parameter `vif' is a list but should be a single"
                    " value"]},
    }


def test_xlu_parse_all_keys(reference: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "g.cfg"
    cfg.write_text('disk = ["x"]\ndisk += ["y", ["n"]]\nname = "a"\nname = "b"\n')
    out = reference.xlu_parse(cfg, all_keys=True)
    assert out["values"] == {"disk": ["x", "y", ["n"]], "name": "b"}
    assert out["lines"] == {"disk": {"line": 2, "op": "+="}, "name": {"line": 4, "op": "="}}
    assert reference.xlu_parse_text(cfg.read_text(), all_keys=True)["values"] == out["values"]


def test_xlu_parse_syntax_error(reference: Any) -> None:
    out = reference.xlu_parse_text('name = "x"\nmemory = [1,\n')
    assert (out["rc"], out["errno"], out["values"]) == (22, "Invalid argument", {})
    assert out["report"] == \
        "guest.cfg:2: config parsing error near `': syntax error, unexpected $end, expecting ']'\n"


def test_xlu_default_keys(reference: Any) -> None:
    out = reference.xlu_parse_text(PV)
    assert out["values"] == {"name": "pv1", "memory": 512, "vcpus": 2,
                             "kernel": "/boot/vmlinuz", "disk": ["phy:/dev/vg/pv1,xvda,w"],
                             "vif": ["bridge=xenbr0"]}
    assert "maxmem" in out["missing"]


def test_xlu_disk(reference: Any) -> None:
    assert reference.xlu_disk("phy:/dev/sdb,hdc:cdrom,r") == {
        "spec": "phy:/dev/sdb,hdc:cdrom,r", "rc": 0, "report": None,
        # the deprecated "phy:" prefix is accepted and leaves backend unset
        "libxl_disk": {"pdev_path": "/dev/sdb", "vdev": "hdc", "format": "raw",
                       "removable": 1, "is_cdrom": 1}}
    assert reference.xlu_disk("bogus,bogus") == {
        "spec": "bogus,bogus", "rc": 22, "libxl_disk": None,
        "report": "command line: config parsing error in disk specification: unknown value"
                  " for format: near `bogus' in `bogus,bogus'\n"}


def test_xlu_pci_and_rate(reference: Any) -> None:
    assert reference.xlu_pci("01:00.0,permissive=1")["libxl_pci"] == \
        {"bus": 1, "vfunc_mask": 1, "permissive": True}
    assert reference.xlu_vif_rate("10Mb/s@20ms")["libxl_nic"] == \
        {"rate_bytes_per_interval": 25000, "rate_interval_usecs": 20000}
    assert reference.xlu_vif_rate("x") == {
        "spec": "x", "rc": 22, "libxl_nic": None,
        "report": "command line: config parsing error in vif: invalid rate in `x'\n"}


def test_xlu_rdm_policy_check_is_inverted_in_xen_4_17(reference: Any) -> None:
    """libxlutil 4.17 bug (parse_rdm_policy's result tested the wrong way round):
    a valid policy fails with ERROR_INVAL, an unknown one is reported and accepted."""
    assert reference.xlu_rdm("strategy=host")["libxl_rdm"] == {"strategy": "host"}
    assert reference.xlu_rdm("strategy=host,policy=strict")["rc"] == -6
    assert reference.xlu_rdm("strategy=host,policy=bogus") == {
        "spec": "strategy=host,policy=bogus", "rc": 0,
        "report": "Unknown RDM policy: bogus", "libxl_rdm": {"strategy": "host"}}


def test_oracle_crash_is_an_exception_not_the_end(reference: Any) -> None:
    """libxlutil asserts on a NUL inside quotes; the worker dies, tests go on."""
    with pytest.raises(reference.OracleCrash, match=r"died \(signal SIGABRT\) on config "
                       r"'guest.cfg': .*xlu__cfgl_dequote: Assertion"):
        reference.xlu_parse_text(b'name = "a\0b"\n')
    assert reference.xlu_parse_text('name = "ok"\n', keys=["name"])["values"] == {"name": "ok"}


# ------------------------------------------------------------------ xenstored


@pytest.mark.parametrize("flavour", ["c", "ocaml"])
def test_xenstored(reference: Any, tmp_path: Path, flavour: str) -> None:
    d = tmp_path / flavour
    sock = reference.start_xenstored(d, flavour)
    try:
        assert sock == d / "socket"
        assert reference.start_xenstored(d, flavour) == sock   # idempotent
        env = reference.xenstore_env(d)

        def xs(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10,
                                  check=False)

        assert xs("xenstore-write", "/tool/xl_py", "hello").returncode == 0
        assert xs("xenstore-read", "/tool/xl_py").stdout == "hello\n"
        missing = xs("xenstore-read", "/nonexistent")
        assert (missing.returncode, missing.stderr) == \
               (1, "xenstore-read: couldn't read path /nonexistent\n")
        pid = int((d / "xenstored.pid").read_text())
    finally:
        reference.stop_xenstored(d)
    assert not (d / "xenstored.pid").exists()
    assert not sock.exists()
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0


# ------------------------------------------------------------------ fetch


def test_fetch_is_idempotent_and_quick(reference: Any) -> None:
    start = time.perf_counter()
    proc = subprocess.run(["bash", str(xlref.FETCH)], capture_output=True, text=True,
                          env={**os.environ,
                               "XLREF_CACHE": str(reference.tools().cache)},
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == reference.tools().cache
    assert time.perf_counter() - start < 5
    versions = reference.tools().versions()
    assert versions["xen-utils-4.17"].startswith("4.17.")
    assert {"libxenmisc4.17", "libyajl2", "xenstore-utils"} <= versions.keys()


# ------------------------------------------------------------------ unavailable()


def _path_without(tmp_path: Path, *names: str, fakes: dict[str, str] | None = None) -> str:
    """A PATH with every command of this machine except `names`, plus fakes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or not Path(d).is_dir():
            continue
        for exe in Path(d).iterdir():
            link = bin_dir / exe.name
            if exe.name not in names and not link.exists() and os.access(exe, os.X_OK):
                link.symlink_to(exe)
    for name, script in (fakes or {}).items():
        (bin_dir / name).unlink(missing_ok=True)
        (bin_dir / name).write_text("#!/bin/sh\n" + script + "\n")
        (bin_dir / name).chmod(0o755)
    return str(bin_dir)


def _reason(cache: Path, path: str) -> str:
    code = "from reference import xlref; print(xlref.unavailable())"
    env = {**os.environ, "XLREF_CACHE": str(cache), "PATH": path,
           "PYTHONPATH": str(Path(__file__).parent)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return proc.stdout.strip()


def test_unavailable_when_apt_cannot_deliver(tmp_path: Path) -> None:
    path = _path_without(tmp_path, fakes={"apt-cache": "exit 100", "apt-get": "exit 100",
                                          "id": 'echo 1000'})
    assert _reason(tmp_path / "cache", path) == (
        "reference Xen tools unavailable: fetch-reference: apt does not know xen-utils-4.17"
        " (run apt-get update as root; Debian 12 sources needed)")


def test_unavailable_without_a_c_compiler(reference: Any, tmp_path: Path) -> None:
    real = reference.tools().cache
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "root").symlink_to(real / "root")
    (cache / "versions.txt").write_text((real / "versions.txt").read_text())
    path = _path_without(tmp_path, "gcc", "cc")
    assert _reason(cache, path) == \
        "reference Xen tools unavailable: fetch-reference: gcc not found" \
        " (apt-get install gcc libc6-dev)"
