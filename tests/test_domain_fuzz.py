"""Property test: any assignment of any domain key to any value gives a
DomainConfig (rendered to JSON) or a typed ConfigError, never a traceback."""

from __future__ import annotations

from fuzzing import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_py import pipeline
from xl_py.errors import XlPyError
from xl_py.settings.domain import KEYS

KEY_NAMES = [*sorted(k.name for k in KEYS if not k.name.startswith("@")),
             "disk", "vif", "pci", "vfb", "channel", "usbctrl", "vkb", "rdm", "vtpm"]

ATOMS = st.one_of(
    st.integers(min_value=-5, max_value=5000).map(str),
    st.sampled_from(["0x10", "010", "-1", "99999999999999999999999"]).map(lambda s: f'"{s}"'),
    st.sampled_from(["hvm", "pv", "pvh", "", "all", "0-1", "^0", "nodes:0", "host,tm=0",
                     "restart", "uefi", "pvgrub64", "/boot/vmlinuz", "stdvga", "1:ecx=x",
                     "defaults", "!base", "lmce", "3f8-3ff", "fe000,2@c0000", "12",
                     "strategy=host", "0.0.0.0:1", "qemu-xen", "igd", "x" * 40])
    .map(lambda s: f'"{s}"'),
    st.text(alphabet="abcxyz019-,:=^!@/ ", max_size=12).map(lambda s: f'"{s}"'),
)
VALUES = st.one_of(ATOMS, st.lists(ATOMS, max_size=4).map(lambda xs: f"[ {', '.join(xs)} ]"))
BASES = st.sampled_from(['name = "f"\nkernel = "/k"\n', 'name = "f"\ntype = "hvm"\n',
                         'name = "f"\ntype = "pvh"\nkernel = "/k"\n', ""])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASES, st.lists(st.tuples(st.sampled_from(KEY_NAMES), VALUES), max_size=6))
def test_only_typed_errors_escape(base: str, assignments: list[tuple[str, str]]) -> None:
    text = base + "".join(f"{key} = {value}\n" for key, value in assignments)
    try:
        built = pipeline.build(text, "fuzz.cfg", uuid="00000000-0000-4000-8000-000000000000")
    except XlPyError as exc:
        assert all(d.format() for d in exc.diagnostics())
        return
    assert pipeline.to_json(built.config).startswith("{\n")
