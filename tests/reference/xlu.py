"""Xen 4.17's own libxlutil (the xl.cfg parser) as an oracle, via ctypes.

The libraries come from the reference cache (see tools/fetch-reference.sh);
they are loaded by absolute path, so no LD_LIBRARY_PATH is needed, and no
hypervisor: libxlutil never touches one, and libxl's *_to_json/_init/_dispose
helpers take no context.

xlref runs this module as a long-lived worker process (`--serve LIBDIR`: one
JSON request per line on stdin, one JSON answer per line on stdout), so that
libxlutil aborting on some input (it asserts on a NUL inside quotes) kills
the worker, not the test run.

Only one internal layout is relied on: a parsed config begins with its list
of settings (newest first, as libxlutil's own lookup walks it), each
`{next, name, value, op, lineno}` (tools/libs/util/libxlu_internal.h).
Values are read through libxlutil's public accessors.

By hand:  python tests/reference/xlu.py FILE [--all] [-k key[:type]]...
          python tests/reference/xlu.py --disk SPEC | --pci SPEC | --vif-rate RATE
"""

from __future__ import annotations

import base64
import ctypes as C
import errno as E
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

# Every key xl's parse_config_data reads as one of these shapes; the default
# key list of xlu_parse() (a file's view "as xl sees it").
DEFAULT_KEYS: tuple[str, ...] = (
    "name:str", "type:str", "builder:str", "uuid:str", "memory:int",
    "maxmem:int", "vcpus:int", "maxvcpus:int", "cpus:auto", "kernel:str",
    "ramdisk:str", "cmdline:str", "root:str", "extra:str", "bootloader:str",
    "bootloader_args:auto", "on_poweroff:str", "on_reboot:str",
    "on_crash:str", "disk:list", "vif:list", "pci:list", "vfb:list",
    "channel:list", "usbdev:list", "boot:str", "vnc:int", "sdl:int",
    "serial:auto", "device_model_version:str", "firmware:str", "pvh:int",
    "seclabel:str", "localtime:int", "rtc_timeoffset:int", "vga:str",
    "videoram:int", "viridian:auto", "nestedhvm:int", "acpi:int", "apic:int",
    "pae:int", "hap:int", "shadow_memory:int", "max_grant_frames:int",
    "passthrough:str", "extra_config:auto",
)

_XLU_STRING = 0
_OPS = {0: "=", 1: "+="}
# libxlutil load order: each library after the ones it needs (sonames).
_LIBS = (
    "libxentoollog.so.1", "libxentoolcore.so.1", "libxencall.so.1",
    "libxenevtchn.so.1", "libxengnttab.so.1", "libxenforeignmemory.so.1",
    "libxendevicemodel.so.1", "libxenhypfs.so.1", "libxenstore.so.4",
    "libyajl.so.2", "libxenctrl.so.4.17", "libxenguest.so.4.17",
    "libxenlight.so.4.17", "libxlutil.so.4.17",
)
_DEVICE_BUFFER = 16384  # more than sizeof any libxl_device_* of 4.17


class _Setting(C.Structure):
    pass


_Setting._fields_ = [
    ("next", C.POINTER(_Setting)),
    ("name", C.c_char_p),
    ("value", C.c_void_p),
    ("op", C.c_int),
    ("lineno", C.c_int),
]


class _Config(C.Structure):
    _fields_ = [("settings", C.POINTER(_Setting))]


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "surrogateescape")


class _Report:
    """A FILE* (open_memstream) that libxlutil reports into."""

    def __init__(self, libc: C.CDLL) -> None:
        self._libc = libc
        self._buf = C.c_void_p()
        self._size = C.c_size_t()
        self.fp = libc.open_memstream(C.byref(self._buf), C.byref(self._size))
        if not self.fp:
            raise OSError(C.get_errno(), "open_memstream failed")

    def text(self) -> str:
        self._libc.fflush(self.fp)
        if not self._buf.value:
            return ""
        return C.string_at(self._buf.value, self._size.value).decode("utf-8", "replace")

    def close(self) -> None:
        self._libc.fclose(self.fp)
        self._libc.free(self._buf)


class Oracle:
    """libxlutil.so.4.17 and libxenlight.so.4.17 from one directory."""

    def __init__(self, libdir: Path) -> None:
        self._lock = threading.Lock()
        handles = {name: C.CDLL(str(libdir / name), mode=C.RTLD_GLOBAL) for name in _LIBS}
        self.xlu = handles["libxlutil.so.4.17"]
        self.xl = handles["libxenlight.so.4.17"]
        self.libc = C.CDLL(None, use_errno=True)
        self._declare()

    def _declare(self) -> None:
        vp, cp, i = C.c_void_p, C.c_char_p, C.c_int
        sigs: dict[tuple[C.CDLL, str], tuple[Any, list[Any]]] = {
            (self.libc, "open_memstream"): (vp, [vp, vp]),
            (self.libc, "fflush"): (i, [vp]),
            (self.libc, "fclose"): (i, [vp]),
            (self.libc, "free"): (None, [vp]),
            (self.xlu, "xlu_cfg_init"): (vp, [vp, cp]),
            (self.xlu, "xlu_cfg_readfile"): (i, [vp, cp]),
            (self.xlu, "xlu_cfg_readdata"): (i, [vp, cp, i]),
            (self.xlu, "xlu_cfg_destroy"): (None, [vp]),
            (self.xlu, "xlu_cfg_get_string"): (i, [vp, cp, C.POINTER(cp), i]),
            (self.xlu, "xlu_cfg_get_long"): (i, [vp, cp, C.POINTER(C.c_long), i]),
            (self.xlu, "xlu_cfg_get_list_as_string_list"): (i, [vp, cp, C.POINTER(vp), i]),
            (self.xlu, "xlu_cfg_value_type"): (i, [vp]),
            (self.xlu, "xlu_cfg_value_get_string"): (i, [vp, vp, C.POINTER(cp), i]),
            (self.xlu, "xlu_cfg_value_get_list"): (i, [vp, vp, C.POINTER(vp), i]),
            (self.xlu, "xlu_cfg_get_listitem2"): (vp, [vp, i]),
            (self.xlu, "xlu_disk_parse"): (i, [vp, i, C.POINTER(cp), vp]),
            (self.xlu, "xlu_pci_parse_spec_string"): (i, [vp, vp, cp]),
            (self.xlu, "xlu_vif_parse_rate"): (i, [vp, cp, vp]),
            (self.xlu, "xlu_rdm_parse"): (i, [vp, vp, cp]),
            (self.xl, "libxl_string_list_dispose"): (None, [vp]),
        }
        for kind in ("disk", "nic", "pci"):
            sigs[(self.xl, f"libxl_device_{kind}_init")] = (None, [vp])
            sigs[(self.xl, f"libxl_device_{kind}_dispose")] = (None, [vp])
            sigs[(self.xl, f"libxl_device_{kind}_to_json")] = (vp, [vp, vp])
        sigs[(self.xl, "libxl_rdm_reserve_init")] = (None, [vp])
        sigs[(self.xl, "libxl_rdm_reserve_dispose")] = (None, [vp])
        sigs[(self.xl, "libxl_rdm_reserve_to_json")] = (vp, [vp, vp])
        for (lib, name), (restype, argtypes) in sigs.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes

    # -- values ------------------------------------------------------------

    def _value(self, cfg: int, value: int) -> Any:
        """A libxlutil value as str or (nested) list of str."""
        if self.xlu.xlu_cfg_value_type(value) == _XLU_STRING:
            s = C.c_char_p()
            self.xlu.xlu_cfg_value_get_string(cfg, value, C.byref(s), 1)
            return _text(s.value)
        lst = C.c_void_p()
        self.xlu.xlu_cfg_value_get_list(cfg, value, C.byref(lst), 1)
        items = []
        index = 0
        while item := self.xlu.xlu_cfg_get_listitem2(lst, index):
            items.append(self._value(cfg, item))
            index += 1
        return items

    def _settings(self, cfg: int) -> list[tuple[str, int, str, int]]:
        """(name, value, op, lineno) of every setting, newest first."""
        out = []
        node = C.cast(cfg, C.POINTER(_Config)).contents.settings
        while node:
            s = node.contents
            out.append((s.name.decode(), s.value, _OPS.get(s.op, str(s.op)), s.lineno))
            node = s.next
        return out

    def _all(self, cfg: int) -> tuple[dict[str, Any], dict[str, Any]]:
        seen: dict[str, tuple[int, str, int]] = {}
        for name, value, op, line in self._settings(cfg):
            seen.setdefault(name, (value, op, line))   # newest wins, as in xl
        order = sorted(seen, key=lambda k: seen[k][2])
        values = {k: self._value(cfg, seen[k][0]) for k in order}
        lines = {k: {"line": seen[k][2], "op": seen[k][1]} for k in order}
        return values, lines

    def _typed(self, cfg: int, key: str, typ: str) -> tuple[int, Any]:
        k = key.encode()
        if typ == "str":
            s = C.c_char_p()
            rc = self.xlu.xlu_cfg_get_string(cfg, k, C.byref(s), 0)
            return rc, _text(s.value) if rc == 0 else None
        if typ == "int":
            n = C.c_long()
            rc = self.xlu.xlu_cfg_get_long(cfg, k, C.byref(n), 0)
            return rc, n.value if rc == 0 else None
        if typ == "list":
            return self._string_list(cfg, k)
        for name, value, _op, _line in self._settings(cfg):
            if name == key:
                return 0, self._value(cfg, value)
        return E.ESRCH, None

    def _string_list(self, cfg: int, key: bytes) -> tuple[int, Any]:
        sl = C.c_void_p()
        rc = self.xlu.xlu_cfg_get_list_as_string_list(cfg, key, C.byref(sl), 0)
        if rc:
            return rc, None
        items = C.cast(sl, C.POINTER(C.c_char_p))
        out: list[str | None] = []
        while items[len(out)] is not None:
            out.append(_text(items[len(out)]))
        self.xl.libxl_string_list_dispose(C.byref(sl))
        return 0, out

    # -- public ------------------------------------------------------------

    def parse(self, source: str, data: bytes | None, keys: list[str],
              all_keys: bool) -> dict[str, Any]:
        """Read a file (or `data`, named `source`) the way xl does."""
        with self._lock:
            report = _Report(self.libc)
            try:
                return self._parse(report, source, data, keys, all_keys)
            finally:
                report.close()

    def _parse(self, report: _Report, source: str, data: bytes | None,
               keys: list[str], all_keys: bool) -> dict[str, Any]:
        cfg = self.xlu.xlu_cfg_init(report.fp, source.encode())
        try:
            if data is None:
                rc = self.xlu.xlu_cfg_readfile(cfg, source.encode())
            else:
                rc = self.xlu.xlu_cfg_readdata(cfg, data, len(data))
            res: dict[str, Any] = {
                "source": source, "rc": rc, "errno": os.strerror(rc) if rc else None,
                "report": None, "values": {}, "missing": [], "errors": {}}
            parse_report = report.text()
            if rc == 0:  # after a failed read only xlu_cfg_destroy is allowed
                if all_keys:
                    res["values"], res["lines"] = self._all(cfg)
                for spec in keys:
                    self._one(cfg, spec, report, res)
            res["report"] = parse_report or None
            return res
        finally:
            self.xlu.xlu_cfg_destroy(cfg)

    def _one(self, cfg: int, spec: str, report: _Report, res: dict[str, Any]) -> None:
        key, _, typ = spec.partition(":")
        before = len(report.text())
        rc, value = self._typed(cfg, key, typ or "auto")
        if rc == 0:
            res["values"][key] = value
        elif rc == E.ESRCH:
            res["missing"].append(key)
        else:
            res["errors"][key] = [rc, os.strerror(rc), report.text()[before:].strip()]

    def device(self, kind: str, spec: str) -> dict[str, Any]:
        """One spec through xlu_disk_parse / xlu_pci_parse_spec_string /
        xlu_vif_parse_rate / xlu_rdm_parse, the result as libxl JSON."""
        struct = {"disk": "device_disk", "pci": "device_pci", "rate": "device_nic",
                  "rdm": "rdm_reserve"}[kind]
        key = {"rate": "libxl_nic", "rdm": "libxl_rdm"}.get(kind, "libxl_" + kind)
        with self._lock:
            report = _Report(self.libc)
            cfg = self.xlu.xlu_cfg_init(report.fp, b"command line")
            buf = C.create_string_buffer(_DEVICE_BUFFER)
            getattr(self.xl, f"libxl_{struct}_init")(buf)
            try:
                rc = self._parse_device(kind, cfg, buf, spec.encode("utf-8", "surrogateescape"))
                return {"spec": spec, "rc": rc, "report": report.text() or None,
                        key: self._to_json(struct, buf) if rc == 0 else None}
            finally:
                getattr(self.xl, f"libxl_{struct}_dispose")(buf)
                self.xlu.xlu_cfg_destroy(cfg)
                report.close()

    def _parse_device(self, kind: str, cfg: int, buf: Any, spec: bytes) -> int:
        if kind == "disk":
            specs = (C.c_char_p * 1)(spec)
            return int(self.xlu.xlu_disk_parse(cfg, 1, specs, buf))
        if kind == "pci":
            return int(self.xlu.xlu_pci_parse_spec_string(cfg, buf, spec))
        if kind == "rdm":
            return int(self.xlu.xlu_rdm_parse(cfg, buf, spec))
        return int(self.xlu.xlu_vif_parse_rate(cfg, spec, buf))

    def _to_json(self, struct: str, buf: Any) -> Any:
        p = getattr(self.xl, f"libxl_{struct}_to_json")(None, buf)
        if not p:
            return None
        try:
            return json.loads(C.string_at(p).decode())
        finally:
            self.libc.free(p)


def serve(libdir: Path) -> int:
    """The worker loop: {"op": "parse", "source", "data" (base64 or null),
    "keys", "all"} or {"op": "device", "kind", "spec"} -> the result dict."""
    oracle = Oracle(libdir)
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "parse":
            data = None if req["data"] is None else base64.b64decode(req["data"])
            res = oracle.parse(req["source"], data, req["keys"], req["all"])
        else:
            res = oracle.device(req["kind"], req["spec"])
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()
    return 0


def _main(argv: list[str] | None = None) -> int:
    import argparse

    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--serve"]:
        return serve(Path(argv[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from reference import xlref

    ap = argparse.ArgumentParser(description="Xen 4.17's libxlutil as an oracle")
    ap.add_argument("file", nargs="?")
    ap.add_argument("-k", "--key", action="append", default=[])
    ap.add_argument("--all", action="store_true")
    for opt in ("--disk", "--pci", "--vif-rate", "--rdm"):
        ap.add_argument(opt)
    a = ap.parse_args(argv)
    if a.disk is not None:
        out = xlref.xlu_disk(a.disk)
    elif a.pci is not None:
        out = xlref.xlu_pci(a.pci)
    elif a.vif_rate is not None:
        out = xlref.xlu_vif_rate(a.vif_rate)
    elif a.rdm is not None:
        out = xlref.xlu_rdm(a.rdm)
    elif a.file:
        out = xlref.xlu_parse(a.file, keys=a.key or None, all_keys=a.all)
    else:
        ap.error("need FILE, --disk, --pci, --vif-rate or --rdm")
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0 if out["rc"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(_main())
