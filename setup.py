"""The optional C extension; everything else about the build is in pyproject.toml.

butane_py._go._flate is Go's level-9 compressor in C (see butane_py/_go/_flate.c). It is
optional: without a C compiler the build skips it with a warning and butane_py._go.flate uses
its pure-Python port, which gives the same bytes, slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("butane_py._go._flate", ["butane_py/_go/_flate.c"], optional=True)])
