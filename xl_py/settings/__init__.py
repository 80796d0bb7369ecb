"""xl_py.settings layer (see docs/ARCHITECTURE.md)."""
