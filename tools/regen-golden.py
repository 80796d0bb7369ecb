#!/usr/bin/env python3
"""(Re)generate the golden files of tests/data/xl/**/*.cfg from the real xl.

For every case the reference ``xl -N create`` accepts, write NAME.json (its
stdout, uuid normalised).  For a case it rejects, write NAME.err from xl-py's
stderr when --write-err is given (read it before committing: it is *our*
message), else list it.  Only the files named on the command line are
touched when any are given.

    tools/regen-golden.py [--write-err] [tests/data/xl/domain/foo.cfg ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dryrun_support import Case, cases, run_reference, run_xl_py
from reference import xlref


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-err", action="store_true",
                        help="write NAME.err from xl-py's stderr where xl rejects the case")
    parser.add_argument("cfgs", nargs="*", type=Path)
    opts = parser.parse_args()
    reason = xlref.unavailable()
    if reason:
        print(f"regen-golden: {reason}", file=sys.stderr)
        return 1
    selected = [Case(p.resolve()) for p in opts.cfgs] if opts.cfgs else cases()
    rc = 0
    for case in selected:
        ref = run_reference(case)
        if ref.rc == 0:
            case.sibling(".json").write_text(ref.stdout)
            case.sibling(".err").unlink(missing_ok=True)
            ours = run_xl_py(case)
            if ours.stdout != ref.stdout:
                print(f"DIFFERS  {case.id}")
                rc = 1
            continue
        case.sibling(".json").unlink(missing_ok=True)
        ours = run_xl_py(case)
        if ours.rc == 0:
            print(f"XL REJECTS, XL-PY ACCEPTS  {case.id}: {ref.stderr.strip()!r}")
            rc = 1
        elif opts.write_err:
            case.sibling(".err").write_text(ours.stderr)
        elif not case.sibling(".err").exists():
            print(f"NO .err  {case.id}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
