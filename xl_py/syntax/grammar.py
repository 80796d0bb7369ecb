"""The Lark grammar of the xl.cfg language (grammar/xlcfg.lark).

Shipped in the package as ``xl_py/grammar/xlcfg.lark`` (a symlink to the
top-level ``grammar/`` in the source tree, a real file in a wheel).  The fast
parser in xlcfg.py does not need it; tests and tools use it as the
specification.  Importing lark happens only in :func:`lark_parser`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

GRAMMARS = ("xlcfg", "xm", "sxp")


def grammar_text(name: str = "xlcfg") -> str:
    """The text of ``grammar/<name>.lark``, from the package or the source tree."""
    if name not in GRAMMARS:
        raise ValueError(f"unknown grammar {name!r}")
    packaged = resources.files("xl_py").joinpath("grammar", f"{name}.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    tree = Path(__file__).resolve().parents[2] / "grammar" / f"{name}.lark"
    return tree.read_text(encoding="utf-8")


@cache
def lark_parser(name: str = "xlcfg") -> Any:
    """A LALR ``lark.Lark`` parser built from the grammar (imports lark)."""
    import lark

    return lark.Lark(grammar_text(name), parser="lalr", propagate_positions=True)
