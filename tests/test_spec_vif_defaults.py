"""xl.conf's vif.default.* settings seed every vif (xl's set_default_nic_values),
then the spec overrides them: against the reference with the same xl.conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from xl_py.pipeline import build, to_json
from xl_py.settings.xlconf import from_text

XL_CONF = """vif.default.script = "vif-openvswitch"
vif.default.bridge = "ovsbr0"
vif.default.gatewaydev = "eth9"
vif.default.backend = "netback-dom"
"""
CONFIG = """name = "defaults"
type = "pv"
kernel = "/boot/vmlinuz"
memory = 128
uuid = "11111111-2222-3333-4444-555555555555"
vif = [ "", "bridge=br1,script=vif-bridge", "backend=0,gatewaydev=eth0,mac=00:16:3e:00:00:09" ]
"""


@pytest.mark.reference
def test_vif_defaults_from_xl_conf(reference, tmp_path: Path) -> None:
    conf = tmp_path / "xl.conf"
    conf.write_text(XL_CONF)
    cfg = tmp_path / "defaults.cfg"
    cfg.write_text(CONFIG)
    ref = reference.xl_dryrun(cfg, xl_conf=conf)
    assert ref.rc == 0, ref.stderr
    xlconf, _ = from_text(XL_CONF)
    ours = to_json(build(CONFIG, cfg.name, xlconf=xlconf).config)
    assert reference.normalise_uuid(ours) == reference.normalise_uuid(ref.stdout)
    assert '"script": "vif-openvswitch"' in ours and '"bridge": "br1"' in ours
