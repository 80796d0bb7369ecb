"""libxl_domain_config as frozen dataclasses named after libxl_types.idl (Xen 4.17)."""
