"""xl_py.syntax layer (see docs/ARCHITECTURE.md)."""
