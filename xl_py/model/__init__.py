"""libxl_domain_config as frozen records named after libxl_types.idl (Xen 4.17)."""

from xl_py.model._base import MEMKB_DEFAULT, Bitmap, CpuidPolicy, Defbool, KeyValueList
from xl_py.model.domain import (
    DomainBuildInfo,
    DomainConfig,
    DomainCreateInfo,
    HvmInfo,
    PvhInfo,
    PvInfo,
)
from xl_py.model.enums import DomainType

__all__ = [
    "MEMKB_DEFAULT",
    "Bitmap",
    "CpuidPolicy",
    "Defbool",
    "DomainBuildInfo",
    "DomainConfig",
    "DomainCreateInfo",
    "DomainType",
    "HvmInfo",
    "KeyValueList",
    "PvInfo",
    "PvhInfo",
]
