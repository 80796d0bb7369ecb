"""xl's save image as the libxl backend writes and reads it (xl.h, xl_saverestore.c,
xl_vmcontrol.c 4.17): the header, the config xl stores, the fd position handed to
libxl_domain_create_restore, the stream version, domid_policy and the --incoming name."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from xl_py.backends import migration
from xl_py.backends.migration import (
    INVALID_DOMID,
    RANDOM_DOMID,
    SaveHeader,
    incoming_config,
    read_header,
    saved_config,
    with_domid_policy,
)

CONFIG = {"c_info": {"type": "pv", "name": "g1", "domid": 7}, "b_info": {"max_vcpus": 1}}


def test_saved_config_is_xls_nul_terminated_json_with_domid_zero() -> None:
    data = saved_config(CONFIG, 7, preserve_domid=False)
    assert data.endswith(b"}\0") and data.count(b"\0") == 1
    assert json.loads(data[:-1])["c_info"] == {"type": "pv", "name": "g1", "domid": 0}
    assert json.loads(saved_config(CONFIG, 7, preserve_domid=True)[:-1])["c_info"]["domid"] == 7
    assert saved_config(None, 7, preserve_domid=False) == b""


def test_header_layout_and_libxl_stream_position(tmp_path: Path) -> None:
    """What follows the header is libxl's stream: the fd handed to libxl must sit
    right there (a buffered reader left it 8 KiB further: "Invalid ident ... got 0")."""
    config = saved_config(CONFIG, 7, preserve_domid=False)
    head = SaveHeader(config=config).pack()
    magic, order, mandatory, optional, optlen = struct.unpack("=32sIIII", head[:48])
    assert magic == b"Xen saved domain, xl format\n \0 \r"  # 32 bytes, xl.h
    assert (order, mandatory, optional, optlen) == (0x01020304, 3, 0, 4 + len(config))
    assert head[48:52] == struct.pack("=I", len(config)) and head[52:] == config
    stream = b"LibxlFmt" + os.urandom(20000)  # libxl's stream starts with its ident
    path = tmp_path / "g1.save"
    path.write_bytes(head + stream)
    with open(path, "rb", buffering=0) as fh:
        got = read_header(fh, str(path))
        assert os.lseek(fh.fileno(), 0, os.SEEK_CUR) == len(head)
        assert os.read(fh.fileno(), 8) == b"LibxlFmt"
    assert got.config == config and got.stream_version == 2


def test_stream_version_follows_the_streamv2_flag() -> None:
    assert SaveHeader(config=b"", mandatory_flags=migration.FLAG_JSON).stream_version == 1
    assert SaveHeader(config=b"").stream_version == 2


@pytest.mark.parametrize(("domid", "policy", "want"), [
    (None, "xen", INVALID_DOMID), (0, "xen", INVALID_DOMID), (0, "random", RANDOM_DOMID),
    (INVALID_DOMID, "random", RANDOM_DOMID), (0x7FF0, "xen", INVALID_DOMID),
    (7, "random", 7), (0x7FEF, "xen", 0x7FEF),  # a valid guest domid is kept
])
def test_domid_policy(domid: int | None, policy: str, want: int) -> None:
    """xl: if (!libxl_domid_valid_guest(c_info.domid)) c_info.domid = domid_policy;
    INVALID_DOMID is ~0 and RANDOM_DOMID INVALID_DOMID - 1 (libxl.h)."""
    c_info: dict[str, object] = {"name": "g1"}
    if domid is not None:
        c_info["domid"] = domid
    out = with_domid_policy({"c_info": c_info}, policy)
    assert out["c_info"] == {"name": "g1", "domid": want}
    assert c_info.get("domid") == domid  # the input is not changed


def test_incoming_name() -> None:
    data, name = incoming_config(saved_config(CONFIG, 7, preserve_domid=False))
    assert name == "g1" and json.loads(data)["c_info"]["name"] == "g1--incoming"
    assert incoming_config(b'{"c_info": {}}') == (b'{"c_info": {}}', "")
