"""xl_py.backends layer (see docs/ARCHITECTURE.md)."""
