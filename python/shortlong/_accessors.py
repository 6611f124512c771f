"""``Series.shortlong`` for pandas and polars.

Registered when shortlong is imported and the library is present, without
importing the library: if it is already imported, now; otherwise right
after it is (a `sys.meta_path` hook that wraps only that module's loader
and then removes itself). ``import shortlong`` must stay cheap for users who
never touch pandas.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any


class _Accessor:
    """``series.shortlong``: shortlong on this Series.

    >>> import pandas as pd, shortlong
    >>> pd.Series(["the Encyclopedia", None]).shortlong.count()["words"].tolist()
    [2, <NA>]
    """

    def __init__(self, series: Any) -> None:
        self._series = series

    def count(self, **options: Any) -> Any:
        """`shortlong.count_many` of this Series (options as for it)."""
        from . import count_many

        return count_many(self._series, **options)

    def short_long(self, **options: Any) -> Any:
        """The per-row fraction (null where there is no word or no text)."""
        return self.count(**options)["fraction"]


def _register_pandas() -> None:
    import pandas as pd

    with warnings.catch_warnings():  # re-registration warns; harmless here
        warnings.simplefilter("ignore")
        pd.api.extensions.register_series_accessor("shortlong")(_Accessor)


def _register_polars() -> None:
    import polars as pl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pl.api.register_series_namespace("shortlong")(_Accessor)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a callback right after a given top-level module is imported."""

    def __init__(self, callbacks: dict[str, Callable[[], None]]) -> None:
        self.callbacks = callbacks

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        callback = self.callbacks.get(name)
        if callback is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        del self.callbacks[name]
        if not self.callbacks and self in sys.meta_path:
            sys.meta_path.remove(self)
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            try:
                callback()
            except Exception as exc:  # never break the user's import
                warnings.warn(f"shortlong: could not register .shortlong: {exc}", stacklevel=2)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def register() -> None:
    pending: dict[str, Callable[[], None]] = {}
    for name, fn in (("pandas", _register_pandas), ("polars", _register_polars)):
        if name in sys.modules:
            try:
                fn()
            except Exception as exc:
                warnings.warn(f"shortlong: could not register .shortlong: {exc}", stacklevel=2)
        elif importlib.machinery.PathFinder.find_spec(name) is not None:
            pending[name] = fn
    if pending:
        sys.meta_path.insert(0, _AfterImport(pending))
