"""The layer contract of DESIGN.md, checked in a fresh interpreter per layer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# layer module -> xl_py packages (and third-party modules) it must not pull in
FORBIDDEN = {
    "xl_py._record": ["xl_py.errors", "xl_py._types", "xl_py.syntax", "xl_py.settings",
                      "xl_py.model", "xl_py.render", "xl_py.backends", "xl_py.cli",
                      "dataclasses", "inspect"],
    "xl_py.errors": ["xl_py.syntax", "xl_py.settings", "xl_py.model", "xl_py.render",
                     "xl_py.backends", "xl_py.cli", "lark", "click"],
    "xl_py._types": ["xl_py.syntax", "xl_py.model", "xl_py.cli", "lark", "click"],
    "xl_py.model": ["lark", "click", "xl_py.settings", "xl_py.syntax", "xl_py.backends",
                    "xl_py.render", "xl_py.cli"],
    "xl_py.syntax": ["xl_py.model", "click", "xl_py.cli", "xl_py.backends"],
    "xl_py.settings": ["xl_py.render", "xl_py.backends", "click", "xl_py.cli"],
    "xl_py.render": ["xl_py.syntax", "xl_py.settings", "xl_py.backends", "lark", "click",
                     "xl_py.cli"],
    "xl_py.backends": ["xl_py.cli", "click"],
    "xl_py.cli.main": ["lark", "click", "libvirt", "pyxs", "xl_py.backends"],
}


def _loaded_after_import(module: str) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout))


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    if not _importable(layer):
        pytest.skip(f"{layer} does not exist yet")
    loaded = _loaded_after_import(layer)
    bad = sorted(
        name
        for name in loaded
        for banned in FORBIDDEN[layer]
        if name == banned or name.startswith(banned + ".")
    )
    assert bad == [], f"{layer} imports {bad}"
