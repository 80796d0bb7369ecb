"""xl_py: a Python rewrite of the Xen ``xl`` toolstack."""

__version__ = "0.1.0"
