"""xl_py._record against the dataclasses it replaces: the same behaviour, class
by class, for every record class xl_py defines, and the corner cases one by one."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import pickle
import pkgutil
from typing import Any, ClassVar

import pytest

import xl_py
from xl_py._record import (
    MISSING,
    FrozenInstanceError,
    Record,
    field,
    fields,
    is_record,
    replace,
)

# modules that need a library this machine may lack (ctypes loads lazily, but
# libvirt-python is imported at the top of the libvirt backend)
OPTIONAL = {"xl_py.backends.libvirt"}


def _all_records() -> list[type[Record]]:
    for info in pkgutil.walk_packages(xl_py.__path__, "xl_py."):
        if info.name in OPTIONAL:
            continue
        importlib.import_module(info.name)
    found: list[type[Record]] = []
    todo: list[type[Record]] = [Record]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("xl_py."):
                found.append(sub)
            todo.append(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


RECORDS = _all_records()


def _twin(cls: type[Record]) -> Any:
    """The dataclass the record stands for: same name, fields, defaults, flags."""
    specs = []
    for f in fields(cls):
        kwargs: dict[str, Any] = {"compare": f.compare, "repr": f.repr}
        if f.default_factory is not MISSING:
            kwargs["default_factory"] = f.default_factory
        elif f.default is not MISSING:
            kwargs["default"] = f.default
        specs.append((f.name, Any, dataclasses.field(**kwargs)))
    twin = dataclasses.make_dataclass(cls.__name__, specs, frozen=cls.__record_frozen__,
                                      slots=True)
    twin.__qualname__ = cls.__qualname__
    return twin


class _Marker:
    """A value no default equals, hashable, with a stable repr."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _required(cls: type[Record]) -> dict[str, Any]:
    return {f.name: _Marker(f.name) for f in fields(cls)
            if f.default is MISSING and f.default_factory is MISSING}


def _uses_dataclasses(module: str) -> bool:
    """The module imported ``dataclasses`` or a name from it."""
    namespace = vars(importlib.import_module(module))
    return "dataclasses" in namespace or any(
        getattr(value, "__module__", None) == "dataclasses" for value in namespace.values())


def test_every_xl_py_struct_is_a_record() -> None:
    """No xl_py module uses dataclasses (the CLI's start-up cost: see
    xl_py/_record.py); the twin test below covers every record found."""
    assert len(RECORDS) > 80
    users = [info.name for info in pkgutil.walk_packages(xl_py.__path__, "xl_py.")
             if info.name not in OPTIONAL and _uses_dataclasses(info.name)]
    assert users == [], "use xl_py._record.Record instead of dataclasses"


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_record_behaves_like_its_dataclass(cls: type[Record]) -> None:
    twin = _twin(cls)
    names = [f.name for f in fields(cls)]
    assert [f.name for f in dataclasses.fields(twin)] == names
    assert cls.__slots__ == tuple(names) and not hasattr(cls(**_required(cls)), "__dict__")
    base = _required(cls)
    ours, theirs = cls(**base), twin(**base)
    assert repr(ours) == repr(theirs)
    if cls.__record_frozen__:
        assert hash(ours) == hash(cls(**base))
        with pytest.raises(AttributeError):
            ours.not_a_field = 1
        if names:
            with pytest.raises(FrozenInstanceError):
                setattr(ours, names[0], 1)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(theirs, names[0], 1)
    else:
        assert cls.__hash__ is None and twin.__hash__ is None
    for name in names:  # one field changed at a time: equality and repr agree
        marker = _Marker(f"new-{name}")
        changed, twin_changed = replace(ours, **{name: marker}), dataclasses.replace(
            theirs, **{name: marker})
        assert getattr(changed, name) is marker
        assert repr(changed) == repr(twin_changed)
        assert (changed == ours) == (twin_changed == theirs)
        assert changed == cls(**{**base, name: marker})


# -- the corner cases, against a dataclass written out ---------------------------------


class Sample(Record):
    KIND: ClassVar[str] = "sample"

    a: int
    b: tuple[str, ...] = ()
    c: list[int] = field(default_factory=list)
    d: str | None = field(default=None, compare=False, repr=False)

    def total(self) -> int:
        return self.a + len(self.b)


@dataclasses.dataclass(frozen=True, slots=True)
class SampleDC:
    KIND: ClassVar[str] = "sample"

    a: int
    b: tuple[str, ...] = ()
    c: list[int] = dataclasses.field(default_factory=list)
    d: str | None = dataclasses.field(default=None, compare=False, repr=False)


class Point(Record):
    x: int
    label: str = field(default="", compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class PointDC:
    x: int
    label: str = dataclasses.field(default="", compare=False)


class Mutable(Record, frozen=False):
    n: int = 0
    items: list[int] = field(default_factory=list)


def test_init_positional_keyword_defaults_and_factories() -> None:
    for cls in (Sample, SampleDC):
        x = cls(1, ("p",), d="hidden")
        assert (x.a, x.b, x.c, x.d) == (1, ("p",), [], "hidden")
        assert cls(a=2).c is not cls(a=2).c  # a new list per instance
        assert repr(cls(3, c=[4])).endswith("(a=3, b=(), c=[4])")
    assert Sample.KIND == "sample" and "KIND" not in Sample.__slots__
    assert Sample(1, ("x", "y")).total() == 3


def test_init_errors() -> None:
    with pytest.raises(TypeError, match=r"^Sample\(\) missing required argument: 'a'$"):
        Sample()
    with pytest.raises(TypeError, match=r"^Sample\(\) got an unexpected keyword argument "
                       r"'z'$"):
        Sample(1, z=2)
    with pytest.raises(TypeError, match=r"^Sample\(\) got multiple values for argument "
                       r"'a'$"):
        Sample(1, a=2)
    with pytest.raises(TypeError, match=r"^Sample\(\) takes 4 arguments but 5 were given$"):
        Sample(1, (), [], None, 5)


def test_equality_hash_and_compare_false() -> None:
    for cls in (Sample, SampleDC):
        assert cls(1, ("x",), d="one") == cls(1, ("x",), d="other")
        assert cls(1) != cls(2)
        assert cls(1).__eq__(SampleDC(1) if cls is Sample else Sample(1)) is NotImplemented
    assert hash(Point(1)) == hash(Point(1, "other")) != hash(Point(2))
    assert hash(Point(1)) == hash(PointDC(1))  # the hash of the compared fields' tuple


def test_frozen() -> None:
    x = Sample(1)
    with pytest.raises(FrozenInstanceError, match=r"^cannot assign to field 'a'$"):
        x.a = 2  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match=r"^cannot delete field 'a'$"):
        del x.a  # type: ignore[misc]
    with pytest.raises(AttributeError):
        x.other = 1  # type: ignore[attr-defined]
    assert issubclass(FrozenInstanceError, AttributeError)


def test_mutable_records() -> None:
    m = Mutable()
    m.n = 5
    m.items.append(1)
    assert m == Mutable(5, [1]) and repr(m) == "Mutable(n=5, items=[1])"
    assert Mutable.__hash__ is None
    with pytest.raises(AttributeError):
        m.other = 1  # type: ignore[attr-defined]


def test_replace_fields_is_record() -> None:
    x = Sample(1, ("x",), d="kept")
    y = replace(x, a=5)
    assert (y.a, y.b, y.d) == (5, ("x",), "kept") and x.a == 1
    with pytest.raises(TypeError, match=r"^Sample\(\) got an unexpected keyword argument "
                       r"'zz'$"):
        replace(x, zz=1)
    assert [f.name for f in fields(x)] == ["a", "b", "c", "d"] == [f.name for f in
                                                                     fields(Sample)]
    assert fields(Sample)[2].initial() == [] and fields(Sample)[0].initial() is MISSING
    assert is_record(x) and is_record(Sample) and not is_record(SampleDC(1))


def test_pickle_and_copy() -> None:
    x = Sample(1, ("x",), [2], "d")
    for clone in (pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x)):
        assert clone == x and clone.d == "d" and clone is not x


def test_methods_in_the_body_win() -> None:
    class Named(Record):
        name: str = ""

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert repr(Named("n")) == "<n>" and Named("n") == Named("n")


def test_declaration_errors() -> None:
    with pytest.raises(ValueError, match=r"^test_declaration_errors\.<locals>\.Bad\.items: "
                       r"mutable default list is not allowed: use "
                       r"field\(default_factory=\.\.\.\)$"):
        class Bad(Record):
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(ValueError, match=r"^cannot specify both default and default_factory$"):
        field(default=1, default_factory=list)
    with pytest.raises(TypeError, match=r"^Child: cannot inherit from a record that is "
                       r"frozen$"):
        class Child(Sample, frozen=False):
            e: int = 0


def test_inheritance_appends_fields() -> None:
    class Child(Sample):
        e: int = 7

    assert [f.name for f in fields(Child)] == ["a", "b", "c", "d", "e"]
    assert repr(Child(1, e=2)) == "test_inheritance_appends_fields.<locals>.Child(a=1, " \
        "b=(), c=[], e=2)"
