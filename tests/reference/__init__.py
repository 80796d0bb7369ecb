"""The project's own harness around Debian's real Xen 4.17 tools (see xlref.py)."""
