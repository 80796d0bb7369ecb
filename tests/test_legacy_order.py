"""xend read every option of a config before using any: the migration of an xm
or SXP config does not depend on the order of its keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xl_py._record import replace
from xl_py.settings.legacy import LegacyInput, Migration, from_xm, migrate
from xl_py.settings.legacy_sxp import from_sxp
from xl_py.syntax.sxp import parse_sxp
from xl_py.syntax.xm import read_xm

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXED_UUID = "00000000-0000-4000-8000-00000000abcd"
SOURCES = sorted([*(ROOT / "configs" / "legacy").iterdir(),
                  *(ROOT / "tests" / "data" / "sxp").glob("*.sxp"),
                  *CORPUS.glob("xen-examples/*/xmexample*"), *CORPUS.glob("libvirt-xm/*.cfg"),
                  *(p for p in CORPUS.glob("sxp/*.sexpr") if "net-routed" not in p.name)])
# every key whose row reads another key
ENTANGLED = (
    "name = 'g'\nvcpus = 4\nvcpu_avail = 5\ncpu = 1\ncpus = '2-3'\nbootloader = 'pygrub'\n"
    "bootargs = '-q'\nbootentry = 'xen'\nrestart = 'always'\non_crash = 'preserve'\n"
    "root = 'root=/dev/nfs'\nextra = 'quiet'\nip = '10.0.0.2'\ndhcp = 'off'\n"
    "netmask = '255.0.0.0'\nnfs_server = '10.0.0.1'\nnfs_root = '/export/g'\nnics = 3\n"
    "vif = ['bridge=br0']\nkeymap = 'de'\nvfb = ['type=vnc']\nvnc = 1\nmemory = 256\n"
    "maxmem = 512\nkernel = '/k'\ndescription = 'one\\ntwo'\n",
    "name = 'h'\nbuilder = 'hvm'\nvcpu_avail = 1\nvcpus = 2\nvnc = 1\nvncunused = 0\n"
    "keymap = 'fr'\nstdvga = 1\nserial = 'pty'\nboot = 'd'\nnographic = 0\n"
    "kernel = '/usr/lib/xen/boot/hvmloader'\ndevice_model = 'qemu-dm'\n",
)


def legacy_input(path: Path | str) -> LegacyInput:
    if isinstance(path, str):
        return from_xm(read_xm(path, "entangled.cfg"))
    text = path.read_text()
    if path.suffix in (".sxp", ".sexpr"):
        return from_sxp(parse_sxp(text, path.name))
    return from_xm(read_xm(text, path.name, defines={"vmid": "3"}))


def meaning(m: Migration) -> tuple[Any, ...]:
    """What the migration says, without the order it says it in."""
    return (sorted(m.entries, key=repr), sorted(m.comments),
            sorted((r.key, r.status, r.xl, r.detail) for r in m.report),
            sorted(d.message for d in m.diagnostics))


def orders(inp: LegacyInput) -> list[LegacyInput]:
    values = inp.values
    shuffles = [values[::-1]] + [values[n:] + values[:n] for n in range(1, len(values))]
    return [replace(inp, values=v) for v in shuffles]


def mig(inp: LegacyInput) -> Migration:
    return migrate(inp, lambda: FIXED_UUID)


@pytest.mark.parametrize("path", [*SOURCES, *ENTANGLED],
                         ids=lambda p: p.name if isinstance(p, Path) else p.split("\n")[0])
def test_key_order_does_not_change_the_meaning(path: Path | str) -> None:
    inp = legacy_input(path)
    want = meaning(mig(inp))
    for shuffled in orders(inp):
        assert meaning(mig(shuffled)) == want, [v.name for v in shuffled.values]


def test_vcpu_avail_before_vcpus_in_an_xm_file() -> None:
    """xend read vcpus before using vcpu_avail, wherever the file set them."""
    for src in ("name = 'g'\nvcpu_avail = 3\nvcpus = 4\n",
                "name = 'g'\nvcpus = 4\nvcpu_avail = 3\n"):
        m = mig(from_xm(read_xm(src, "g.cfg")))
        assert (m.get("vcpus"), m.get("maxvcpus")) == (2, 4)
        report = {r.key: (r.status, r.xl, r.detail) for r in m.report}
        assert report["vcpus"] == ("changed", ("maxvcpus",), "the number of vcpus: "
                                   "maxvcpus=4; vcpu_avail= says how many are online "
                                   "(see vcpu_avail)")
        assert report["vcpu_avail"] == ("changed", ("vcpus", "maxvcpus"),
                                        "bitmask 0x3 of 4 vcpus -> vcpus=2, maxvcpus=4")
