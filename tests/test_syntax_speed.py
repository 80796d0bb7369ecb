"""Startup and throughput guarantees of the xl.cfg reader.

`xl-py create -N` must start within 5x a bare interpreter, so reading a config
must not import lark (the grammar is the spec, xlcfg.py the fast reader), and
parsing must leave most of the 2,000 configs/s pipeline budget to the model.
"""

from __future__ import annotations

import subprocess
import sys
import timeit

from data.syntax.cases import FILES

from xl_py.settings.raw import RawDomain
from xl_py.syntax import parse_xlcfg

CONFIG_40_LINES = (
    FILES["file-realistic"]
    + "".join(f"key{i} = 'value {i}'\n" for i in range(12))
    + "cpuid = ['host,tm=0,sse3=0', 'host']\nserial = 'pty'\nboot = 'dc'\n"
    + "viridian = [ 'base', 'freq' ]\n" * 9
)


def test_reading_a_config_imports_no_lark() -> None:
    code = (
        "import sys\n"
        "from xl_py.syntax import parse_xlcfg\n"
        "from xl_py.settings.raw import RawDomain\n"
        "raw = RawDomain.from_document(parse_xlcfg(\"a = 1\\nb = [ 'x', [2] ] # c\\n\", 'g'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'click')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_parse_throughput() -> None:
    assert CONFIG_40_LINES.count("\n") == 40
    raw = RawDomain.from_document(parse_xlcfg(CONFIG_40_LINES, "g.cfg"))
    assert len(raw.keys()) == 29

    def run() -> None:
        RawDomain.from_document(parse_xlcfg(CONFIG_40_LINES, "g.cfg"))

    best = min(timeit.repeat(run, number=200, repeat=5)) / 200
    print(f"\nparse + RawDomain of a 40-line config: {1 / best:.0f} configs/s")
    # about 6,000/s on an idle core; the bound leaves room for loaded CI machines
    assert 1 / best > 500
