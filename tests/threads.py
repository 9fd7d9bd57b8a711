"""Running test code in a background thread that can neither hang a test nor hide its errors.

Most tests run a thread with :func:`sockettest.serve_in_thread`: it runs, is joined within a
deadline and asserted dead, and what it raised is re-raised in the test. :class:`Worker` is for
the tests that need more: the thread's return value, a join with a deadline of the test's
choosing, or the thread itself while it runs (the stress tier's held matches, its load and its
fuzzed handlers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from tests.deadline import DEADLINE

__all__ = ["Worker"]

T = TypeVar("T")


class Worker(Generic[T]):
    """Runs ``target`` in a named daemon thread; :meth:`result` joins it and returns its value.

    An exception in the thread is kept and re-raised by :meth:`result`, in the test's thread,
    so it fails the test with its own traceback instead of vanishing.
    """

    def __init__(self, target: Callable[[], T], name: str) -> None:
        self._target = target
        self._outcome: list[T] = []
        self._errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._outcome.append(self._target())
        except BaseException as error:  # re-raised by result()
            self._errors.append(error)

    def result(self, timeout: float = DEADLINE) -> T:
        """Join the thread within ``timeout`` seconds; return what ``target`` returned.

        Raises:
            AssertionError: the thread is still running after ``timeout``.
            BaseException: whatever ``target`` raised.
        """
        self.thread.join(max(timeout, 0.0))
        assert not self.thread.is_alive(), f"{self.thread.name} did not finish in {timeout:g} s"
        if self._errors:
            raise self._errors[0]
        return self._outcome[0]
