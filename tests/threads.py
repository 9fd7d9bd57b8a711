"""Running test code in background threads that can neither hang a test nor hide its errors.

Every thread is joined within a deadline and asserted dead; an exception raised in it is
re-raised in the test's own thread, where pytest reports it.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

from tests.deadline import DEADLINE

T = TypeVar("T")


def in_thread(
    target: Callable[[], T], *, deadline: float = DEADLINE, name: str = "test-thread"
) -> Callable[[], T]:
    """Start ``target`` in a thread; return a function that joins it within ``deadline`` and
    returns what ``target`` returned, or raises what it raised."""
    outcome: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(target())
        except BaseException as error:  # re-raised in the test's thread by join()
            errors.append(error)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def join() -> T:
        thread.join(deadline)
        assert not thread.is_alive(), f"{thread.name} did not exit within {deadline} s"
        if errors:
            raise errors[0]
        return outcome[0]

    return join


def run_threads(*targets: Callable[[], object], deadline: float = DEADLINE) -> None:
    """Run each target in its own thread, all at once; join each within ``deadline`` and
    re-raise the first error."""
    joins = [
        in_thread(t, deadline=deadline, name=f"test-thread-{i}") for i, t in enumerate(targets)
    ]
    failures: list[BaseException] = []
    for join in joins:
        try:
            join()
        except BaseException as error:  # join every thread before reporting
            failures.append(error)
    if failures:
        raise failures[0]
