"""What a test derives from source text alone (a module's mutation points, the imports in a
file), kept in pytest's cache under a digest of everything it depends on, so that a run on every
save parses again only the files that changed."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from typing import TypeVar

import pytest

__all__ = ["derived"]

J = TypeVar("J")


def derived(
    cache: pytest.Cache | None, key: str, inputs: Iterable[str], compute: Callable[[], J]
) -> J:
    """``compute()``, or what it returned last time under ``key`` if ``inputs`` (every text the
    result depends on; the interpreter's version is added, for its parser) are the same.

    ``compute`` must return what JSON can hold (a tuple comes back as a list). With no cache
    (``-p no:cacheprovider``, as the mutation tool runs pytest), it is always called.
    """
    if cache is None:
        return compute()
    digest = hashlib.sha256("\0".join([sys.version, *inputs]).encode()).hexdigest()
    kept = cache.get(key, None)
    if isinstance(kept, dict) and kept.get("digest") == digest and "result" in kept:
        result: J = kept["result"]
        return result
    result = compute()
    cache.set(key, {"digest": digest, "result": result})
    return result
