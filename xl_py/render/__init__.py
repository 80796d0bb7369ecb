"""xl_py.render layer (see docs/ARCHITECTURE.md)."""
