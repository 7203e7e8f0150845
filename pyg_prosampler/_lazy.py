r"""Lazy package attributes (PEP 562): a package lists the names it
exports and the module each comes from, and imports that module only when
the name is first read, so that importing the package loads none of them."""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict, Iterable, List, Tuple


def lazy_attributes(
    package: str,
    exports: Dict[str, str],
    submodules: Iterable[str] = (),
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    r"""The module-level :obj:`__getattr__` and :obj:`__dir__` of
    :obj:`package`: name :obj:`n` of :obj:`exports` reads as
    :obj:`getattr(import_module(exports[n]), n)`, kept in the package's
    namespace after the first read; a name of :obj:`submodules` imports
    :obj:`package.n`.

    .. code-block:: python

        __getattr__, __dir__ = lazy_attributes(
            __name__, {"load_tu": "pyg_prosampler.datasets.tu"})
    """
    modules = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> List[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports)
                      | modules)

    return __getattr__, __dir__
