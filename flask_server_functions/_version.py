"""The package's version (one place: ``__init__`` and the asset URLs read it)."""

__version__ = "0.1.0.dev0"
