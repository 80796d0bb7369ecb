"""Unit tests of the libxl JSON renderer (the generic gentypes.py rules).

Whole-config agreement with the real xl is tested by test_create_dryrun.py;
these pin the individual rules on hand-made models."""

from __future__ import annotations

from xl_py._record import Record
from xl_py.model._base import Bitmap, CpuidPolicy, Defbool, KeyValueList
from xl_py.model.domain import (
    DomainBuildInfo,
    DomainConfig,
    DomainCreateInfo,
    HvmInfo,
    PvhInfo,
    PvInfo,
)
from xl_py.model.enums import ActionOnShutdown, DomainType, TscMode
from xl_py.render.libxl_json import to_json


def test_empty_struct_is_yajls_blank_line_quirk() -> None:
    text = to_json(DomainBuildInfo(u=PvInfo()))
    assert '"sched_params": {\n\n    },' in text
    assert '"type.pv": {\n\n    },' in text
    assert text.endswith('"arch_x86": {\n\n    }\n}\n')


def test_defaults_are_left_out_and_set_values_are_not() -> None:
    text = to_json(DomainCreateInfo(type=DomainType.PV, name="g", hap=Defbool.FALSE))
    assert text == '{\n    "type": "pv",\n    "hap": "False",\n    "name": "g"\n}\n'


def test_enum_equal_to_init_value_is_left_out() -> None:
    cfg = DomainConfig(on_poweroff=ActionOnShutdown.DESTROY, on_reboot=ActionOnShutdown.RESTART)
    text = to_json(cfg)
    assert '"on_poweroff"' not in text
    assert '"on_reboot": "restart"' in text


def test_zero_enum_without_init_value_is_left_out() -> None:
    assert "tsc_mode" not in to_json(DomainBuildInfo(tsc_mode=TscMode.DEFAULT))
    assert '"tsc_mode": "native"' in to_json(DomainBuildInfo(tsc_mode=TscMode.NATIVE))


def test_bitmap_is_the_list_of_set_bits_and_empty_is_left_out() -> None:
    text = to_json(DomainBuildInfo(avail_vcpus=Bitmap.of([2, 0])))
    assert '"avail_vcpus": [\n        0,\n        2\n    ],' in text
    assert "cpumap" not in text


def test_keyed_union_key_names_the_member() -> None:
    assert '"type.hvm": {' in to_json(DomainBuildInfo(u=HvmInfo()))
    assert '"type.pvh": {' in to_json(DomainBuildInfo(u=PvhInfo()))


def test_nested_structs_of_hvm_always_appear() -> None:
    text = to_json(HvmInfo())
    for name in ("vga", "vnc", "sdl", "spice", "rdm"):
        assert f'"{name}": {{\n\n    }}' in text


def test_empty_string_is_printed_none_is_not() -> None:
    assert '"name": ""' in to_json(DomainCreateInfo(name=""))
    assert '"name"' not in to_json(DomainCreateInfo())


def test_string_escaping_follows_yajl() -> None:
    text = to_json(DomainCreateInfo(name='a"b\\c\td\n\x01/é'))
    assert '"name": "a\\"b\\\\c\\td\\n\\u0001/é"' in text


def test_key_value_list_and_string_list() -> None:
    text = to_json(DomainCreateInfo(xsdata=KeyValueList((("k", "v"), ("n", None)))))
    assert '"xsdata": {\n        "k": "v",\n        "n": null\n    }' in text
    assert '"extra": [\n        "-a"\n    ]' in to_json(DomainBuildInfo(extra=("-a",)))


def test_cpuid_policy_prints_cpuid_and_msr_lists() -> None:
    policy = CpuidPolicy(entries=((1, None, (("ecx", "x" * 32), ("eax", "1" * 32))),))
    text = to_json(DomainBuildInfo(cpuid=policy))
    assert ('"cpuid": {\n        "cpuid": [\n            {\n                "leaf": 1,\n'
            '                "eax": "' + "1" * 32 + '",\n                "ecx": "'
            + "x" * 32 + '"\n            }\n        ],\n        "msr": [\n\n        ]\n'
            '    },') in text


class Sample(Record):
    flag: bool = False


def test_booleans() -> None:
    assert to_json(Sample(flag=True)) == '{\n    "flag": true\n}\n'
    assert to_json(Sample()) == "{\n\n}\n"
