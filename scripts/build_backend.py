"""setuptools' build backend, without its generic notice on editable installs.

citewise maps its top-level folders into one package, `citewise.*` (pyproject's package-dir), so an
editable install uses setuptools' import finder, and setuptools then prints "Editable installation.
Please be careful with folders in your working directory with the same name as your package" on
every `pip install -e .`. Here the only folder with the package's name is the package itself, so
the notice says nothing; every other warning passes through.
"""

import warnings

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (the whole PEP 517/660 interface, unchanged)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Editable installation")
        return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
