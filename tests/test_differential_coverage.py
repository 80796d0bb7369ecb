"""The differential suite (tests/data/xl/**/*.cfg) is what issue 2 demands.

* at least 300 configs, each with a golden NAME.json (valid: the reference
  xl's stdout) or NAME.err (invalid: our full message; the reference rejects
  too), checked against the real xl by tests/test_create_dryrun.py;
* every key of the domain key table (``settings.domain.KEYS``) and of the
  device key table (``settings.devices.DEVICE_KEYS``) is set in at least one
  *valid* config, domain keys in a config of a guest type xl reads them for;
* every sub-option of every device spec table (vif, vfb, vkb, usbctrl,
  usbdev, pci, disk, vsnd, vdispl, vnuma, channel, vtpm, p9, pvcalls, rdm),
  every viridian group and every cpuid name (named fields and feature flags)
  appears in at least one valid config;
* each guest type (PV, PVH, HVM) has valid and invalid cases.

The tables are introspected, so a row added without a config fails here.
Where a spec parser keeps its keys in code rather than a table (channel,
vtpm, p9, pvcalls, rdm), the key list is written below with its source.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from xl_py.syntax import parse_xlcfg
from xl_py.syntax.document import Atom, Document, Value

DATA = Path(__file__).resolve().parent / "data" / "xl"
MIN_CASES = 300


def _cfgs() -> list[Path]:
    return sorted(DATA.rglob("*.cfg"))


def _valid() -> list[Path]:
    return [p for p in _cfgs() if p.with_suffix(".json").exists()]


def _invalid() -> list[Path]:
    return [p for p in _cfgs() if p.with_suffix(".err").exists()]


def _document(path: Path) -> Document | None:
    """The config as our syntax layer reads it (None when it does not parse)."""
    from xl_py.errors import XlPyError

    try:
        return parse_xlcfg(path.read_bytes(), path.name)
    except XlPyError:
        return None


def _args(path: Path) -> list[str]:
    extra = path.with_suffix(".args")
    if not extra.exists():
        return []
    return [line for line in extra.read_text().splitlines() if line.strip()]


def _statements(path: Path) -> Iterator[tuple[str, Value]]:
    """Every (key, value) of the config and of its NAME.args overrides."""
    from xl_py.errors import XlPyError

    doc = _document(path)
    if doc is not None:
        for statement in doc.statements:
            yield statement.key, statement.value
    for line in _args(path):
        try:
            extra = parse_xlcfg(line + "\n", path.name + ".args")
        except XlPyError:  # an .args line that is not xl.cfg text
            continue
        for statement in extra.statements:
            yield statement.key, statement.value


def _strings(value: Value) -> Iterator[str]:
    if isinstance(value, Atom):
        yield value.text
        return
    for item in value.items:
        yield from _strings(item)


@cache
def _valid_keys() -> frozenset[str]:
    return frozenset(key for path in _valid() for key, _ in _statements(path))


@cache
def _valid_words() -> dict[str, frozenset[str]]:
    """Per key: every comma/colon/semicolon-separated word of its values,
    both whole (``trusted``) and as ``name=`` (``mac=``)."""
    words: dict[str, set[str]] = {}
    for path in _valid():
        for key, value in _statements(path):
            bucket = words.setdefault(key, set())
            for text in _strings(value):
                for word in re.split(r"[,]", text):
                    word = word.strip()
                    bucket.add(word)
                    if "=" in word:
                        bucket.add(word.split("=", 1)[0].strip() + "=")
    return {key: frozenset(found) for key, found in words.items()}


# -- size ----------------------------------------------------------------------


def test_at_least_300_cases_with_a_golden() -> None:
    golden = _valid() + _invalid()
    assert len(golden) >= MIN_CASES, f"{len(golden)} golden cases, want >= {MIN_CASES}"


def test_no_case_has_both_goldens() -> None:
    both = [p.name for p in _cfgs()
            if p.with_suffix(".json").exists() and p.with_suffix(".err").exists()]
    assert not both


def test_valid_goldens_are_libxl_json() -> None:
    for path in _valid():
        golden = json.loads(path.with_suffix(".json").read_text())
        assert set(golden) >= {"c_info", "b_info"}, path


# -- keys ----------------------------------------------------------------------


def _domain_key_names() -> list[str]:
    from xl_py.settings.domain import KEYS

    return [key.name for key in KEYS if not key.name.startswith("@")]


def _device_key_names() -> list[str]:
    from xl_py.settings.devices import DEVICE_KEYS

    return [key.name for key in DEVICE_KEYS]


def test_key_tables_are_complete_in_size() -> None:
    """Xen 4.17's xl reads about 170 keys; the stages and xl.conf-only keys
    are not rows, so domain + device rows must at least pass 150."""
    assert len(_domain_key_names()) + len(_device_key_names()) >= 150


@pytest.mark.parametrize("table", ["domain", "devices"])
def test_every_key_is_set_in_a_valid_config(table: str) -> None:
    names = _domain_key_names() if table == "domain" else _device_key_names()
    missing = [name for name in names if name not in _valid_keys()]
    assert not missing, f"keys of the {table} table no valid config sets: {missing}"


def test_every_domain_key_is_read_for_its_guest_type() -> None:
    """Set in a valid config of a guest type xl reads the key for (an
    HVM-only key in a PV config is ignored, so it would not count)."""
    from xl_py.settings.domain import KEYS

    types_set: dict[str, set[str]] = {}
    for path in _valid():
        kind = str(json.loads(path.with_suffix(".json").read_text())["c_info"]["type"])
        for key, _ in _statements(path):
            types_set.setdefault(key, set()).add(kind)
    missing = [key.name for key in KEYS if not key.name.startswith("@")
               and not types_set.get(key.name, set()) & {t.value for t in key.types}]
    assert not missing, f"keys never set for a guest type that reads them: {missing}"


# -- sub-options -----------------------------------------------------------------


def _option_rows(table: object) -> list[str]:
    from xl_py.settings._spec import OptionTable

    assert isinstance(table, OptionTable)
    return [row.name + ("" if row.flag else "=") for row in table]


def _listed(keys: str) -> list[str]:
    """``"a=, b="`` -> ["a=", "b="] (the KEYS strings of vdispl/vnuma)."""
    return [word.strip() for word in keys.split(",") if word.strip()]


def _sub_options() -> dict[str, list[str]]:
    from xl_py.settings import disk, pci, usb, vdispl, vfb, vif, vnuma, vsnd

    return {
        "vif": _option_rows(vif.VIF_OPTIONS),
        "vfb": _option_rows(vfb.VFB_OPTIONS),
        "vkb": _option_rows(vfb.VKB_OPTIONS),
        "usbctrl": _option_rows(usb.USBCTRL_OPTIONS),
        "usbdev": _option_rows(usb.USBDEV_OPTIONS),
        "pci": [name + "=" for name in pci.PCI_OPTIONS],
        "disk": list(disk.KNOWN_PARAMETERS),
        "vsnd": [*vsnd.OWN_KEYS, *(k + "=" for k in vsnd.PARAM_KEYS),
                 *(k + "=" for keys in vsnd.OWN_KEYS.values() for k in keys)],
        "vdispl": _listed(vdispl.KEYS),
        "vnuma": _listed(vnuma.KEYS),
        # keys read in code, not tables (xl_parse.c parse_*_config, libxlu_pci.c)
        "channel": ["backend=", "name=", "connection=", "path="],
        "vtpm": ["backend=", "uuid="],
        "p9": ["tag=", "path=", "security_model=", "backend="],
        "pvcalls": ["backend="],
        "rdm": ["strategy=", "policy="],
    }


@pytest.mark.parametrize("key", sorted(_sub_options()))
def test_every_sub_option_is_used_in_a_valid_config(key: str) -> None:
    wanted = _sub_options()[key]
    assert wanted, f"no sub-options found for {key}"
    have = _valid_words().get(key, frozenset())
    missing = [word for word in wanted if word not in have]
    assert not missing, f"{key}: sub-options no valid config uses: {missing}"


def test_every_disk_prefix_is_used_in_a_valid_config() -> None:
    """The deprecated target prefixes of xl-disk-configuration(5)."""
    prefixes = ("raw:", "qcow:", "qcow2:", "vhd:", "tap:", "tap2:", "tapdisk:", "aio:",
                "ioemu:", "file:", "phy:")
    texts = [text for path in _valid() for key, value in _statements(path)
             if key == "disk" for text in _strings(value)]
    missing = [p for p in prefixes if not any(re.search(r"(^|[,:])" + re.escape(p), t)
                                              for t in texts)]
    assert not missing, f"disk prefixes no valid config uses: {missing}"


def test_every_viridian_group_is_used_in_a_valid_config() -> None:
    from xl_py.model.enums import ViridianEnlightenment

    wanted = ["all", "defaults", *(group.value for group in ViridianEnlightenment)]
    have = {text.lstrip("!") for path in _valid() for key, value in _statements(path)
            if key == "viridian" for text in _strings(value)}
    missing = [name for name in wanted if name not in have]
    assert not missing, f"viridian groups no valid config uses: {missing}"


def _cpuid_names() -> set[str]:
    """Names used in the libxl form: host,NAME=VALUE,... (xend form: leaf:reg=...)."""
    names: set[str] = set()
    for path in _valid():
        for key, value in _statements(path):
            if key != "cpuid":
                continue
            for text in _strings(value):
                for word in text.split(","):
                    names.add(word.split("=", 1)[0].strip())
    return names


@pytest.mark.parametrize("table", ["FIELDS", "FEATURES"])
def test_every_cpuid_name_is_used_in_a_valid_config(table: str) -> None:
    from xl_py.settings import cpuid, cpuid_features

    names = cpuid.FIELDS if table == "FIELDS" else cpuid_features.FEATURES
    missing = sorted(name for name in names if name not in _cpuid_names())
    assert not missing, f"cpuid {table} no valid config uses: {missing}"


# value forms of xl.cfg(5) / xl-network-configuration(5): (keys, form, regex that
# one string of a valid config must match)
_RATE = r"(^|,)rate=\d+{unit}/s{interval}(,|$)"
VALUE_FORMS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    *((("vif",), f"rate in {u}/s", _RATE.format(unit=u, interval="(@.*)?"))
      for u in ("B", "b", "KB", "Kb", "MB", "Mb", "GB", "Gb")),
    *((("vif",), f"rate interval in {i or 'seconds, no unit'}",
       _RATE.format(unit="[KMG]?[Bb]", interval=f"@\\d+{i}"))
      for i in ("s", "ms", "us", "")),
    (("cpus", "cpus_soft"), "all", r"^all$"),
    (("cpus", "cpus_soft"), "one cpu", r"^\d+$"),
    (("cpus", "cpus_soft"), "a range", r"(^|,)\d+-\d+(,|$)"),
    (("cpus", "cpus_soft"), "an exclusion", r"\^\d"),
    (("cpus", "cpus_soft"), "nodes:", r"(^|,)nodes:\d"),
    (("cpus", "cpus_soft"), "node:", r"(^|,)node:\d"),
    (("cpuid",), "libxl string form", r"^host(,|$)"),
    (("cpuid",), "xend list form", r"^(0x)?[0-9a-f]+(,[0-9a-f]+)?:e[a-d]x="),
)


@pytest.mark.parametrize("keys,form,pattern", VALUE_FORMS,
                         ids=[f"{keys[0]}-{form}" for keys, form, _ in VALUE_FORMS])
def test_every_value_form_is_used_in_a_valid_config(keys: tuple[str, ...], form: str,
                                                    pattern: str) -> None:
    texts = [text for path in _valid() for key, value in _statements(path)
             if key in keys for text in _strings(value)]
    assert any(re.search(pattern, text) for text in texts), \
        f"no valid config spells {'/'.join(keys)} as {form}"


def test_cpus_list_form_is_used_in_a_valid_config() -> None:
    """cpus = [ "...", ... ]: one affinity per vCPU."""
    from xl_py.syntax.document import ListValue

    assert any(isinstance(value, ListValue) for path in _valid()
               for key, value in _statements(path) if key in ("cpus", "cpus_soft"))


# -- guest types -------------------------------------------------------------------

_TYPE_WORDS = (("hvm", "hvm"), ("pv", "pv"), ("pvh", "pvh"))


def _guest_type(path: Path) -> str | None:
    """The guest type a config asks for, as xl reads type= / builder=
    (any prefix, hvm tried first; default pv); None when unreadable."""
    if path.with_suffix(".json").exists():
        golden = json.loads(path.with_suffix(".json").read_text())
        return str(golden["c_info"]["type"])
    if _document(path) is None:
        return None
    settings = dict(_statements(path))
    for key, fallback in (("type", None), ("builder", "pv")):
        value = settings.get(key)
        if isinstance(value, Atom) and value.text:
            for word, kind in _TYPE_WORDS:
                if word.startswith(value.text):
                    return kind
            return fallback
    return "pv"


@cache
def _type_counts() -> Counter[tuple[str | None, bool]]:
    counts: Counter[tuple[str | None, bool]] = Counter()
    for path in _valid():
        counts[_guest_type(path), True] += 1
    for path in _invalid():
        counts[_guest_type(path), False] += 1
    return counts


@pytest.mark.parametrize("kind", ["pv", "pvh", "hvm"])
@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_each_guest_type_has_cases(kind: str, valid: bool) -> None:
    count = _type_counts()[kind, valid]
    assert count >= 10, f"{'valid' if valid else 'invalid'} {kind} cases: {count}"


def test_mixed_cases_are_verified() -> None:
    """tests/data/xl/mixed/ (added by this issue's coverage work) is non-empty
    and every case has a golden; the reference check is test_create_dryrun."""
    mixed = sorted((DATA / "mixed").glob("*.cfg"))
    assert mixed
    assert all(p.with_suffix(".json").exists() or p.with_suffix(".err").exists()
               for p in mixed)
