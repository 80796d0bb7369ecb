"""Seeded random configs of domain keys, each run through xl-py and the real
xl -N create: both accept with identical JSON, or both reject.

The values mix well-typed ones (names, numbers, lists that the keys take) with
ill-typed ones (a list for a string, a word for a number), which xl warns
about and ignores; so does ``create``.  Seeds are fixed: a failure names the
config, reproducible with the same seed.
"""

from __future__ import annotations

import random

import pytest
from reference import xlref

from xl_py import pipeline
from xl_py.errors import XlPyError
from xl_py.settings.domain import KEYS

VALUES = (
    "0", "1", "2", "16", "512", "-1", "0x10", "010", '"7"', '"x"', '"/boot/y"', '"hvm"', '"pv"',
    '"pvh"', '""', '"none"', '"default"', '"native"', '"uefi"', '"bios"', '"seabios"',
    '"pvgrub64"', '"stdvga"', '"qxl"', '"igd"', '"pty"', '"tablet"', '"qemu-xen"',
    '"xenserver"', '"v3"', '"optee"', '"sbsa_uart"', '"external"', '"restart"', '"destroy"',
    '"rename-restart"', '"generic"', '"ahci"', '"127.0.0.1"', '"all"', '"0-1"', '"^0"',
    '"nodes:0"', '"always_emulate"', '"delay_for_missed_ticks"', '"sync_pt"',
    '[ "defaults" ]', '[ "base", "!freq" ]', '[ "lmce" ]', '[ "3f8-3ff", "70" ]',
    '[ "fe000,2" ]', '[ 5, "9" ]', '[ "-a", "b" ]', '[ "0", "1" ]', "[ ]", '[ "pty" ]',
)
BASES = ('name = "f"\nkernel = "/k"\n', 'name = "f"\ntype = "hvm"\n',
         'name = "f"\ntype = "pvh"\nkernel = "/k"\n', 'name = "f"\ntype = "hvm"\nvcpus = 2\n')
SKIP = {"uuid", "ms_vm_genid", "vnuma", "cpuid"}  # random or covered elsewhere
NAMES = sorted(k.name for k in KEYS if k.name[0] != "@" and k.name not in SKIP)


def random_configs(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    configs = []
    for _ in range(count):
        text = rng.choice(BASES)
        for _ in range(rng.randint(1, 5)):
            text += f"{rng.choice(NAMES)} = {rng.choice(VALUES)}\n"
        configs.append(text + 'uuid = "3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90"\n')
    return configs


def xl_py(text: str) -> tuple[int, str]:
    try:
        built = pipeline.build(text, "f.cfg")
        config = pipeline.apply_affinity_masks(built.config, None)
        return 0, pipeline.to_json(config)
    except XlPyError as exc:
        return 1, "\n".join(d.format() for d in exc.diagnostics())


@pytest.mark.reference
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_domain_configs_agree_with_xl(seed: int, reference: object) -> None:
    failures = []
    for text in random_configs(seed, 60):
        ref = xlref.xl_dryrun_text(text, name="f.cfg")
        rc, out = xl_py(text)
        if (ref.rc == 0) != (rc == 0):
            failures.append(f"xl rc={ref.rc}, xl-py rc={rc}:\n{text}{ref.stderr}{out}")
        elif rc == 0 and out != ref.stdout:
            failures.append(f"different JSON:\n{text}")
    assert not failures, "\n\n".join(failures[:3])


def golden_lines() -> tuple[list[str], list[str]]:
    """Assignments taken from the valid golden cases (devices, domain keys)."""
    from pathlib import Path

    data = Path(__file__).resolve().parent / "data" / "xl"
    devices: list[str] = []
    domain: list[str] = []
    for json_path in sorted(data.glob("*/*.json")):
        for line in json_path.with_suffix(".cfg").read_text().splitlines():
            key = line.split("=", 1)[0].strip().rstrip("+").strip()
            if "=" not in line or not key.isidentifier() or key in ("name", "uuid",
                                                                     "ms_vm_genid"):
                continue
            (devices if json_path.parent.name == "devices" else domain).append(line + "\n")
    return devices, domain


@pytest.mark.reference
@pytest.mark.parametrize("seed", [11, 12])
def test_random_mixes_of_golden_lines_agree_with_xl(seed: int, reference: object) -> None:
    """Device and domain assignments of the golden cases, shuffled together:
    the interplay (vfb vs top-level vnc, pci vs e820_host, ...) as xl does it."""
    devices, domain = golden_lines()
    rng = random.Random(seed)
    failures = []
    for _ in range(60):
        text = rng.choice(BASES[:3])
        text += "".join(rng.choice(devices) for _ in range(rng.randint(1, 3)))
        text += "".join(rng.choice(domain) for _ in range(rng.randint(1, 4)))
        text += 'uuid = "3f1b2c9a-52d4-4c0e-9a4e-6f2b7d1c8e90"\n'
        ref = xlref.xl_dryrun_text(text, name="f.cfg")
        rc, out = xl_py(text)
        if (ref.rc == 0) != (rc == 0):
            failures.append(f"xl rc={ref.rc}, xl-py rc={rc}:\n{text}{ref.stderr}{out}")
        elif rc == 0 and out != ref.stdout:
            failures.append(f"different JSON:\n{text}")
    assert not failures, "\n\n".join(failures[:3])
