"""What a cold ``xl-py`` imports: pinned per command path, so start-up cannot
regress by an innocent top-level import (a structural test, not a timed one;
bench/create_dryrun.py and bench/list_xenstore.py print the times).

Each case runs the real command in a fresh interpreter and records
``sys.modules`` when it ends, even when the command fails (an unreachable
xenstored still goes through list's imports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# never on a command's path: compiled-at-import machinery and heavy libraries
NEVER = ("dataclasses", "inspect", "lark", "click", "ctypes", "libvirt", "pyxs", "ast",
         "dis", "tokenize")

# the value sub-languages a config without their keys must not load
DEVICE_PARSERS = ("channel", "pci", "usb", "vdispl", "vfb", "vsnd", "vtpm", "cpuid",
                  "vnuma", "legacy", "legacy_devices", "legacy_sxp", "libvirt_xml")

_RUN = """
import json, sys
from xl_py.cli import main
try:
    main.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open({out!r}, "w") as f:
    json.dump({{"code": code, "modules": sorted(sys.modules)}}, f)
"""


def _modules(tmp_path: Path, argv: list[str], env: dict[str, str] | None = None,
             cwd: Path = REPO) -> tuple[int, set[str]]:
    out = tmp_path / "modules.json"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("XL_PY")}
    environ.update(env or {})
    subprocess.run([sys.executable, "-c", _RUN.format(out=str(out)), *argv], cwd=cwd,
                   env=environ, capture_output=True, check=True, timeout=60)
    result = json.loads(out.read_text())
    return int(result["code"] or 0), set(result["modules"])


def _banned(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for b in banned if m == b or m.startswith(b + "."))


HINT = ("a module on this path imports it at the top: structs are xl_py._record.Record "
        "(not dataclasses), heavy libraries are imported inside the function that needs "
        "them (docs/ARCHITECTURE.md)")


def _cfg(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guest.cfg"
    path.write_text(text)
    return path


def test_create_dry_run_of_a_pv_config(tmp_path: Path) -> None:
    code, mods = _modules(tmp_path, ["-N", "create", "-q", "configs/xl/pv.cfg"],
                          {"XL_PY_CONF": os.devnull})
    assert code == 0
    assert _banned(mods, NEVER) == [], HINT
    assert _banned(mods, ("xl_py.backends",)) == []
    # pv.cfg has a disk and a vif: only those parsers (and vif's rate) load
    assert sorted(m for m in mods if m.startswith("xl_py.settings.")) == [
        f"xl_py.settings.{name}" for name in ("_spec", "devices", "disk", "domain",
                                              "domain_build", "domain_rules",
                                              "domain_values", "rate", "raw", "vif",
                                              "xlconf")]


def test_create_loads_a_sub_parser_when_its_key_occurs(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, 'name = "g"\nkernel = "/k"\nmemory = 128\n'
                         'vtpm = [ "backend=0" ]\nchannel = [ "name=c,connection=pty" ]\n')
    code, mods = _modules(tmp_path, ["-N", "create", "-q", str(cfg)],
                          {"XL_PY_CONF": os.devnull})
    assert code == 0
    assert {"xl_py.settings.vtpm", "xl_py.settings.channel"} <= mods
    assert _banned(mods, tuple(f"xl_py.settings.{n}" for n in DEVICE_PARSERS
                               if n not in ("vtpm", "channel"))) == []
    assert _banned(mods, NEVER) == [], HINT


def test_create_error_path_stays_light(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, 'name = "g"\nmemory = "lots"\nvcpus = 2x\n')
    code, mods = _modules(tmp_path, ["-N", "create", "-q", str(cfg)],
                          {"XL_PY_CONF": os.devnull})
    assert code != 0
    assert _banned(mods, NEVER) == [], HINT


def test_help_and_version_import_no_command_machinery(tmp_path: Path) -> None:
    for argv in (["help"], ["-V"]):
        code, mods = _modules(tmp_path, argv)
        assert code == 0
        assert _banned(mods, (*NEVER, "xl_py.model", "xl_py.settings", "xl_py.syntax",
                              "xl_py.render", "xl_py.backends")) == []


LIST_NEVER = (*NEVER, "xl_py.model", "xl_py.settings", "xl_py.syntax", "xl_py.render",
              "xl_py.pipeline", "xl_py.backends.libxl", "xl_py.backends.libvirt")


def test_list_without_a_reachable_xenstored(tmp_path: Path) -> None:
    code, mods = _modules(tmp_path, ["-c", f"xenstore:{tmp_path / 'no-socket'}", "list"])
    assert code != 0
    assert "xl_py.backends.xenstore" in mods
    assert _banned(mods, LIST_NEVER) == [], HINT


@pytest.fixture(scope="module")
def xenstored_sock(reference: object, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[str]:
    from reference import xlref
    from xs_domains import Dom, add_dom0, add_domain, clear

    from xl_py.backends.xsclient import XsClient

    directory = tmp_path_factory.mktemp("xs-startup")
    sock = str(xlref.start_xenstored(directory, "c"))
    try:
        xs = XsClient(sock)
        clear(xs)
        add_dom0(xs)
        add_domain(xs, Dom(1, "guest", memory_mb=256))
        xs.close()
        yield sock
    finally:
        xlref.stop_xenstored(directory)


@pytest.mark.reference
def test_list_against_a_real_xenstored(tmp_path: Path, xenstored_sock: str) -> None:
    code, mods = _modules(tmp_path, ["-c", "xenstore", "list"],
                          {"XENSTORED_PATH": xenstored_sock})
    assert code == 0
    assert _banned(mods, LIST_NEVER) == [], HINT
