"""``-N block-attach`` / ``-N network-attach``: xl 4.17 prints the device it would
attach as libxl JSON (``disk: {...}`` / ``vif: {...}``, xl_block.c / xl_nic.c) and
attaches nothing.  block-attach is compared byte for byte with the real ``xl -N``
on the stand-in (xl -N network-attach dies there in the stand-in's futex, so the
real-Xen lane compares it: tests/e2e/test_e2e_runtime.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DISKS = [
    ("format=raw,vdev=xvdb,access=rw,target=/srv/b.img",),
    ("/srv/c.iso,raw,hdc,r,devtype=cdrom",),
    ("/srv/d.qcow2,qcow2,xvdc,w",),
    ("vdev=xvdd", "backendtype=qdisk", "target=/srv/e.img"),
    ("phy:/dev/vg/lv,xvde,w",),
]


def xlpy(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xl_py.cli.main", *argv],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={"XL_PY_CONF": "/dev/null", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("spec", DISKS, ids=[" ".join(d) for d in DISKS])
def test_block_attach_dry_run_is_xls(reference: object, spec: tuple[str, ...]) -> None:
    from reference import xlref

    theirs = subprocess.run([str(xlref.tools().xl), "-N", "block-attach", "0", *spec],
                            capture_output=True, text=True, env=xlref.xl_env(), timeout=60,
                            check=False)
    assert theirs.returncode == 0, theirs.stderr
    ours = xlpy("-N", "block-attach", "0", *spec)
    assert (ours.returncode, ours.stdout) == (0, theirs.stdout), ours.stderr


def test_network_attach_dry_run_prints_the_nic() -> None:
    ours = xlpy("-N", "network-attach", "0", "mac=00:16:3e:01:02:03", "bridge=br1",
                "rate=10Mb/s")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == ('vif: {\n    "mac": "00:16:3e:01:02:03",\n    "bridge": "br1",\n'
                           '    "rate_bytes_per_interval": 62500,\n'
                           '    "rate_interval_usecs": 50000\n}\n\n')


def test_other_device_commands_still_refuse_n() -> None:
    ours = xlpy("-N", "block-detach", "0", "xvdb")
    assert (ours.returncode, ours.stderr) == (
        2, "error: command 'block-detach' does not implement -N (dryrun) option\n")
