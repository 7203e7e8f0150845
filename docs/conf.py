r"""Sphinx configuration: the API reference, built by autodoc from the
PyG-style docstrings (``Args:`` sections read by napoleon).

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
"""
import glob
import os
import pkgutil
import re
import sys

# The package is installed in editable mode by scripts/setup.sh; the path
# also lets a plain checkout build its own docs.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pyg_prosampler  # noqa: E402

project = "pyg_prosampler"
author = "pyg_prosampler contributors"
copyright = "pyg_prosampler contributors"
release = version = pyg_prosampler.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]

# PyG-style docstrings: Google sections with types in parentheses.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

autodoc_member_order = "bysource"
# PyG-style docstrings mark literals with `:obj:` and name PyG, torch and
# the library's own objects by short name (`:class:`NeighborLoader``); an
# unresolved reference renders as code and is not an error (nitpicky stays
# off).  Everything else (bad rst, a module that fails to import, a module
# in no page) is, under -W.
nitpicky = False

html_theme = "alabaster"
html_title = f"pyg_prosampler {release}"
html_static_path: list = []


def _skip_sklearn_request_methods(app, what, name, obj, skip, options):
    r"""scikit-learn adds :obj:`set_*_request` methods to every estimator
    (:class:`NewtonLinearSVC` is one); their docstrings cite sklearn's own
    glossary, which these pages do not have."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _check_api_coverage(app):
    r"""Warns (an error under :obj:`-W`) about every public module that no
    :obj:`automodule` with :obj:`:members:` covers, itself or through a
    package above it, so that a module split off or added shows up here."""
    from sphinx.util import logging

    pattern = re.compile(r"^\.\. automodule:: (\S+)\n((?:[ \t]+:.*\n)*)",
                         re.M)
    named, covered = set(), set()
    for path in glob.glob(os.path.join(app.srcdir, "**", "*.rst"),
                          recursive=True):
        with open(path) as f:
            for name, options in pattern.findall(f.read()):
                named.add(name)
                if ":members:" in options:
                    covered.add(name)
    for mod in pkgutil.walk_packages(pyg_prosampler.__path__,
                                     "pyg_prosampler."):
        parts = mod.name.split(".")
        if any(p.startswith("_") for p in parts):
            continue  # private, and __main__
        # a package without members of its own needs its docstring only
        if mod.ispkg and mod.name in named:
            continue
        if not any(".".join(parts[:i]) in covered
                   for i in range(2, len(parts) + 1)):
            logging.getLogger(__name__).warning(
                f"module {mod.name} is in no API page: add an automodule "
                f"(with :members:) for it or a package above it to "
                f"docs/api/")


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_request_methods)
    app.connect("builder-inited", _check_api_coverage)
