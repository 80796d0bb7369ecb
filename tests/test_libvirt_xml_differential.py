"""Our xl.cfg <-> libvirt XML converters against libvirt 9.0's own (the real
libxl driver's xen-xl reader and writer, through a standalone libvirtd on the
reference harness's shim), over our own configs: every valid
tests/data/xl/**/*.cfg (golden-tested against the real xl), configs/xl/*.cfg
and tests/data/legacy/*.cfg.  No corpus needed: this runs in CI.

Each input is one of: libvirt's XML and ours agree; they differ where xl's
meaning and libvirt's reading part (DOCUMENTED, a reason each); libvirt
refuses the input (FROM_REFUSED, libvirt's message).  The other direction
reads the XML we write back with libvirt's writer and with ours.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xl_py.errors import ConfigValueError
from xl_py.pipeline import libvirt_xml
from xl_py.settings.libvirt_xml import format_virconf, xlcfg_values, xml_to_cfg

libvirt = pytest.importorskip("libvirt")

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"

# libvirtd 9.0's xen-xl reader segfaults on these (the daemon dies): never sent
CRASHES_LIBVIRTD = {
    "data/xl/devices/channel_spaces.cfg":
        "' name = n ' leaves the channel name NULL in xenParseXLChannel (segfault)",
}

# where our XML keeps xl's meaning and libvirt's reading does not
DOCUMENTED = {
    "vif-without-mac": "libvirt writes <mac address='00:00:00:00:00:00'/> for a vif "
                       "without mac=; xl-py leaves the MAC out, so one is generated as xl does",
    "data/xl/devices/mixed_pv.cfg": "PV vfb without vncunused=: xl's default is 1 "
                                    "(autoport), libvirt reads autoport='no'",
    "data/xl/devices/vfb_empty.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_keymap.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_spaces.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_two_pvh.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_unknown.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_vkb_pv.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_vnc.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/domain/pv-vnc-with-vfb.cfg": "PV vfb without vncunused= (as mixed_pv)",
    "data/xl/devices/vfb_off.cfg": "vnc=0,sdl=0: no display; libvirt reads any vfb as VNC",
    "data/xl/devices/vfb_sdl.cfg": "sdl=1: libvirt only knows libvirt's own 'type=sdl'",
    "data/xl/devices/vfb_stop_word.cfg": "libvirt stops reading the vfb at a word without "
                                         "'=' (keymap=fr lost); xl skips the word",
    "data/xl/domain/memory-octal.cfg": "memory = 01000 is octal for xl (strtol), "
                                       "decimal 1000 for libvirt's virConf",
    "data/xl/domain/pv-bootloader-args-list.cfg": "libvirt's xen-xl reader reads xm's "
                                                  "bootargs, not xl's bootloader_args",
    "data/xl/domain/pv-bootloader-args-string.cfg": "bootloader_args (as -list)",
    "data/xl/mixed/pv-pygrub-vnc.cfg": "bootloader_args (as -list)",
    "data/xl/devices/disk_cdrom_empty_hvm.cfg": "an empty cdrom: libvirt writes <source "
                                                "file=''/> (schema-invalid), we no <source>",
    "data/xl/devices/disk_cdrom_short_hvm.cfg": "an empty cdrom (as disk_cdrom_empty_hvm)",
    "data/xl/domain/vnclisten-with-display.cfg": "vnclisten HOST:N is display N on HOST: "
                                                 "libvirt writes listen='HOST:N' (schema-invalid)",
}

#: libvirt's converter reads these and writes XML its own schema rejects, with
#: a meaning libvirt cannot express: we refuse them (the message names the key)
WE_REFUSE_LIBVIRT_WRITES_INVALID = {
    "data/xl/devices/disk_drbd_prefix.cfg": "disk 'drbd:res0,xvda,w': the block script "
                                            "block-drbd has no libvirt form",
    "data/xl/devices/disk_iscsi_prefix.cfg": "disk 'iscsi:iqn.2001-05.com.example:disk0,"
                                             "xvda,w': the block script block-iscsi has no "
                                             "libvirt form",
    "data/xl/devices/disk_kv_script.cfg": "disk 'vdev=xvda,script=block-iscsi,target=iqn."
                                          "2001-05.com.example:x': the block script "
                                          "block-iscsi has no libvirt form",
    "data/xl/devices/disk_nbd_prefix.cfg": "disk 'nbd:server:10809,xvda,w': the block script "
                                           "block-nbd has no libvirt form",
    "data/xl/domain/vcpus-zero.cfg": "vcpus = 0: libvirt's <vcpu> needs at least one vCPU "
                                     "online",
    "data/xl/mixed/hvm-cpuid-single-bit-fields-0.cfg": "cpuid 'lfence+=s': libvirt's "
                                                       "<cpu><feature name> takes letters",
    "data/xl/mixed/hvm-cpuid-single-bit-fields-1.cfg": "cpuid 'lfence+=x': libvirt's "
                                                       "<cpu><feature name> takes letters",
}

#: the ones our converter refuses too (the rest we convert: xl's meaning kept)
WE_REFUSE_TOO = {
    "spec_cpuid_bad_value", "spec_cpuid_bad_words", "spec_cpuid_ext_family",
    "spec_cpuid_family_model", "spec_cpuid_keep_values", "spec_cpuid_named_fields",
    "spec_cpuid_no_host", "spec_cpuid_xend", "spec_cpuid_xend_bad", "cpuid-xend-form",
    "hvm-cpuid-multi-bit-fields", "hvm-cpuid-xend-leaf-unused",
    "hvm-cpuid-xend-only-leaf-unused", "pci_all_funcs_hvm", "pci_name_hvm",
    "hvm-pci-bare-0x", "cpus-nodes", "hvm-cpus-list-with-nodes", "pv-cpus-node-prefix",
    "lenient-memory-not-a-number", "on-reboot-soft-reset",
}

FROM_REFUSED = {
    'data/xl/devices/disk_kv_standalone.cfg':
        'unsupported configuration: disk backend not supported: standalone',
    'data/xl/devices/disk_plus_eq.cfg':
        'configuration file syntax error: memory conf:8: expecting an assignment',
    'data/xl/devices/mixed_hvm.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/pci_all_funcs_hvm.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/pci_kv_bdf_hvm.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/pci_name_hvm.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/pci_vslot_hvm.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/spec_cpuid_bad_value.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: tm=q',
    'data/xl/devices/spec_cpuid_bad_words.cfg':
        'configuration file syntax error: Invalid libxl cpuid key=value element: tm',
    'data/xl/devices/spec_cpuid_ext_family.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: family=21',
    'data/xl/devices/spec_cpuid_family_model.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: family=6',
    'data/xl/devices/spec_cpuid_keep_values.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: maxleaf=13',
    'data/xl/devices/spec_cpuid_named_fields.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: nc=3',
    'data/xl/devices/spec_cpuid_no_host.cfg':
        'configuration file syntax error: cpuid starting with nohost is not supported, '
        'only libxl format is',
    'data/xl/devices/spec_cpuid_xend.cfg':
        "internal error: memory conf: expected a string for 'cpuid' parameter",
    'data/xl/devices/spec_cpuid_xend_bad.cfg':
        "internal error: memory conf: expected a string for 'cpuid' parameter",
    'data/xl/devices/spec_vnuma_no_maxvcpus.cfg':
        'configuration file syntax error: Incomplete vnuma configuration for vnode 0',
    'data/xl/devices/spec_vnuma_one_node_pv.cfg':
        'configuration file syntax error: Incomplete vnuma configuration for vnode 0',
    'data/xl/devices/spec_vnuma_two_nodes_hvm.cfg':
        'unsupported configuration: Distance value 10 under node 1 is LOCAL_DISTANCE and '
        'should be set to 10',
    'data/xl/devices/vif_bad_mac.cfg':
        "internal error: malformed mac address 'zz:16:3e:12:34:56'",
    'data/xl/devices/vif_mac_dashes.cfg':
        "internal error: malformed mac address '00-16-3e-12-34-56'",
    'data/xl/devices/vif_partial_mac.cfg':
        "internal error: malformed mac address '00:16:zz'",
    'data/xl/devices/vif_trusted.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/vif_unknown_word.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/devices/vif_untrusted.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/domain/cpuid-xend-form.cfg':
        "internal error: memory conf: expected a string for 'cpuid' parameter",
    'data/xl/domain/cpus-all.cfg':
        "invalid argument: Failed to parse bitmap 'all'",
    'data/xl/domain/cpus-list-longer-than-vcpus.cfg':
        "internal error: memory conf: expected a string for 'cpus' parameter",
    'data/xl/domain/cpus-list.cfg':
        "internal error: memory conf: expected a string for 'cpus' parameter",
    'data/xl/domain/cpus-nodes.cfg':
        "invalid argument: Failed to parse bitmap 'nodes:0'",
    'data/xl/domain/extra-plus-equals.cfg':
        'configuration file syntax error: memory conf:5: expecting an assignment',
    'data/xl/domain/hvm-devices-and-display.cfg':
        "internal error: memory conf: expected a string for 'cpus' parameter",
    'data/xl/domain/lenient-memory-not-a-number.cfg':
        'internal error: config value memory was malformed',
    'data/xl/domain/lenient-on-crash-list.cfg':
        "internal error: memory conf: expected a string for 'on_crash' parameter",
    'data/xl/domain/lenient-vcpus-plus-equals.cfg':
        'configuration file syntax error: memory conf:4: expecting an assignment',
    'data/xl/domain/memory-hex.cfg':
        'configuration file syntax error: memory conf:4: expecting a separator',
    'data/xl/domain/on-reboot-soft-reset.cfg':
        'internal error: unexpected value soft-reset for on_reboot',
    'data/xl/domain/soundhw.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/domain/spice-extras.cfg':
        'internal error: config value spicepasswd was missing',
    'data/xl/domain/string-escapes.cfg':
        'configuration file syntax error: memory conf:4: expecting a separator',
    'data/xl/domain/tsc-mode-number.cfg':
        "internal error: memory conf: expected a string for 'tsc_mode' parameter",
    'data/xl/domain/type-empty-is-hvm.cfg':
        'unsupported configuration: type  is not supported',
    'data/xl/domain/type-prefix-h.cfg':
        'unsupported configuration: type h is not supported',
    'data/xl/domain/type-prefix-p.cfg':
        'unsupported configuration: type p is not supported',
    'data/xl/domain/viridian-all.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/domain/viridian-base-only.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/domain/viridian-empty-list.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/domain/viridian-groups.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/mixed/hvm-cpuid-multi-bit-fields.cfg':
        'configuration file syntax error: Invalid libxl cpuid value: maxleaf=13',
    'data/xl/mixed/hvm-cpuid-xend-leaf-unused.cfg':
        "internal error: memory conf: expected a string for 'cpuid' parameter",
    'data/xl/mixed/hvm-cpuid-xend-only-leaf-unused.cfg':
        "internal error: memory conf: expected a string for 'cpuid' parameter",
    'data/xl/mixed/hvm-cpus-list-with-nodes.cfg':
        "internal error: memory conf: expected a string for 'cpus' parameter",
    'data/xl/mixed/hvm-pci-bare-0x.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/mixed/hvm-server-passthrough.cfg':
        'An error occurred, but the cause is unknown',
    'data/xl/mixed/hvm-viridian-all-but.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/mixed/hvm-viridian-defaults-and-more.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/mixed/hvm-viridian-every-group.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/mixed/hvm-windows-desktop.cfg':
        'internal error: config value viridian was malformed',
    'data/xl/mixed/pv-cpus-node-prefix.cfg':
        "invalid argument: Failed to parse bitmap 'node:0'",
    'data/xl/mixed/pv-semicolons-and-comments.cfg':
        'configuration file syntax error: memory conf:6: expecting a value',
    'data/xl/mixed/pvh-plus-equals.cfg':
        'configuration file syntax error: memory conf:8: expecting an assignment',
    'data/xl/mixed/pvh-vif-mac-not-hex.cfg':
        "internal error: malformed mac address '00:16:3e:zz:00:01'",
}

TO_REFUSED = {
    'data/xl/devices/spec_vnuma_no_maxvcpus.cfg':
        'internal error: Number of CPUs in <numa> exceeds the <vcpu> count',
    'data/xl/devices/spec_vnuma_one_node_pv.cfg':
        'internal error: Number of CPUs in <numa> exceeds the <vcpu> count',
    'data/xl/devices/spec_vnuma_two_nodes_hvm.cfg':
        "XML error: 'value 10' is invalid for 'sibling id 0' under NUMA 'cell id 1'",
}


def inputs() -> list[str]:
    """Paths relative to tests/ (configs/xl as ../configs/xl/...)."""
    valid = sorted(str(p.relative_to(TESTS)) for p in (TESTS / "data" / "xl").rglob("*.cfg")
                   if p.with_suffix(".json").exists())
    valid += sorted(f"../configs/xl/{p.name}" for p in (ROOT / "configs" / "xl").glob("*.cfg"))
    valid += sorted(str(p.relative_to(TESTS)) for p in (TESTS / "data" / "legacy").glob("*.cfg"))
    return [p for p in valid if p not in CRASHES_LIBVIRTD]


@pytest.fixture(scope="module")
def conn() -> Iterator[Any]:
    from test_backend_libvirt_xen import Libvirtd, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="xlpy-lvdiff-"))
    daemon = Libvirtd(root / "d")
    try:
        daemon.start()
    except RuntimeError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(str(exc))
    libvirt.registerErrorHandler(lambda *_: None, None)
    c = libvirt.open(daemon.uri)
    try:
        yield c
    finally:
        c.close()
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def _canon_xml(text: str) -> str:
    """Drop what DOCUMENTED['vif-without-mac'] and the passwords (virsh hides
    them) explain, then compare canonical XML."""
    root = ET.fromstring(text)
    for net in root.findall("devices/interface"):
        mac = net.find("mac")
        if mac is not None and mac.get("address") == "00:00:00:00:00:00":
            net.remove(mac)
    for g in root.findall("devices/graphics"):
        g.attrib.pop("passwd", None)
    return ET.canonicalize(ET.tostring(root, encoding="unicode"), strip_text=True)


def _no_generated_mac(cfg_text: str, xml: str) -> str:
    """libvirt generates a MAC (00:16:3e:...) for an <interface> without one:
    drop the MACs the XML does not have."""
    def drop(m: re.Match[str]) -> str:
        if f"address='{m.group(1)}'" in xml:
            return m.group(0)
        return '"' if m.group(2) == "," else '""'
    return re.sub(r'"mac=(00:16:3e:[0-9a-f:]{8})(,|")', drop, cfg_text)


def _uuid_free(theirs: str, ours: str) -> str:
    return re.sub(r"  <uuid>[^<]*</uuid>\n", "", theirs) if "<uuid>" not in ours else theirs


def test_cfg_to_xml_against_libvirts_reader(conn: Any) -> None:
    agree, documented, refused, differ = [], [], {}, []
    we_refuse: dict[str, str] = {}
    for rel in inputs():
        text = (TESTS / rel).read_text()
        try:
            theirs = conn.domainXMLFromNative("xen-xl", text, 0)
        except libvirt.libvirtError as exc:
            refused[rel] = exc.get_error_message()
            continue
        try:
            ours = libvirt_xml(xlcfg_values(text, rel))
        except ConfigValueError as exc:
            we_refuse[rel] = str(exc)
            continue
        if _canon_xml(_uuid_free(theirs, ours)) == _canon_xml(ours):
            (documented if "00:00:00:00:00:00" in theirs else agree).append(rel)
        elif rel in DOCUMENTED:
            documented.append(rel)
        else:
            differ.append(rel)
    assert differ == []
    assert refused == FROM_REFUSED
    assert {rel: msg for rel, msg in we_refuse.items()
            if msg.startswith(f"error: {WE_REFUSE_LIBVIRT_WRITES_INVALID.get(rel)}")} == we_refuse
    assert set(we_refuse) == set(WE_REFUSE_LIBVIRT_WRITES_INVALID)
    assert sorted(set(DOCUMENTED) - {"vif-without-mac"}) == sorted(
        r for r in documented if r in DOCUMENTED)
    assert (len(agree), len(documented), len(refused)) == (297, 54, 62)


def test_refused_inputs_ours_too_or_xl_meaning(conn: Any) -> None:
    """Where libvirt refuses, we either refuse with a message naming the key,
    or write XML that libvirt's schema accepts (xl's meaning kept)."""
    refuse = set()
    for rel in FROM_REFUSED:
        try:
            libvirt_xml(xlcfg_values((TESTS / rel).read_text(), rel))
        except ConfigValueError:
            refuse.add(Path(rel).stem)
    assert refuse == WE_REFUSE_TOO


def test_xml_to_cfg_against_libvirts_writer(conn: Any) -> None:
    """Our XML read back: libvirt's writer and ours write the same xl.cfg."""
    agree, refused, differ = 0, {}, []
    for rel in inputs():
        try:
            xml = libvirt_xml(xlcfg_values((TESTS / rel).read_text(), rel))
        except ConfigValueError:
            continue
        try:
            theirs = conn.domainXMLToNative("xen-xl", xml, 0)
        except libvirt.libvirtError as exc:
            refused[rel] = exc.get_error_message()
            continue
        ours = format_virconf(xml_to_cfg(xml, rel, new_uuid=lambda: "U")[1])
        if "<uuid>" not in xml:
            theirs = re.sub(r'uuid = "[^"]*"', 'uuid = "U"', theirs)
        if _no_generated_mac(theirs, xml) == ours:
            agree += 1
        else:
            differ.append(rel)
    assert differ == []
    assert refused == TO_REFUSED
    assert agree == 389


VALIDATE = shutil.which("virt-xml-validate")
# libvirt's schema rejects these (none: where libvirt's own converter writes
# schema-invalid XML we write valid XML with xl's meaning, or refuse the input)
SCHEMA_REJECTS: dict[str, str] = {}  # each: why it cannot be valid


@pytest.mark.skipif(VALIDATE is None, reason="virt-xml-validate (libxml2-utils) not installed")
def test_every_xml_we_write_for_our_configs_validates(tmp_path: Path) -> None:
    assert VALIDATE is not None
    failures, count = [], 0
    for rel in inputs():
        try:
            xml = libvirt_xml(xlcfg_values((TESTS / rel).read_text(), rel))
        except ConfigValueError:
            continue
        path = tmp_path / "d.xml"
        path.write_text(xml)
        count += 1
        proc = subprocess.run([VALIDATE, str(path), "domain"], capture_output=True, text=True)
        if proc.returncode != 0:
            failures.append(rel)
    assert set(failures) == set(SCHEMA_REJECTS)
    assert count >= 390
