"""``xl-py create``: xl's argument rules, xl.conf lookup, messages, exit codes."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from xl_py.errors import BackendUnavailable, XlPyError

REPO = Path(__file__).resolve().parents[1]
PV = REPO / "configs" / "xl" / "pv.cfg"


def create(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    from xl_py.cli.context import Context
    from xl_py.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k != "XL_PY_CONF"}
    environ.update(env or {"XL_PY_CONF": os.devnull})
    ctx = Context(environ=environ, stdout=out, stderr=err)
    try:
        rc = run(list(args), ctx)
    except XlPyError as exc:
        err.write("\n".join(d.format() for d in exc.diagnostics()) + "\n")
        rc = exc.exit_code
    return rc, out.getvalue(), err.getvalue()


def test_dry_run_prints_json_and_says_what_it_parses() -> None:
    rc, out, err = create("-N", "create", str(PV))
    assert rc == 0
    assert json.loads(out)["c_info"]["name"] == "pv-guest"
    assert err == f"Parsing config from {PV}\n"


def test_create_n_option_and_quiet() -> None:
    rc, out, err = create("create", "-n", "-q", str(PV))
    assert (rc, err) == (0, "")
    assert json.loads(out)["b_info"]["target_memkb"] == 524288


def test_extra_settings_win_over_the_file() -> None:
    _, out, _ = create("-N", "create", "-q", str(PV), "memory=256", 'name="other"')
    doc = json.loads(out)
    assert (doc["b_info"]["target_memkb"], doc["c_info"]["name"]) == (262144, "other")


def test_errors_in_extra_settings_are_placed_on_the_command_line() -> None:
    """xl parses the arguments as lines after the file and blames the file's
    line 15 (past its end); xl-py names the argument."""
    rc, out, err = create("-N", "create", "-q", str(PV), "vcpus=2", "memory=abc")
    assert (rc, out) == (1, "")
    assert err == (
        "command line:2:8: error: unexpected word 'abc'\n"
        "    2 | memory=abc\n"
        "      |        ^^^\n"
        "  expected: a value: a number, a 'string' or a [list]\n"
        "  hint: strings must be quoted: 'abc'\n")


def test_value_warning_in_extra_settings_names_the_command_line() -> None:
    rc, out, err = create("-N", "create", "-q", str(PV), 'memory="1g"')
    assert rc == 0 and "target_memkb" not in json.loads(out)["b_info"]  # the last memory=
    assert err == (
        "command line:1:8: warning: memory: '1g' is not a number (ignored, as xl does)\n"
        '    1 | memory="1g"\n'
        "      |        ^^^^\n"
        "  expected: an integer: decimal, 0x hex or leading-0 octal (e.g. 512, 0x200, 01000)\n"
        "  hint: write a plain number without a unit\n")


def test_defconfig_option_and_extra_first() -> None:
    rc, out, _ = create("-N", "create", "-q", "vcpus=1", "-f", str(PV))
    assert rc == 0
    assert json.loads(out)["b_info"]["avail_vcpus"] == [0]


def test_dev_null_config_from_the_command_line() -> None:
    rc, out, _ = create("-N", "create", "-q", "/dev/null", 'name="cli"', 'kernel="/k"')
    assert rc == 0
    assert json.loads(out)["b_info"]["kernel"] == "/k"


def test_missing_file() -> None:
    rc, out, err = create("-N", "create", "-q", "/nonexistent.cfg")
    assert (rc, out) == (1, "")
    assert err == "error: Failed to read config file: /nonexistent.cfg: " \
        "No such file or directory\n"


def test_two_config_files_is_a_usage_error() -> None:
    assert create("-N", "create", str(PV), str(PV)) == (
        2, "", f"error: create: unexpected argument '{PV}'\n")


def test_no_config_file_is_a_usage_error() -> None:
    assert create("-N", "create", "memory=1") == (
        2, "", "error: create: no config file given (xl-py create CFG [key=value ...])\n")


def test_without_dry_run_the_backend_creates_and_its_errors_are_reported() -> None:
    assert BackendUnavailable.exit_code == 1
    rc, out, err = create("-c", "xenstore:/nonexistent/xenstored.sock", "create", "-q", str(PV))
    assert (rc, out) == (1, "")
    assert err.startswith("error: cannot connect to xenstored at /nonexistent/xenstored.sock")


def test_xl_conf_from_option_and_environment(tmp_path: Path) -> None:
    conf = tmp_path / "xl.conf"
    conf.write_text("claim_mode = 0\nrun_hotplug_scripts = 0\n")
    _, out, _ = create("-N", "create", "-q", "--xl-conf", str(conf), str(PV))
    assert json.loads(out)["b_info"]["claim_mode"] == "False"
    _, out, _ = create("-N", "create", "-q", str(PV), env={"XL_PY_CONF": str(conf)})
    assert json.loads(out)["c_info"]["run_hotplug_scripts"] == "False"


def test_explicit_xl_conf_must_exist() -> None:
    rc, _, err = create("-N", "create", "-q", "--xl-conf", "/nonexistent/xl.conf", str(PV))
    assert rc == 1
    assert "Failed to read config file: /nonexistent/xl.conf" in err


def test_warnings_go_to_stderr_and_do_not_fail(tmp_path: Path) -> None:
    cfg = tmp_path / "g.cfg"
    cfg.write_text('name = "g"\nkernel = "/k"\nvif2 = [ "x" ]\n')
    rc, out, err = create("-N", "create", "-q", str(cfg))
    assert rc == 0 and out
    assert err == (f"{cfg}:3:1: warning: vif2: netchannel2 is deprecated and not supported\n"
                   "    3 | vif2 = [ \"x\" ]\n      | ^^^^\n  hint: use vif = [ ... ]\n")


def test_all_errors_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text('name = "b"\nkernel = "/k"\non_crash = "x"\ntsc_mode = "y"\n')
    rc, out, err = create("-N", "create", "-q", str(cfg))
    assert (rc, out) == (1, "")
    assert err.count("error:") == 2


def test_ms_vm_genid_generate_is_16_random_bytes(tmp_path: Path) -> None:
    cfg = tmp_path / "g.cfg"
    cfg.write_text('name = "g"\ntype = "hvm"\nms_vm_genid = "generate"\n')
    _, first, _ = create("-N", "create", "-q", str(cfg))
    _, second, _ = create("-N", "create", "-q", str(cfg))
    genid = json.loads(first)["b_info"]["type.hvm"]["ms_vm_genid"]
    assert len(genid) == 16 and all(0 <= b < 256 for b in genid) and any(genid)
    assert genid != json.loads(second)["b_info"]["type.hvm"]["ms_vm_genid"]


def test_uuid_is_random_when_not_given_and_kept_when_given(tmp_path: Path) -> None:
    _, one, _ = create("-N", "create", "-q", str(PV))
    _, two, _ = create("-N", "create", "-q", str(PV))
    assert json.loads(one)["c_info"]["uuid"] != json.loads(two)["c_info"]["uuid"]
    _, fixed, _ = create("-N", "create", "-q", str(PV),
                         'uuid="3F1B2C9A-52D4-4C0E-9A4E-6F2B7D1C8E90"')
    assert json.loads(fixed)["c_info"]["uuid"] == "3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90"


def test_create_through_libvirts_test_driver() -> None:
    import pytest

    pytest.importorskip("libvirt", reason="libvirt-python is not installed")
    rc, out, err = create("-c", "test:///default", "create", "-q", str(PV))
    assert (rc, out, err) == (0, "", "")


def test_create_d_prints_the_libxl_config_on_stderr_then_creates() -> None:
    """xl create -d (xl_vmcontrol.c: debug without dry run prints the config to
    stderr): the same JSON -N prints on stdout, and the domain is created."""
    import pytest

    pytest.importorskip("libvirt", reason="libvirt-python is not installed")
    uuid = 'uuid="3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90"'
    _, dry, _ = create("-N", "create", "-q", str(PV), uuid)
    rc, out, err = create("-c", "test:///default", "create", "-d", "-q", str(PV), uuid)
    assert (rc, out, err) == (0, "", dry)
    rc, out, err = create("-N", "create", "-d", "-q", str(PV), uuid)  # dry run: once, stdout
    assert (rc, out, err) == (0, dry, "")
