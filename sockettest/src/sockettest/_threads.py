"""Run any server, or any function, in a background thread, with a join that cannot hang.

The blog post this kit grew from starts a server thread, sleeps "long enough", and joins
without a deadline: a race on a loaded machine, and a hang when the server does not stop.
:func:`serve_in_thread` is the safe version for any server callable, the kit's own or not:
``socketserver``'s ``serve_forever``, ``http.server``, a hand-written accept loop.
:func:`run_in_thread` is the same thread for a function whose result the test wants (a client
playing its side), joined where the test chooses. Both hand what the thread raised to the
test's thread, where pytest reports it, and both fail with :class:`BlockedTooLong`, naming the
thread, instead of waiting on one that does not end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong
from sockettest._validation import check_seconds

__all__ = ["run_in_thread", "serve_in_thread"]

T = TypeVar("T")


def run_in_thread(
    target: Callable[[], T], *, timeout: float = DEFAULT_TIMEOUT, name: str | None = None
) -> Callable[[], T]:
    """Start ``target()`` in a thread now; return its join.

    Call the join once the test has done its own side. Each thread a test starts must be
    joined, also when the test fails: join in a ``finally``, or use :func:`serve_in_thread`,
    whose ``with`` block does.

    Args:
        target: what to run, with no arguments (``functools.partial`` or a lambda for some).
        timeout: seconds the join waits.
        name: the thread's name (default: after ``target``).

    Returns:
        The join, a function that waits for the thread within ``timeout`` seconds and returns
        what ``target`` returned, or raises in the calling thread what it raised. A thread
        still alive when the time is up is a :class:`BlockedTooLong` naming it; the join can
        be called again once the thread is released.

    Example::

        alice = run_in_thread(lambda: play(address, "alice"))
        bob = run_in_thread(lambda: play(address, "bob"))
        assert alice() == bob() == "DRAW"
    """
    _check_callable("target", target)
    check_seconds("timeout", timeout, positive=True)
    thread, results, errors = _start(
        target, name or f"run-{getattr(target, '__qualname__', 'target')}"
    )

    def join() -> T:
        _join(thread, timeout)
        if errors:
            raise errors[0]
        return results[0]

    return join


@contextmanager
def serve_in_thread(
    serve: Callable[[], object],
    *,
    ready: threading.Event | Callable[[], object] | None = None,
    stop: Callable[[], object] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    name: str | None = None,
) -> Iterator[threading.Thread]:
    """Run ``serve()`` in a thread for the ``with`` block; yield the thread.

    On entry it waits until the server is ready; on exit it calls ``stop()``, joins the thread
    within ``timeout`` seconds, and re-raises in the test's thread whatever ``serve()`` raised.

    Args:
        serve: the server's blocking loop, e.g. ``server.serve_forever``.
        ready: how to know it is ready: an :class:`threading.Event` the server sets, or a
            callable that returns once it is (and raises if it cannot be); ``None`` when it is
            ready before ``serve()`` runs (a ``socketserver`` server listens from its
            constructor on).
        stop: what makes ``serve()`` return, e.g. ``server.shutdown``; ``None`` if it returns
            on its own.
        timeout: seconds for the readiness wait, and for the join.
        name: the thread's name (default: after ``serve``).

    Raises:
        BlockedTooLong: not ready within ``timeout``, or the thread still alive ``timeout``
            seconds after ``stop()``; the message names the thread.
        BaseException: whatever ``serve()`` raised, at exit; or at entry, if the readiness
            wait failed: the thread is then stopped and joined first, and what ``serve()``
            raised (a bind's error, say) takes the place of the wait's own error.

    Example::

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        with server, serve_in_thread(server.serve_forever, stop=server.shutdown):
            talk_to(server.server_address)
    """
    _check_callable("serve", serve)
    if stop is not None:
        _check_callable("stop", stop)
    if ready is not None and not isinstance(ready, threading.Event):
        _check_callable("ready", ready)
    check_seconds("timeout", timeout, positive=True)
    thread, _, errors = _start(serve, name or f"serve-{getattr(serve, '__qualname__', 'server')}")

    def finish() -> None:
        if stop is not None:
            stop()
        hint = " of stop(): is serve() waiting on something stop() does not wake?"
        _join(thread, timeout, "server thread", hint)

    try:
        if isinstance(ready, threading.Event):
            if not ready.wait(timeout):
                raise BlockedTooLong(
                    f"server thread {thread.name!r} not ready within {timeout:g} s"
                )
        elif ready is not None:
            ready()
    except BaseException:
        finish()  # what serve() raised explains a failed readiness better than the wait does
        if errors:
            raise errors[0] from None
        raise
    try:
        yield thread
    finally:
        finish()
    if errors:
        raise errors[0]


def _check_callable(name: str, value: object) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be a function to call with no arguments, not {value!r}")


def _start(
    target: Callable[[], T], name: str
) -> tuple[threading.Thread, list[T], list[BaseException]]:
    """A started daemon thread running ``target``, the list its result will be in, and the
    list what it raised will be in (for the joining thread to raise)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(target())
        except BaseException as error:  # re-raised in the joining thread
            errors.append(error)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, results, errors


def _join(thread: threading.Thread, timeout: float, kind: str = "thread", hint: str = "") -> None:
    thread.join(timeout)
    if thread.is_alive():
        raise BlockedTooLong(f"{kind} {thread.name!r} did not exit within {timeout:g} s{hint}")
