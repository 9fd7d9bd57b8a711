"""Run any server in a background thread, with readiness and a join that cannot hang.

The blog post this kit grew from starts a server thread, sleeps "long enough", and joins
without a deadline: a race on a loaded machine, and a hang when the server does not stop.
:func:`serve_in_thread` is the safe version for any server callable, the kit's own or not:
``socketserver``'s ``serve_forever``, ``http.server``, a hand-written accept loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong

__all__ = ["serve_in_thread"]


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
    errors: list[BaseException] = []

    def run() -> None:
        try:
            serve()
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    def finish() -> None:
        if stop is not None:
            stop()
        thread.join(timeout)
        if thread.is_alive():
            raise BlockedTooLong(
                f"server thread {thread.name!r} did not exit within {timeout:g} s of stop(): "
                "is serve() waiting on something stop() does not wake?"
            )

    label = name or f"serve-{getattr(serve, '__qualname__', 'server')}"
    thread = threading.Thread(target=run, name=label, daemon=True)
    thread.start()
    try:
        _wait_until_ready(thread, ready, timeout)
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


def _wait_until_ready(
    thread: threading.Thread,
    ready: threading.Event | Callable[[], object] | None,
    timeout: float,
) -> None:
    if isinstance(ready, threading.Event):
        if not ready.wait(timeout):
            raise BlockedTooLong(f"server thread {thread.name!r} not ready within {timeout:g} s")
    elif ready is not None:
        ready()
