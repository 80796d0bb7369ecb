"""xl_py.backends layer (see docs/ARCHITECTURE.md): the toolstack behind the commands.

:func:`open_backend` picks one from the global ``-c/--connect`` value:

=====================  ==============================================
``libxl`` (default)    ctypes on libxenlight.so (:mod:`.libxl`)
``xenstore[:PATH]``    pyxs on xenstored's socket (:mod:`.xenstore`)
``<scheme>://...``     libvirt-python (:mod:`.libvirt`): ``xen:///system``,
                       ``xen+ssh://host/system``, ``test:///default``
=====================  ==============================================

Without ``-c``, ``XL_PY_BACKEND`` (same spellings) decides, else libxl.
Nothing heavy is imported until a backend is opened.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xl_py.backends.base import Backend


def open_backend(connect: str | None = None, environ: dict[str, str] | None = None) -> Backend:
    env = os.environ if environ is None else environ
    spec = connect or env.get("XL_PY_BACKEND") or "libxl"
    if spec == "libxl":
        from xl_py.backends.libxl import LibxlBackend

        return LibxlBackend(environ=dict(env))
    if spec == "xenstore" or spec.startswith("xenstore:"):
        from xl_py.backends.xenstore import XenstoreBackend

        path = spec.partition(":")[2] or None
        if path and path.startswith("/dev/"):
            return XenstoreBackend(xenbus_path=path)
        from xl_py.backends.xsclient import default_socket_path

        return XenstoreBackend(socket_path=path or default_socket_path(dict(env)))
    if "://" in spec:
        from xl_py.backends.libvirt import LibvirtBackend

        return LibvirtBackend(spec)
    from xl_py.errors import UsageError

    raise UsageError(f"unknown backend '{spec}': use libxl, xenstore[:SOCKET] or a libvirt URI "
                     "(xen:///system, xen+ssh://host/system, test:///default)")
