"""Records: typed value classes, frozen and slotted, that start fast.

xl_py's structs (the libxl model, diagnostics, syntax nodes, command rows)
were frozen slotted dataclasses.  ``@dataclass`` writes and compiles the
source of ``__init__``, ``__eq__``, ``__repr__``, ``__hash__`` and the frozen
``__setattr__`` of every class at import time, and ``dataclasses`` imports
``inspect``: together about a third of a cold ``xl-py create -N``.  A
:class:`Record` declares its fields the same way, as annotated class
attributes, and gets the same methods built from a few generic functions
closed over the class's field table: nothing is compiled, nothing beyond the
standard library's ``operator`` is imported::

    class VncInfo(Record):
        enable: Defbool = Defbool.DEFAULT
        listen: str | None = None

    class Cursor(Record, frozen=False):
        errors: list[Diagnostic] = field(default_factory=list)

What a record class gets (what ``@dataclass(frozen=True, slots=True)`` gives,
tests/test_record.py compares them behaviour for behaviour):

* ``__slots__`` of its fields, in declaration order (``ClassVar`` annotations
  are class constants, not fields); no ``__dict__``;
* ``__init__(*fields)``: positional or keyword, defaults (or
  ``field(default_factory=...)`` called per instance) for the rest;
* ``__eq__`` (same class, equal field tuples), ``__hash__`` of the field tuple
  when frozen (``None`` when not), ``__repr__`` ``Name(a=1, b='x')``;
  ``field(compare=False)`` / ``field(repr=False)`` leave a field out;
* frozen (the default): assignment and deletion raise
  :class:`FrozenInstanceError` (an ``AttributeError``);
* ``__match_args__``, and pickling/copying through ``__getstate__``.

Methods written in the class body win over the generated ones.  Module
functions :func:`fields`, :func:`replace` and :func:`is_record` stand in for
``dataclasses.fields/replace/is_dataclass``.  Modules defining records use
``from __future__ import annotations`` (every xl_py module does), so
annotations are never evaluated.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import dataclass_transform
else:
    def dataclass_transform(**_: object) -> Callable[[type], type]:
        return lambda cls: cls

__all__ = [
    "Field",
    "FrozenInstanceError",
    "Record",
    "field",
    "fields",
    "is_record",
    "replace",
]

R = TypeVar("R", bound="Record")


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) a field of a frozen record."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a record: its name, default (or factory) and flags."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING,
                 compare: bool = True, repr: bool = True, name: str = "") -> None:
        self.name = name
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr

    def initial(self) -> Any:
        """The value a record gets when the field is not given (MISSING: required)."""
        if self.default_factory is not MISSING:
            return self.default_factory()
        return self.default

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r}, default={self.default!r}, "
                f"default_factory={self.default_factory!r}, compare={self.compare}, "
                f"repr={self.repr})")


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING,
          compare: bool = True, repr: bool = True) -> Any:
    """A field with a per-instance default (``default_factory``) or flags."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, compare, repr)


def _is_classvar(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _own_fields(qualname: str, namespace: dict[str, Any]) -> list[Field]:
    """Fields declared in a class body; their defaults leave the namespace
    (a slot and a class attribute of one name cannot coexist)."""
    if "__annotations__" not in namespace and "__annotate__" in namespace:
        raise TypeError(f"{qualname}: a record module needs "
                        "'from __future__ import annotations'")
    out = []
    for name, annotation in namespace.get("__annotations__", {}).items():
        if _is_classvar(annotation) or name.startswith("__"):
            continue
        value = namespace.pop(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        if spec.default.__class__ in (list, dict, set):
            raise ValueError(f"{qualname}.{name}: mutable default "
                             f"{type(spec.default).__name__} is not allowed: "
                             "use field(default_factory=...)")
        spec.name = name
        out.append(spec)
    return out


class _RecordMeta(type):
    """Builds each record class once: slots, methods and the field table go
    into the namespace before the class is made; ``__init__`` (which sets the
    fields through the slots' descriptors) right after."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
                frozen: bool = True, **kwargs: Any) -> _RecordMeta:
        records = [base for base in bases if isinstance(base, _RecordMeta)]
        if not records:  # Record itself
            return super().__new__(mcls, name, bases, namespace, **kwargs)
        parent: Any = records[0]
        inherited: tuple[Field, ...] = parent.__record_fields__
        if inherited and parent.__record_frozen__ is not frozen:
            raise TypeError(f"{name}: cannot inherit from a record that is "
                            f"{'not ' if frozen else ''}frozen")
        qualname = namespace.get("__qualname__", name)
        own = _own_fields(qualname, namespace)
        table = inherited + tuple(own)
        names = tuple(f.name for f in table)
        if len(set(names)) != len(names):
            raise TypeError(f"{name}: a field is declared twice: {list(names)}")
        namespace.setdefault("__slots__", tuple(f.name for f in own))
        for attr, value in _methods(qualname, table, frozen).items():
            namespace.setdefault(attr, value)
        namespace.update(__record_fields__=table, __record_frozen__=frozen,
                         __record_index__={n: i for i, n in enumerate(names)},
                         __record_values__=_getter(names), __match_args__=names)
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        if "__init__" not in namespace:
            init = _make_init(cls, table)
            init.__qualname__ = f"{qualname}.__init__"
            setattr_type(cls, "__init__", init)
        return cls


def _methods(qualname: str, table: tuple[Field, ...], frozen: bool) -> dict[str, Any]:
    """The generated methods but ``__init__`` (it needs the class's slots)."""
    names = tuple(f.name for f in table)
    compared = _getter(tuple(f.name for f in table if f.compare))
    methods: dict[str, Any] = {
        "__repr__": _make_repr(tuple(f.name for f in table if f.repr)),
        "__eq__": _make_eq(compared),
        "__getstate__": _make_getstate(_getter(names)),
        "__setstate__": _make_setstate(names),
    }
    if frozen:
        methods["__hash__"] = _make_hash(compared)
        methods["__setattr__"] = _frozen_setattr
        methods["__delattr__"] = _frozen_delattr
    for attr, method in methods.items():
        if method is not _frozen_setattr and method is not _frozen_delattr:
            method.__qualname__ = f"{qualname}.{attr}"
    if not frozen:
        methods["__hash__"] = None
    return methods


setattr_type = type.__setattr__
_set = object.__setattr__


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """obj -> the tuple of those fields' values (operator.attrgetter: in C)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _make_init(cls: Any, table: tuple[Field, ...]) -> Callable[..., None]:
    """__init__(self, *args, **kwargs): args in field order, then keywords,
    then defaults; every field is set through its slot's descriptor (which
    bypasses the frozen ``__setattr__``, and is the fastest way in)."""
    names = tuple(f.name for f in table)
    setters = tuple(getattr(cls, name).__set__ for name in names)
    count = len(names)
    index = {name: i for i, name in enumerate(names)}
    defaults = tuple(MISSING if f.default_factory is not MISSING else f.default
                     for f in table)
    # fields whose default is made per instance, or that have none
    special = tuple((i, f) for i, f in enumerate(table) if f.default is MISSING)
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        values: Any
        given = len(args)
        if given > count:
            raise TypeError(f"{qualname}() takes {count} arguments but {given} were given")
        if kwargs:
            values = list(args)
            values.extend(defaults[given:])
            for key, value in kwargs.items():
                at = index.get(key)
                if at is None:
                    raise TypeError(f"{qualname}() got an unexpected keyword argument {key!r}")
                if at < given:
                    raise TypeError(f"{qualname}() got multiple values for argument {key!r}")
                values[at] = value
        else:
            values = args + defaults[given:]
        for at, spec in special:
            if values[at] is MISSING:
                if spec.default_factory is MISSING:
                    raise TypeError(f"{qualname}() missing required argument: {spec.name!r}")
                if isinstance(values, tuple):
                    values = list(values)
                values[at] = spec.default_factory()
        for setter, value in zip(setters, values, strict=False):
            setter(self, value)

    return __init__


def _make_repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _make_eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _make_hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _make_getstate(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], Any]:
    def __getstate__(self: Any) -> tuple[Any, ...]:
        return values(self)

    return __getstate__


def _make_setstate(names: tuple[str, ...]) -> Callable[[Any, Any], None]:
    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            _set(self, name, value)

    return __setstate__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Record(metaclass=_RecordMeta):
    """Base of every record class (see the module docstring)."""

    __slots__ = ()
    __record_fields__: ClassVar[tuple[Field, ...]] = ()
    __record_index__: ClassVar[dict[str, int]] = {}
    __record_frozen__: ClassVar[bool] = True
    __record_values__: ClassVar[Callable[[Any], tuple[Any, ...]]]


def is_record(obj: object) -> bool:
    """A record class or instance (``dataclasses.is_dataclass``'s role)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return issubclass(cls, Record)


def fields(obj: Record | type[Record]) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    return obj.__record_fields__


def replace(obj: R, /, **changes: Any) -> R:
    """A copy of a record with some fields changed (``dataclasses.replace``)."""
    cls = type(obj)
    index = cls.__record_index__
    values = list(cls.__record_values__(obj))
    for name, value in changes.items():
        at = index.get(name)
        if at is None:
            raise TypeError(f"{cls.__qualname__}() got an unexpected keyword argument "
                            f"{name!r}")
        values[at] = value
    return cls(*values)
