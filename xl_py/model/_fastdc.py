"""Faster start-up: precompiled dataclass methods.

``@dataclass`` writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` of every class and
compiles it at import time (``dataclasses._create_fn``).  For the ~80
frozen slotted model and settings classes that compile is most of
``xl-py create -N``'s start-up.  tools/gen-dataclass-code.py records those
sources once and writes them as ordinary functions in
``xl_py/model/_dataclass_code.py``, which Python keeps as bytecode like any
module; inside :func:`precompiled_dataclasses` a source found there is not
compiled again.

The generated function is the one ``_create_fn`` would build (same source,
same globals), so behaviour is identical; a source that is not in the table
(a model changed since the table was generated) is compiled as usual.  Only
CPython 3.11 and 3.12, whose ``_create_fn`` this mirrors, use the table.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType, FunctionType
from typing import Any

_MISSING = dataclasses.MISSING
_depth = 0
_MISSES: list[str] = []  # sources compiled the slow way (the table is stale)
_recorder: Callable[[str], None] | None = None


def _supported() -> bool:
    fn = getattr(dataclasses, "_create_fn", None)
    return (sys.implementation.name == "cpython" and sys.version_info[:2] in ((3, 11), (3, 12))
            and fn is not None and fn.__code__.co_varnames[:3] == ("name", "args", "body"))


_TABLE: dict[str, CodeType] | None = None


def _table() -> dict[str, CodeType]:
    global _TABLE
    if _TABLE is None:
        _TABLE = _load_table()
    return _TABLE


def _load_table() -> dict[str, CodeType]:
    try:
        from xl_py.model import _dataclass_code as generated
    except ImportError:
        return {}
    if tuple(generated.PYTHON) != sys.version_info[:2]:
        return {}
    table: dict[str, CodeType] = generated.codes()  # type: ignore[no-untyped-call]
    return table


def _source(name: str, args: Any, body: Any, locals: dict[str, Any],
            return_type: Any) -> str:
    """The text dataclasses._create_fn compiles (CPython 3.11/3.12)."""
    return_annotation = ""
    if return_type is not _MISSING:
        locals["_return_type"] = return_type
        return_annotation = "->_return_type"
    args = ",".join(args)
    body = "\n".join(f"  {b}" for b in body)
    txt = f" def {name}({args}){return_annotation}:\n{body}"
    local_vars = ", ".join(locals.keys())
    return f"def __create_fn__({local_vars}):\n{txt}\n return {name}"


def _make_create_fn(table: dict[str, CodeType]) -> Callable[..., Any]:
    def _create_fn(name: str, args: Any, body: Any, *, globals: Any = None,
                   locals: Any = None, return_type: Any = _MISSING) -> Any:
        if locals is None:
            locals = {}
        txt = _source(name, args, body, locals, return_type)
        if _recorder is not None:
            _recorder(txt)
        code = table.get(txt)
        if code is None:
            _MISSES.append(txt)
            ns: dict[str, Any] = {}
            exec(txt, globals, ns)
            return ns["__create_fn__"](**locals)
        maker = FunctionType(code, globals if globals is not None else {})
        return maker(**locals)

    return _create_fn


@contextmanager
def precompiled_dataclasses() -> Iterator[None]:
    """Within this block, @dataclass reuses the precompiled methods."""
    global _depth
    if not _supported():
        yield
        return
    original = dataclasses._create_fn  # type: ignore[attr-defined]
    if _depth == 0:
        dataclasses._create_fn = _make_create_fn(_table())  # type: ignore[attr-defined]
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            dataclasses._create_fn = original  # type: ignore[attr-defined]


@contextmanager
def recording(into: Callable[[str], None]) -> Iterator[None]:
    """Collect every source @dataclass generates (tools/gen-dataclass-code.py)."""
    global _recorder
    _recorder = into
    try:
        with precompiled_dataclasses():
            yield
    finally:
        _recorder = None
