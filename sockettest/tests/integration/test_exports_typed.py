"""What a type checker sees of the package: every exported name, and no other.

The package loads its names lazily through a module ``__getattr__``; were a type checker to see
that function, it would type every ``from sockettest import X`` as ``Any``, so a name removed or
misspelled would pass mypy and fail only at run time. Running mypy needs a subprocess (and
seconds), so this lives in the integration tier.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is in the kit's `tests` extra")

MYPY_TIMEOUT = 120.0
"""Seconds for one cold mypy run over two small files and the package they import: about 6 s of
CPU, but 45 s of wall on a loaded machine, and more beside a flake hunt's CPU hogs."""


@pytest.mark.timeout(MYPY_TIMEOUT + 30)  # the tier's 60 s is for a test, not for mypy's cold start
def test_mypy_reports_an_import_of_a_name_the_package_does_not_export(tmp_path: Path) -> None:
    """``from sockettest import Nonexistent`` is a mypy error; an exported name is not."""
    (tmp_path / "missing.py").write_text("from sockettest import Nonexistent\n\nNonexistent()\n")
    (tmp_path / "present.py").write_text("from sockettest import FakeServer\n\nFakeServer()\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file=",
            f"--cache-dir={tmp_path / 'cache'}",
            "--no-error-summary",
            "missing.py",
            "present.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=MYPY_TIMEOUT,
        check=False,
    )
    assert run.stdout.splitlines() == [
        'missing.py:1: error: Module "sockettest" has no attribute "Nonexistent"  [attr-defined]'
    ], run.stderr
    assert run.returncode == 1
