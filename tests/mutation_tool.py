"""``scripts/mutate.py`` imported as the module ``mutate`` (``scripts/`` is not a package).

Shared by the unit tier, which tests its pure parts (the sample, the record), and the
integration tier, which tests its verdicts on real pytest runs in child processes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["SCRIPT", "mutate"]

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutate.py"


def _load() -> ModuleType:
    """scripts/mutate.py as a module."""
    spec = importlib.util.spec_from_file_location("mutate", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutate", module)  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


mutate = _load()
