"""Datasette's hook marker, typed: Datasette ships no type information; pluggy, which makes the
marker, does. The plugins import ``hookimpl`` from here, so ``mypy --strict`` checks their hooks."""

from __future__ import annotations

from typing import cast

import pluggy
from datasette import hookimpl as _datasette_hookimpl

hookimpl = cast(pluggy.HookimplMarker, _datasette_hookimpl)
