"""Seeded random device specs inside whole configs, against ``xl -N create``.

Each config holds one device key with one or two items drawn from a soup of
sub-options (valid, invalid, odd spacing).  xl_py must print xl's JSON when
xl accepts, and reject when xl rejects.  Left out on purpose: a mac with
fewer than six octets at the very end of a spec (xl then reads past its
buffer, so the result is heap garbage).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from xl_py.errors import XlPyError
from xl_py.pipeline import build, to_json

SOUPS = {
    "vif": ["mac=00:16:3e:00:00:01", "mac=zz", "mac=", "mac=1:2:3:4:5:6:7", "mac=100:0:0:0:0:0",
            "bridge=b", "bridge=", "ip=1.2.3.4", "type=vif", "type=ioemu", "type=x",
            "model=e1000", "vifname=v", "script=s", "backend=d", "rate=1Mb/s",
            "rate=1MB/s@1ms", "gatewaydev=g", "netdev=n", "mtu=1500", "mtu=15x", "devid=3",
            "devid=0x2", "trusted", "untrusted", "accel=x", "foo", "foo=1", " bridge=c", "",
            "=", "mac"],
    "vfb": ["vnc=1", "vnc=0", "vnc=x", "vnc=", "vnclisten=a", "vncpasswd=p", "vncdisplay=2",
            "vncdisplay=x", "vncunused=1", "keymap=de", "sdl=1", "opengl=1", "display=:0",
            "xauthority=/x", "foo=1", "bare", "", " vnc=1", "=", "vnc"],
    "channel": ["name=a", "connection=pty", "connection=socket", "path=/p", "backend=b",
                " name = x ", "foo=1", "a=b=c", "connection=Pty", "name==x", "=x"],
    "usbctrl": ["type=pv", "type=qusb", "type=devicemodel", "type=auto", "type=AUTO",
                "version=2", "version=x", "ports=3", "ports=-1", " ports=2", ""],
    "usbdev": ["type=hostdev", "type=HOSTDEV", "hostbus=1", "hostbus=0x101", "hostaddr=3",
               "controller=1", "controller=x", "port=2", " port=3", ""],
    "vkb": ["backend-type=linux", "backend-type=qemu", "backend-type=unknown", "backend=b",
            "unique-id=u", "width=3", "height=0x10", "feature-disable-keyboard=1",
            "feature-abs-pointer=2", "multi-touch-width=1", "multi-touch-height=2",
            "multi-touch-num-contacts=3", "feature-multi-touch=1", ""],
    "vtpm": ["backend=0", "backend=", "uuid=11111111-2222-3333-4444-555555555555", "uuid=x",
             "bare", "", " backend=1"],
    "p9": ["tag=t", "path=/p", "security_model=none", "backend=b", "bare", "", " tag=u"],
    "pvcalls": ["backend=0", "backend=", "bare", "", " backend=x"],
    "vdispl": ["connectors=a:1x2", "connectors=a:1x2;b:3x4", "connectors=a:big",
               "connectors=a:1", "be-alloc=1", "be-alloc=0x2", "backend=b", ""],
    "pci": ["01:02.3", "0000:03:00.*@2", "bdf=02:00.1", "permissive=1", "seize=1",
            "rdm_policy=relaxed", "name=g", "vslot=4", "foo=1", ""],
    "disk": ["phy:/dev/x", "/a.img", "xvda", "hdc:cdrom", "w", "r", "raw", "vdev=xvdb",
             "format=qcow2", "devtype=cdrom", "discard", "target=/t", "backendtype=qdisk", ""],
}


def _configs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for index in range(count):
        kind = sorted(SOUPS)[index % len(SOUPS)]
        items = [",".join(rng.choice(SOUPS[kind]) for _ in range(rng.randint(0, 4)))
                 for _ in range(rng.randint(1, 2))]
        gtype = rng.choice(["pv", "hvm", "pvh"])
        body = f"{kind} = [ " + ", ".join(f'"{s}"' for s in items) + " ]"
        out.append((f"r{index}", f'name = "r{index}"\ntype = "{gtype}"\nkernel = "/k"\n'
                    f'memory = 64\nuuid = "11111111-2222-3333-4444-555555555555"\n{body}\n'))
    return out


def _xl_disagrees(reference: Any, path: Path, text: str) -> tuple[int, str] | None:
    """Write ``text`` to ``path`` and run it through xl -N and xl-py: None when
    they agree (identical JSON, or both reject), else xl's (rc, stderr tail)."""
    path.write_text(text)
    ref = reference.xl_dryrun(path)
    try:
        ours: str | None = to_json(build(text, path.name).config)
    except XlPyError:
        ours = None
    if ref.rc != 0:
        agree = ours is None
    else:
        agree = ours is not None and \
            reference.normalise_uuid(ours) == reference.normalise_uuid(ref.stdout)
    return None if agree else (ref.rc, ref.stderr[-200:])


@pytest.mark.reference
def test_random_device_configs_match_xl(reference, tmp_path: Path) -> None:
    disagree = []
    for name, text in _configs(20231126, 360):
        path = tmp_path / f"{name}.cfg"
        problem = _xl_disagrees(reference, path, text)
        if problem is not None:
            disagree.append((text, *problem))
    assert disagree == []


def _cpuid_bodies(seed: int, count: int) -> list[str]:
    from xl_py.settings.cpuid import FIELDS
    from xl_py.settings.cpuid_features import FEATURES

    rng = random.Random(seed)
    names = sorted(FEATURES) + sorted(FIELDS) + ["foo", "", "host"]
    values = ["0", "1", "x", "k", "s", "q", "", "0x3", "255", "16", "15", "300", "-1", "1z"]
    bodies = []
    for _ in range(count):
        if rng.random() < 0.7:
            words = [rng.choice(["host", "host", "host", "nohost", ""])]
            for _ in range(rng.randint(0, 5)):
                word = rng.choice(names)
                words.append(word + "=" + rng.choice(values) if rng.random() < 0.9 else word)
            joined = ",".join(words)
            bodies.append(f'cpuid = "{joined}"')
            continue
        items = []
        for _ in range(rng.randint(1, 3)):
            leaf = rng.choice(["0x1", "7", "7,0", "0xd,1", "zz", "1,", "0x80000001", ""])
            regs = [rng.choice(["eax", "ebx", "ecx", "edx", "efx", "ax"]) + "="
                    + rng.choice(["x" * 32, "1" * 32, "0" * 31, "k" * 33, "s" * 32])
                    for _ in range(rng.randint(0, 3))]
            sep = rng.choice([",", ", "])
            items.append(leaf + rng.choice([":", ":", "", ";"]) + sep.join(regs))
        bodies.append("cpuid = [ " + ", ".join(f'"{s}"' for s in items) + " ]")
    return bodies


@pytest.mark.reference
def test_random_cpuid_configs_match_xl(reference, tmp_path: Path) -> None:
    disagree = []
    for index, body in enumerate(_cpuid_bodies(20231126, 240)):
        text = (f'name = "c{index}"\ntype = "hvm"\nmemory = 64\n'
                f'uuid = "11111111-2222-3333-4444-555555555555"\n{body}\n')
        path = tmp_path / f"c{index}.cfg"
        problem = _xl_disagrees(reference, path, text)
        if problem is not None:
            disagree.append((body, *problem))
    assert disagree == []


VNODE_OPTIONS = ["pnode=0", "pnode=1", "pnode=x", "size=128", "size=256", "size=0", "size=12x",
                 "vcpus=0", "vcpus=1", "vcpus=0-1", "vcpus=2", "vcpus=1-0", "vcpus=a",
                 "vcpus=0,1", "vdistances=10,20", "vdistances=10", "vdistances=x",
                 " size = 64 ", "foo=1", "bare", "a=b=c", "vcpus=", "vdistances="]


@pytest.mark.reference
def test_random_vnuma_configs_match_xl(reference, tmp_path: Path) -> None:
    rng = random.Random(20231126)
    disagree = []
    for index in range(200):
        nodes = ["[ " + ", ".join(f'"{rng.choice(VNODE_OPTIONS)}"'
                                  for _ in range(rng.randint(0, 4))) + " ]"
                 for _ in range(rng.randint(1, 2))]
        extra = rng.choice(["", "maxvcpus = 2\n", "maxvcpus = 1\n", "maxmem = 256\n",
                            "vcpus = 2\n"])
        text = (f'name = "v{index}"\ntype = "{rng.choice(["pv", "hvm", "pvh"])}"\n'
                'kernel = "/k"\nmemory = 64\nuuid = "11111111-2222-3333-4444-555555555555"\n'
                f'{extra}vnuma = [ {", ".join(nodes)} ]\n')
        path = tmp_path / f"v{index}.cfg"
        problem = _xl_disagrees(reference, path, text)
        if problem is not None:
            disagree.append((text, *problem))
    assert disagree == []


VSND_KINDS = ["card", "pcm", "stream", "CARD", "Stream", "dev", "", " pcm"]
VSND_PARAMS = ["sample-rates=8000;16000", "sample-rates=", "sample-rates=x",
               "sample-formats=s16_le", "sample-formats=S8;u8", "sample-formats=bad",
               "channels-min=1", "channels-max=0x2", "buffer-size=4096", "backend=0",
               "short-name=a", "long-name=b c", "name=p", "unique-id=u", "type=p", "type=C",
               "type=x", "foo=1", "bare", ""]


@pytest.mark.reference
def test_random_vsnd_configs_match_xl(reference, tmp_path: Path) -> None:
    rng = random.Random(20231126)
    disagree = []
    for index in range(200):
        cards = []
        for _ in range(rng.randint(1, 2)):
            items = [", ".join([rng.choice(VSND_KINDS)] + [rng.choice(VSND_PARAMS)
                                                           for _ in range(rng.randint(0, 3))])
                     for _ in range(rng.randint(0, 3))]
            if rng.random() < 0.1:
                cards.append(f'"{items[0] if items else "card"}"')
            else:
                cards.append("[ " + ", ".join(f'"{item}"' for item in items) + " ]")
        text = (f'name = "s{index}"\ntype = "pv"\nkernel = "/k"\nmemory = 64\n'
                f'uuid = "11111111-2222-3333-4444-555555555555"\nvsnd = [ {", ".join(cards)} ]\n')
        path = tmp_path / f"s{index}.cfg"
        problem = _xl_disagrees(reference, path, text)
        if problem is not None:
            disagree.append((text, *problem))
    assert disagree == []
