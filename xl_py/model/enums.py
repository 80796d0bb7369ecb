"""libxl enumerations (libxl_types.idl, Xen 4.17); ``.value`` is the JSON name."""

from __future__ import annotations

import enum


class DomainType(enum.Enum):
    """libxl_domain_type"""

    INVALID = "invalid"
    HVM = "hvm"
    PV = "pv"
    PVH = "pvh"
