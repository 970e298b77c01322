"""Packaging hook: the wheel carries pre-compressed copies of the static assets.

Everything else is in setup.cfg. ``build_py`` writes ``<file>.gz`` (gzip -9) and
``<file>.br`` (Brotli, quality 11) beside each script and stylesheet in the build
directory, so ``flask_server_functions.assets`` serves them without compressing at
run time (it compresses once per process only in a checkout without them).
"""

from __future__ import annotations

import gzip
import os

import brotli
from setuptools import setup
from setuptools.command.build_py import build_py

COMPRESSIBLE = (".js", ".css", ".map", ".svg", ".json", ".txt")


class BuildWithCompressedAssets(build_py):
    def run(self) -> None:
        super().run()
        static = os.path.join(self.build_lib, "flask_server_functions", "static")
        for folder, _, files in os.walk(static):
            for name in files:
                if not name.endswith(COMPRESSIBLE):
                    continue
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    data = f.read()
                with open(path + ".gz", "wb") as f:
                    f.write(gzip.compress(data, 9, mtime=0))
                with open(path + ".br", "wb") as f:
                    f.write(brotli.compress(data, quality=11))


setup(cmdclass={"build_py": BuildWithCompressedAssets})
