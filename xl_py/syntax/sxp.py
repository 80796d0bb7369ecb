"""Read xend S-expression configs (``(vm ...)``, ``(domain ...)``) with spans.

``parse_sxp(text, name)`` returns the top-level items as :class:`SxpList` /
:class:`SxpAtom` trees; malformed input raises :class:`ConfigSyntaxError`
positioned at the offending character (an unclosed list points at its ``(``).

Strings follow xend's ``sxp.py``: ``\\a \\b \\t \\n \\v \\f \\r \\\\ \\' \\"``,
``\\xHH`` (one or two hex digits) and ``\\ooo`` (one to three octal digits, at
most 0xff).  An unknown escape keeps the backslash and drops the character, as
xend's parser did; hex digits are read correctly (xend's ``\\xA``..``\\xF``
arithmetic was off by ten, and its files only ever contained Python ``repr``
output, which this reads as written).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Union

from xl_py._record import Record
from xl_py.errors import ConfigError, ConfigSyntaxError, Source
from xl_py.syntax.xm import grammar_path


class SxpAtom(Record):
    text: str
    start: int
    end: int
    quoted: bool = False


class SxpList(Record):
    items: tuple[SxpNode, ...]
    start: int
    end: int

    @property
    def name(self) -> str | None:
        """The head atom: ``(device (vbd ...))`` is named 'device'."""
        if self.items and isinstance(self.items[0], SxpAtom):
            return self.items[0].text
        return None

    def children(self, name: str | None = None) -> Iterator[SxpList]:
        """Sub-lists after the head, optionally only those named ``name``."""
        for item in self.items[1:]:
            if isinstance(item, SxpList) and (name is None or item.name == name):
                yield item

    def child(self, name: str) -> SxpList | None:
        return next(self.children(name), None)

    def value(self, name: str) -> SxpAtom | None:
        """``(name value)``: the first atom after the head of child ``name``."""
        node = self.child(name)
        if node is None or len(node.items) < 2 or not isinstance(node.items[1], SxpAtom):
            return None
        return node.items[1]

    def text(self, name: str) -> str | None:
        atom = self.value(name)
        return atom.text if atom is not None else None


SxpNode = Union[SxpAtom, SxpList]  # noqa: UP007 (runtime alias for record fields)


class SxpDocument(Record):
    source: Source
    items: tuple[SxpNode, ...]

    def root(self) -> SxpList:
        """The first top-level list (``(vm ...)`` or ``(domain ...)``)."""
        for item in self.items:
            if isinstance(item, SxpList):
                return item
        raise ConfigSyntaxError.at("no S-expression list in file", self.source, 0, 0,
                                   expected="(vm ...) or (domain ...)")


@lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    return Lark(grammar_path("sxp.lark").read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=True)


_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "\\": "\\", "'": "'", '"': '"'}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.?)", re.S)


def unescape(body: str, src: Source, offset: int) -> str:
    """xend's string escapes; ``offset`` is where ``body`` starts in ``src``.

    ``\\xHH`` and ``\\ooo`` are bytes: xend was Python 2, whose ``repr`` wrote
    the UTF-8 bytes of 'café' as ``'caf\\xc3\\xa9'``.  The bytes are decoded as
    UTF-8 together with the literal text; where that fails (a Latin-1 file),
    each escaped byte stands for the code point of its value."""
    if "\\" not in body:
        return body
    parts: list[bytes] = []
    pos = 0
    for m in _ESCAPE.finditer(body):
        parts.append(body[pos:m.start()].encode("utf-8", "surrogatepass"))
        parts.append(_escape_bytes(m, src, offset))
        pos = m.end()
    parts.append(body[pos:].encode("utf-8", "surrogatepass"))
    try:
        return b"".join(parts).decode("utf-8")
    except UnicodeDecodeError:
        return _ESCAPE.sub(lambda m: _escape_bytes(m, src, offset).decode("latin-1"), body)


def _escape_bytes(m: re.Match[str], src: Source, offset: int) -> bytes:
    """One escape's bytes (an unknown escape keeps the backslash, as xend did)."""
    code = m.group(1)
    if code in _ESCAPES:
        return _ESCAPES[code].encode()
    if code == "x":  # xend's parser died on it (a NameError in state_hex)
        raise ConfigSyntaxError.at("invalid hex escape: \\x without a hex digit", src,
                                   offset + m.start(), offset + m.end())
    if code[:1] == "x":
        return bytes([int(code[1:], 16)])
    if code[:1] in ("0", "1", "2", "3", "4", "5", "6", "7"):  # \8, \9: unknown escapes
        value = int(code, 8)
        if value > 0xFF:
            raise ConfigSyntaxError.at(f"invalid octal escape: out of range \\{code}", src,
                                       offset + m.start(), offset + m.end())
        return bytes([value])
    return b"\\"


# the terminals of grammar/sxp.lark, for the fast scanner (same priorities)
_FAST = re.compile(r"""
    (?P<ws>[ \t\n\v\f\r]+|\#[^\n]*|\\\r?\n)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<open>\()
  | (?P<close>\))
  | (?P<atom>[^\s()"'\#\\][^\s()\#{}\[\]<>;]*|\\(?!\r?\n)[^\s()\#{}\[\]<>;]*)
""", re.VERBOSE | re.DOTALL)


def _fast_items(src: Source) -> tuple[SxpNode, ...] | None:
    """A hand-written scanner for well-formed input (the Lark grammar is the
    specification and reports the errors); None when anything is off."""
    text = src.text
    stack: list[tuple[int, list[SxpNode]]] = [(0, [])]
    pos, n = 0, len(text)
    match = _FAST.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            return None
        kind, end = m.lastgroup, m.end()
        if kind == "open":
            stack.append((pos, []))
        elif kind == "close":
            if len(stack) == 1:
                return None
            start, items = stack.pop()
            stack[-1][1].append(SxpList(tuple(items), start, end))
        elif kind == "string":
            stack[-1][1].append(SxpAtom(unescape(m.group()[1:-1], src, pos + 1), pos, end, True))
        elif kind == "atom":
            stack[-1][1].append(SxpAtom(m.group(), pos, end))
        pos = end
    return tuple(stack[0][1]) if len(stack) == 1 else None


def parse_sxp(text: str | bytes, name: str = "<sxp>", *, fast: bool = True) -> SxpDocument:
    """Parse S-expressions; raise ConfigSyntaxError with the position.

    Well-formed input takes a hand-written scanner; anything it refuses goes
    through the Lark grammar, which gives the positioned error (``fast=False``:
    always Lark; tests/test_sxp.py checks both give the same trees)."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            src = Source(name, raw.decode("utf-8", "replace"))
            pos = len(raw[: exc.start].decode("utf-8", "replace"))
            raise ConfigSyntaxError.at("invalid UTF-8 in SXP config", src, pos, pos + 1) from None
    src = Source(name, text)
    try:
        items = _fast_items(src) if fast else None
    except ConfigSyntaxError:
        items = None  # a bad escape: the grammar decides which error comes first
    if items is not None:
        return SxpDocument(src, items)
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        pos = int(exc.pos_in_stream or 0)
        raise _syntax_error(src, pos) from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise _unclosed(src) from None
        raise ConfigSyntaxError.at(f"syntax error: unexpected {str(tok)!r}", src,
                                   tok.start_pos or 0, tok.end_pos or 0,
                                   expected="an atom, a string or a list") from None
    except UnexpectedEOF:
        raise _unclosed(src) from None
    return SxpDocument(src, tuple(_build(child, src) for child in tree.children))


def _syntax_error(src: Source, pos: int) -> ConfigError:
    ch = src.text[pos:pos + 1]
    if ch in "'\"":
        return ConfigSyntaxError.at("unterminated string", src, pos, pos + 1,
                                    expected=f"a closing {ch}")
    return ConfigSyntaxError.at(f"syntax error: unexpected {ch!r}", src, pos, pos + 1,
                                expected="an atom, a string or a list")


def _unclosed(src: Source) -> ConfigError:
    """Point at the innermost '(' that never closed."""
    depth: list[int] = []
    for m in re.finditer(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|#[^\n]*|[()]", src.text, re.S):
        if m.group() == "(":
            depth.append(m.start())
        elif m.group() == ")" and depth:
            depth.pop()
    pos = depth[-1] if depth else len(src.text)
    return ConfigSyntaxError.at("unexpected end of file: list never closed", src, pos, pos + 1,
                                expected="a ')' closing this list")


def _build(node: Any, src: Source) -> SxpNode:
    """Lark tree -> SxpList / SxpAtom (iterative, so deep nesting cannot blow the stack)."""
    if node.data != "list":
        return _atom(node, src)
    stack: list[tuple[Any, list[SxpNode]]] = [(node, [])]
    result: SxpNode | None = None
    iters = [iter(node.children)]
    while stack:
        current, items = stack[-1]
        child = next(iters[-1], None)
        if child is None:
            stack.pop()
            iters.pop()
            built = SxpList(tuple(items), current.meta.start_pos, current.meta.end_pos)
            if stack:
                stack[-1][1].append(built)
            else:
                result = built
        elif child.data == "list":
            stack.append((child, []))
            iters.append(iter(child.children))
        else:
            items.append(_atom(child, src))
    assert result is not None
    return result


def _atom(node: Any, src: Source) -> SxpAtom:
    token = node.children[0]
    start, end = token.start_pos, token.end_pos
    if node.data == "string":
        return SxpAtom(unescape(str(token)[1:-1], src, start + 1), start, end, True)
    return SxpAtom(str(token), start, end)
