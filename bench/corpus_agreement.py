"""Agreement counts of the issue-3 converters with libvirt's own test pairs
(``../shared/corpus/libvirt-xl``, ``libvirt-xm``), per folder and direction,
and -- as root, with libvirt-daemon-driver-xen installed -- with libvirt's real
converter (``virsh domxml-from-native`` / ``domxml-to-native``) and with the
reference ``xl -N create``.  Prints numbers; the tests assert them.

    .venv/bin/python bench/corpus_agreement.py [--no-libvirtd] [--no-xl]

Directions follow libvirt's xlconfigtest.c / xmconfigtest.c ("format": the
.cfg read and turned into the .xml; "parse": the .xml read and written as the
.cfg).  libvirt writes xm files in the "parse" direction of its xm pairs;
xl_py writes xl.cfg, so there the count is of XML -> xl.cfg conversions that
the reference xl accepts and whose XML (read back) means libvirt's: equal once
the changes xl makes on purpose (tests/test_libvirt_xml.py ``_documented``:
file:/tap: disks served by qdisk, qemu-dm dropped, ...) are undone.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_libvirt_xml import (  # noqa: E402
    CFG_TO_XML_ONLY,
    FIRMWARE,
    XM_DISAGREE,
    XML_TO_CFG_ONLY,
    _documented,
    pairs,
)

from xl_py.errors import XlPyError  # noqa: E402
from xl_py.pipeline import libvirt_xml  # noqa: E402
from xl_py.render.xlcfg import render_keys  # noqa: E402
from xl_py.settings.legacy import from_xm, migrate  # noqa: E402
from xl_py.settings.libvirt_xml import format_virconf, xlcfg_values, xml_to_cfg  # noqa: E402
from xl_py.syntax.xm import read_xm  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
XL_DIR, XM_DIR = CORPUS / "libvirt-xl", CORPUS / "libvirt-xm"
XL_DRYRUN = ROOT.parent / "shared" / "tools" / "nohv" / "xl-dryrun.sh"
START_LIBVIRTD = ROOT.parent / "shared" / "tools" / "nohv" / "start-libvirtd.sh"
# xmconfigtest.c: xm pairs read only in the "format" direction
XM_CFG_TO_XML_ONLY = {"paravirt-root", "paravirt-extra-root", "fullvirt-default-feature",
                      "pci-dev-syntax"}
FIXED_UUID = "5c1e9a7b-2d3f-4b6a-8c9d-0e1f2a3b4c5d"


def tally(label: str, items: Iterable[Path], agrees: Callable[[Path], bool | None],
          listed: frozenset[str] = frozenset()) -> None:
    """``agrees`` returns True, False, or None (refused by the reference);
    ``listed`` are the disagreements the tests list with their reasons."""
    items = list(items)
    known = [p.stem for p in items if p.stem in listed]
    items = [p for p in items if p.stem not in listed]
    yes: list[str] = []
    no: list[str] = []
    refused: list[str] = []
    for path in items:
        try:
            verdict = agrees(path)
        except XlPyError as exc:
            verdict = False
            print(f"    {path.name}: {str(exc).splitlines()[0]}")
        (yes if verdict else refused if verdict is None else no).append(path.stem)
    total = len(yes) + len(no) + len(refused)
    extra = f", {len(refused)} refused by the reference" if refused else ""
    if known:
        extra += f"; {len(known)} listed disagreement(s) left out: {', '.join(known)}"
    print(f"  {label}: {len(yes)}/{total} agree{extra}")
    if no:
        print(f"    differ: {', '.join(no)}")


def xm_migrated_xml(path: Path) -> str:
    m = migrate(from_xm(read_xm(path.read_text(), path.name)), lambda: FIXED_UUID)
    return libvirt_xml(dict(m.entries))


def run_xl(text: str) -> dict[str, object] | None:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(text)
        f.flush()
        res = subprocess.run([str(XL_DRYRUN), f.name], capture_output=True, text=True)
    return json.loads(res.stdout) if res.returncode == 0 else None


def corpus_pairs(use_xl: bool) -> None:
    print(f"{XL_DIR.name} (libvirt 9.0 tests/xlconfigdata):")
    tally("format, .cfg -> .xml byte for byte", pairs(XL_DIR, XML_TO_CFG_ONLY),
          lambda p: libvirt_xml(xlcfg_values(p.read_text(), p.name))
          == p.with_suffix(".xml").read_text().replace(*FIRMWARE))
    tally("parse, .xml -> .cfg byte for byte", pairs(XL_DIR, CFG_TO_XML_ONLY),
          lambda p: format_virconf(xml_to_cfg(p.with_suffix(".xml").read_text(), p.name)[1])
          == p.read_text())
    print(f"{XM_DIR.name} (libvirt 9.0 tests/xmconfigdata):")
    xm = sorted(XM_DIR.glob("*.cfg"))
    tally("format, xm .cfg -> migrate-config -> XML, same meaning as the .xml "
          "(documented changes undone)", xm,
          lambda p: _documented(xm_migrated_xml(p))
          == _documented(p.with_suffix(".xml").read_text()), frozenset(XM_DISAGREE))
    back = [p.with_suffix(".xml") for p in xm if p.stem[5:] not in XM_CFG_TO_XML_ONLY
            and p.with_suffix(".xml").exists()]
    tally("parse, .xml -> xl.cfg -> XML again means the .xml (documented changes undone)",
          back, lambda p: _documented(libvirt_xml(xml_to_cfg(p.read_text(), p.name)[1]))
          == _documented(p.read_text()), frozenset({"sexpr2xml-pv-bootloader"}))
    if use_xl:
        tally("parse, .xml -> xl.cfg accepted by the reference xl, same name/memory/disks",
              back, lambda p: xl_reads_xml_conversion(p))
        tally("format, xm .cfg -> migrate-config xl.cfg accepted by the reference xl", xm,
              lambda p: xl_accepts_migrated(p))


def xl_reads_xml_conversion(path: Path) -> bool | None:
    cfg = xml_to_cfg(path.read_text(), path.name)[1]
    data = run_xl(render_keys(cfg.items()))
    if data is None:
        return None
    c_info, b_info = data["c_info"], data["b_info"]
    assert isinstance(c_info, dict) and isinstance(b_info, dict)
    disks = [s.split("target=", 1)[1] for s in cfg.get("disk", []) if "target=" in s]
    got = [d.get("pdev_path") for d in data.get("disks", []) if d.get("pdev_path")]  # type: ignore[attr-defined]
    return bool(c_info["name"] == cfg["name"]
                and b_info["target_memkb"] == cfg["memory"] * 1024 and got == disks)


def xl_accepts_migrated(path: Path) -> bool | None:
    m = migrate(from_xm(read_xm(path.read_text(), path.name)), lambda: FIXED_UUID)
    return None if run_xl(render_keys(m.entries, m.comments)) is None else True


def real_converter() -> None:
    import os
    import shutil

    if os.geteuid() != 0 or shutil.which("virsh") is None or not START_LIBVIRTD.exists():
        print("libvirtd: not run (needs root, virsh and ../shared/tools/nohv)")
        return
    state = Path(tempfile.mkdtemp(prefix="xlpy-agree-"))
    proc = subprocess.run([str(START_LIBVIRTD), str(state), "xen"], capture_output=True,
                          text=True, timeout=300)
    try:
        if proc.returncode != 0:
            print(f"libvirtd: did not start: {proc.stderr.strip()[-200:]}")
            return
        uri = f"xen+unix:///system?socket={proc.stdout.strip().splitlines()[-1]}"

        def virsh(*args: str) -> str | None:
            out = subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True)
            return out.stdout.rstrip("\n") + "\n" if out.returncode == 0 else None

        def no_secrets(xml: str) -> str:
            return re.sub(r" passwd='[^']*'", "", xml)

        def from_native(fmt: str, ours: Callable[[Path], str]) -> Callable[[Path], bool | None]:
            def check(p: Path) -> bool | None:
                theirs = virsh("domxml-from-native", fmt, str(p))
                return None if theirs is None else no_secrets(ours(p)) == theirs
            return check

        def to_native(p: Path) -> bool | None:
            theirs = virsh("domxml-to-native", "xen-xl", str(p))
            return None if theirs is None else (
                format_virconf(xml_to_cfg(p.read_text(), p.name)[1]) == theirs)

        print("libvirt 9.0's real converter (virsh, libxl driver):")
        tally("domxml-from-native xen-xl on libvirt-xl/*.cfg: our XML is libvirt's",
              sorted(XL_DIR.glob("*.cfg")),
              from_native("xen-xl", lambda p: libvirt_xml(xlcfg_values(p.read_text(), p.name))))
        tally("domxml-to-native xen-xl on libvirt-xl/*.xml: our xl.cfg is libvirt's",
              sorted(XL_DIR.glob("*.xml")), to_native)

        def xm_meaning(p: Path) -> bool | None:
            theirs = virsh("domxml-from-native", "xen-xm", str(p))
            if theirs is None:
                return None
            ours = no_secrets(xm_migrated_xml(p))
            if "uuid" not in p.read_text():
                ours, theirs = (re.sub(r"<uuid>[^<]*</uuid>", "", x) for x in (ours, theirs))
            return _documented(ours) == _documented(theirs)

        tally("domxml-from-native xen-xm on libvirt-xm/*.cfg: same meaning as migrate-config",
              sorted(XM_DIR.glob("*.cfg")), xm_meaning,
              frozenset({"test-paravirt-maxvcpus", "test-paravirt-vcpu"}))  # maxvcpus: no xm key
    finally:
        subprocess.run([str(START_LIBVIRTD), str(state), "stop"], capture_output=True,
                       timeout=60)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-libvirtd", action="store_true", help="skip libvirt's real converter")
    ap.add_argument("--no-xl", action="store_true", help="skip the reference xl")
    args = ap.parse_args()
    if not XL_DIR.is_dir():
        print(f"no corpus at {CORPUS}")
        return 0
    corpus_pairs(use_xl=not args.no_xl and XL_DRYRUN.exists())
    if not args.no_libvirtd:
        real_converter()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
