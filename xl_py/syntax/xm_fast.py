"""A fast path for the plain statements of xm configs: ``NAME = <literal expr>``.

Most lines of an xm file are simple assignments of strings, numbers, lists,
``+`` / ``%`` / ``*`` expressions and earlier names.  This scanner recognises
such top-level statements and builds *exactly* the lark trees (same rule names,
tokens and positions) that ``grammar/xm.lark`` produces for them, so the one
evaluator in :mod:`xl_py.syntax.xm` runs on both; everything else (imports,
``if`` blocks, calls, anything unusual) is left to the Lark parser, which then
sees those statements only, with the fast ones blanked out (offsets kept).
``tests/test_xm_fast.py`` checks tree-for-tree agreement with the grammar.
"""

from __future__ import annotations

import re
from typing import Any

_KEYWORDS = frozenset({
    "and", "or", "not", "if", "elif", "else", "import", "from", "as", "in", "is", "lambda",
    "pass", "for", "while", "def", "class", "try", "with", "except", "finally", "del",
    "return", "raise", "global", "assert", "exec", "print", "yield", "break", "continue",
    "nonlocal",
})
# the terminals of grammar/xm.lark that the fast path accepts, in priority order
_TOKEN = re.compile(r"""
    (?P<STRING>[uUbB]?[rR]?(?:\"\"\"(?:[^\\]|\\.)*?\"\"\"|'''(?:[^\\]|\\.)*?'''
        |"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*'))
  | (?P<NUMBER>0[xX][0-9a-fA-F]+[lL]?|0[oO][0-7]+|0[bB][01]+
        |(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[jJ]?)[lL]?)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<OP>\*\*|//|[-+*/%=,()\[\]])
  | (?P<WS>[ \t\f]+)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<NL>\r?\n)
""", re.VERBOSE | re.DOTALL)
_OPS = {"+": "PLUS", "-": "MINUS", "*": "STAR", "/": "MUL_OP", "//": "MUL_OP", "%": "MUL_OP",
        "=": "EQUAL", ",": "COMMA", "(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB",
        "**": "DSTAR"}
_OPEN, _CLOSE = "([", ")]"


class _NotFast(Exception):
    """This statement is not in the fast subset: leave it to Lark."""


class _Tok:
    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int, end: int) -> None:
        self.kind, self.text, self.start, self.end = kind, text, start, end


def _logical_lines(text: str) -> list[tuple[int, int, list[_Tok]]]:
    """Top-level logical lines starting at column 0 with a NAME: (start, end, tokens).

    A line that is not tokenisable by the fast terminals ends the scan of that
    line (it stays for Lark)."""
    out: list[tuple[int, int, list[_Tok]]] = []
    pos, n = 0, len(text)
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol == -1 else eol
        first = text[pos:pos + 1]
        if first.isalpha() or first == "_":
            toks, end = _scan(text, pos)
            if toks is not None:
                out.append((pos, end, toks))
                pos = end
                continue
        pos = eol + 1
    return out


def _scan(text: str, pos: int) -> tuple[list[_Tok] | None, int]:
    """Tokens of one logical line from ``pos``; None when a token is not fast."""
    toks: list[_Tok] = []
    depth = 0
    match = _TOKEN.match
    n = len(text)
    while pos < n:
        m = match(text, pos)
        if m is None:
            return None, _skip_line(text, pos)
        kind = m.lastgroup or ""
        value = m.group()
        end = m.end()
        if kind == "NL":
            if depth == 0:
                return toks, end
        elif kind == "OP":
            if value in _OPEN:
                depth += 1
            elif value in _CLOSE:
                depth -= 1
                if depth < 0:
                    return None, _skip_line(text, pos)
            toks.append(_Tok(_OPS[value], value, pos, end))
        elif kind == "NAME":
            if value in _KEYWORDS:
                return None, _skip_line(text, pos)
            toks.append(_Tok("NAME", value, pos, end))
        elif kind in ("STRING", "NUMBER"):
            toks.append(_Tok(kind, value, pos, end))
        pos = end
    return (toks, n) if depth == 0 else (None, n)


def _skip_line(text: str, pos: int) -> int:
    eol = text.find("\n", pos)
    return len(text) if eol == -1 else eol + 1


class _Builder:
    """Recursive descent over the fast tokens, building lark Trees like the grammar."""

    def __init__(self, toks: list[_Tok], tree: Any, token: Any, meta: Any) -> None:
        self.toks, self.i = toks, 0
        self.Tree, self.Token, self.Meta = tree, token, meta
        # the span a node covers as a child (an inlined "(" tuple_items ")" atom
        # keeps its inner meta but its parent counts the parentheses, as in Lark)
        self.outer: dict[int, tuple[int, int]] = {}

    def peek(self) -> str:
        return self.toks[self.i].kind if self.i < len(self.toks) else "$END"

    def take(self, kind: str) -> _Tok:
        if self.peek() != kind:
            raise _NotFast
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def token(self, tok: _Tok) -> Any:
        return self.Token(tok.kind, tok.text, start_pos=tok.start, end_pos=tok.end)

    def tree(self, data: str, children: list[Any], start: int, end: int) -> Any:
        meta = self.Meta()
        meta.start_pos, meta.end_pos, meta.empty = start, end, False
        node = self.Tree(data, children, meta)
        self.outer[id(node)] = (start, end)
        return node

    def span(self, node: Any) -> tuple[int, int]:
        if hasattr(node, "start_pos") and not hasattr(node, "data"):
            return int(node.start_pos), int(node.end_pos)
        return self.outer[id(node)]

    def statement(self) -> Any:
        name = self.take("NAME")
        self.take("EQUAL")
        target = self.tree("name", [self.token(name)], name.start, name.end)
        value = self.arith()
        if self.peek() != "$END":
            raise _NotFast
        return self.tree("expr_stmt", [target, value], name.start, self.span(value)[1])

    def chain(self, data: str, ops: tuple[str, ...], operand: Any) -> Any:
        first = operand()
        children = [first]
        while self.peek() in ops:
            children.append(self.token(self.toks[self.i]))
            self.i += 1
            children.append(operand())
        if len(children) == 1:
            return first
        return self.tree(data, children, self.span(first)[0], self.span(children[-1])[1])

    def arith(self) -> Any:
        return self.chain("arith", ("PLUS", "MINUS"), self.term)

    def term(self) -> Any:
        return self.chain("term", ("STAR", "MUL_OP"), self.factor)

    def factor(self, depth: int = 0) -> Any:
        if self.peek() in ("PLUS", "MINUS"):
            if depth > 16:  # long sign chains: Lark's, and the evaluator's depth limit
                raise _NotFast
            op = self.toks[self.i]
            self.i += 1
            operand = self.factor(depth + 1)
            return self.tree("unary", [self.token(op), operand], op.start, self.span(operand)[1])
        if self.peek() == "DSTAR":
            raise _NotFast
        atom = self.atom()
        if self.peek() in ("DSTAR", "LPAR", "LSQB"):  # power, call, subscript: Lark's
            raise _NotFast
        return atom

    def atom(self) -> Any:
        kind = self.peek()
        if kind == "STRING":
            toks = []
            while self.peek() == "STRING":
                toks.append(self.take("STRING"))
            return self.tree("strings", [self.token(t) for t in toks], toks[0].start, toks[-1].end)
        if kind in ("NUMBER", "NAME"):
            tok = self.take(kind)
            return self.tree(kind.lower(), [self.token(tok)], tok.start, tok.end)
        if kind == "LSQB":
            return self.list_atom()
        if kind == "LPAR":
            return self.paren_atom()
        raise _NotFast

    def items(self, close: str) -> tuple[list[Any], bool, int]:
        """test ("," test)* [","] up to ``close``: (items, saw a comma, end offset
        of the items rule — a trailing comma belongs to it, as in Lark)."""
        items: list[Any] = []
        comma = False
        end = 0
        while self.peek() != close:
            items.append(self.arith())
            end = self.span(items[-1])[1]
            if self.peek() == "COMMA":
                end = self.toks[self.i].end
                self.i += 1
                comma = True
            elif self.peek() != close:
                raise _NotFast
        return items, comma, end

    def list_atom(self) -> Any:
        lsqb = self.take("LSQB")
        items, _, end = self.items("RSQB")
        rsqb = self.take("RSQB")
        children = []
        if items:
            children = [self.tree("list_items", items, self.span(items[0])[0], end)]
        return self.tree("list", children, lsqb.start, rsqb.end)

    def paren_atom(self) -> Any:
        lpar = self.take("LPAR")
        items, comma, end = self.items("RPAR")
        rpar = self.take("RPAR")
        if not items:
            return self.tree("empty_tuple", [], lpar.start, rpar.end)
        if len(items) == 1 and not comma:
            return self.tree("paren", items, lpar.start, rpar.end)
        node = self.tree("tuple_items", items, self.span(items[0])[0], end)
        self.outer[id(node)] = (lpar.start, rpar.end)
        return node


def split(text: str) -> tuple[list[Any], str]:
    """(fast statement trees, the text left for Lark with those statements blanked)."""
    from lark import Token, Tree
    from lark.tree import Meta

    fast: list[Any] = []
    pieces: list[str] = []
    done = 0
    for start, end, toks in _logical_lines(text):
        if _indented_after(text, end):
            return [], text  # a block follows: let Lark see the whole structure
        try:
            fast.append(_Builder(toks, Tree, Token, Meta).statement())
        except (_NotFast, IndexError):
            continue
        pieces.append(text[done:start])
        pieces.append(_BLANK.sub(" ", text[start:end]))
        done = end
    pieces.append(text[done:])
    return fast, "".join(pieces)


_BLANK = re.compile(r"[^\r\n]")


def _indented_after(text: str, end: int) -> bool:
    """Is the next non-blank, non-comment line indented?"""
    pos, n = end, len(text)
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol == -1 else eol
        line = text[pos:eol]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line[:1] in (" ", "\t")
        pos = eol + 1
    return False
