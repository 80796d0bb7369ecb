"""xl.conf (xl_py/settings/xlconf.py): every key xl 4.17 reads, read leniently
like xl (a bad value is a warning and the default stays)."""

from __future__ import annotations

from xl_py.settings.xlconf import KNOWN_KEYS, XlConf, from_text


def test_empty_file_is_xls_defaults() -> None:
    assert from_text("") == (XlConf(), ())


def test_every_setting() -> None:
    conf, warnings = from_text(
        'autoballoon = "off"\nrun_hotplug_scripts = 0\nlockfile = "/run/xl.lock"\n'
        'vif.default.script = "vif-openvswitch"\nvif.default.bridge = "br0"\n'
        'vif.default.gatewaydev = "eth0"\nvif.default.backend = "netdom"\n'
        'output_format = "sxp"\nblkdev_start = "xvdb"\nclaim_mode = 0\n'
        'remus.default.netbufscript = "/etc/xen/remus-netbuf"\n'
        'colo.default.proxyscript = "/etc/xen/colo-proxy"\n'
        'max_grant_frames = 64\nmax_maptrack_frames = 1024\nmax_grant_version = 1\n'
        'vm.cpumask = "0-3"\nvm.hvm.cpumask = "2-3"\nvm.pv.cpumask = "0-1"\n'
        'domid_policy = "random"\n', "xl.conf")
    assert warnings == ()
    assert conf == XlConf(
        autoballoon="off", run_hotplug_scripts=False, lockfile="/run/xl.lock",
        default_vifscript="vif-openvswitch", default_bridge="br0",
        default_gatewaydev="eth0", default_vifbackend="netdom", output_format="sxp",
        blkdev_start="xvdb", claim_mode=False,
        default_remus_netbufscript="/etc/xen/remus-netbuf",
        default_colo_proxy_script="/etc/xen/colo-proxy", max_grant_frames=64,
        max_maptrack_frames=1024, max_grant_version=1, global_vm_affinity_mask="0-3",
        global_hvm_affinity_mask="2-3", global_pv_affinity_mask="0-1",
        domid_policy="random")
    assert len(KNOWN_KEYS) == 21


def test_deprecated_spellings_lose_to_the_new_keys_and_warn() -> None:
    conf, warnings = from_text('vifscript = "old"\nvif.default.script = "new"\n'
                               'defaultbridge = "xenbr9"\n', "xl.conf")
    assert (conf.default_vifscript, conf.default_bridge) == ("new", "xenbr9")
    assert [w.format() for w in warnings] == [
        'xl.conf:1:13: warning: vifscript: deprecated\n'
        '    1 | vifscript = "old"\n      |             ^^^^^\n'
        '  hint: use vif.default.script',
        'xl.conf:3:17: warning: defaultbridge: deprecated\n'
        '    3 | defaultbridge = "xenbr9"\n      |                 ^^^^^^^^\n'
        '  hint: use vif.default.bridge']


def test_bad_values_keep_the_default_with_a_warning() -> None:
    conf, warnings = from_text('autoballoon = "sometimes"\nclaim_mode = "yes"\n'
                               'max_grant_frames = "-5"\nmystery = 1\n', "xl.conf")
    assert conf == XlConf()
    messages = [w.message for w in warnings]
    assert messages[0] == "autoballoon: invalid value 'sometimes', ignored"
    assert any(m.startswith("claim_mode: ") for m in messages)
    assert any(m.startswith("max_grant_frames: ") for m in messages)
    assert messages[-1] == "unknown xl.conf key 'mystery'"


def test_autoballoon_accepts_numbers() -> None:
    assert from_text('autoballoon = "1"\n')[0].autoballoon == "on"
    assert from_text("autoballoon = 0\n")[0].autoballoon == "off"
