"""xl_py.syntax: config text -> Document (lossless, with spans).

``parse_xlcfg`` reads the xl.cfg / xl.conf language (grammar/xlcfg.lark).
"""

from __future__ import annotations

from xl_py.syntax.document import Atom, Document, ListValue, Op, Span, Statement, Value
from xl_py.syntax.xlcfg import MAX_BYTES, MAX_DEPTH, parse_xlcfg

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Atom",
    "Document",
    "ListValue",
    "Op",
    "Span",
    "Statement",
    "Value",
    "parse_xlcfg",
]
