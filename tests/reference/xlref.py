"""Run the reference Xen 4.17 tools: `xl -N create` and libxlutil.

STABLE API (other tests import these names; keep them):

    unavailable() -> str | None           reason the reference cannot run, or None
    xl_dryrun(cfg, *args, xl_conf=None) -> Result(rc, stdout, stderr)
    xlu_parse(cfg, keys=None, all_keys=False) -> dict   libxlutil's view of a file
    xlu_disk(spec) / xlu_pci(spec) / xlu_vif_rate(rate) -> dict
    normalise_uuid(json_text) -> str      replaces the random c_info.uuid

TEMPORARY implementation: delegates to ../shared/tools/nohv until the
project's own harness (fetch + our LD_PRELOAD stand-in) replaces it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "tools" / "nohv"
STATE = Path(os.environ.get("XLREF_DIR", "/tmp/xlref"))


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str


def unavailable() -> str | None:
    if not (SHARED / "xl-dryrun.sh").exists():
        return f"reference tools not found at {SHARED}"
    return None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("XS_CACHE", str(STATE / "xen"))
    env.setdefault("XS_DIR", str(STATE / "xs"))
    return env


def xl_dryrun(cfg: str | Path, *args: str, xl_conf: str | Path | None = None) -> Result:
    if xl_conf is not None:
        raise NotImplementedError("xl_conf needs the project's own harness")
    proc = subprocess.run([str(SHARED / "xl-dryrun.sh"), str(cfg), *args],
                          capture_output=True, text=True, env=_env(), timeout=60)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _ensure_unpacked() -> None:
    if not (STATE / "xen" / "root" / "usr" / "lib" / "x86_64-linux-gnu").is_dir():
        subprocess.run([str(SHARED / "start-xenstored.sh"), str(STATE / "xs"), "c"],
                       capture_output=True, env=_env(), timeout=300, check=True)


def _oracle(*args: str) -> dict[str, object]:
    _ensure_unpacked()
    proc = subprocess.run([sys.executable, str(SHARED / "xlu_oracle.py"), *args],
                          capture_output=True, text=True, env=_env(), timeout=60)
    out: dict[str, object] = json.loads(proc.stdout)
    return out


def xlu_parse(cfg: str | Path, keys: list[str] | None = None,
              all_keys: bool = False) -> dict[str, object]:
    args = [str(cfg)]
    if all_keys:
        args.append("--all")
    for k in keys or []:
        args += ["-k", k]
    return _oracle(*args)


def xlu_disk(spec: str) -> dict[str, object]:
    return _oracle("--disk", spec)


def xlu_pci(spec: str) -> dict[str, object]:
    return _oracle("--pci", spec)


def xlu_vif_rate(rate: str) -> dict[str, object]:
    return _oracle("--vif-rate", rate)


_UUID = re.compile(r'("uuid": )"[0-9a-f-]{36}"')


def normalise_uuid(text: str) -> str:
    return _UUID.sub(r'\1"<uuid>"', text, count=1)
