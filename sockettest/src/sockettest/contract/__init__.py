"""The socket contract: one set of checks that a real socket passes, and so must a fake.

A fake socket is only worth its speed if it behaves like the real thing where your code can
tell. Each check here is a plain function that takes a :class:`~sockettest.SocketFactory`
(``factory(family, type)``, the hook through which code under test makes its sockets), makes its
own sockets on ``127.0.0.1`` (each a :class:`~sockettest.Socket`), and raises
:class:`AssertionError` when the behaviour differs from a TCP socket on Linux. Run the same
checks on :class:`socket.socket` over loopback and on your fake: a fake that passes them all is
a *verified* fake. It is trio's ``check_two_way_stream`` idea, for the plain blocking socket
API::

    import pytest

    from sockettest import MemoryNetwork
    from sockettest.contract import CHECKS, check_id

    @pytest.mark.parametrize("check", CHECKS, ids=check_id)
    def test_contract(check):
        network = MemoryNetwork()
        check(network.socket_factory)
        network.assert_all_closed()

and the reference run, on real sockets over loopback::

    @pytest.mark.parametrize("check", CHECKS, ids=check_id)
    def test_contract_on_loopback(check):
        check(socket.socket)

For a quick verdict outside a test suite, :func:`check_socket_contract` runs them all, each on a
fresh factory: ``check_socket_contract(lambda: MemoryNetwork().socket_factory)``.

What the checks cover: addresses, connecting and accepting, byte streams, EOF and half-close,
resets (``SO_LINGER``, unread data, data sent to a shut socket) and the errors that follow them,
timeouts and non-blocking mode, non-blocking connect, readiness through :func:`select.select`
and :mod:`selectors`, :meth:`~socket.socket.makefile`, ``recv_into`` and ``MSG_PEEK``, a full
listen backlog, bounded send buffers, socket options, a dual-stack IPv6 listener, the calls
real code makes less often (``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg``, ``sendfile``,
the inheritable flag), and :data:`WRONG_CALLS`: wrong arguments and the exception (type and
errno) Linux answers each with, at once.

Rules of the checks:

1. A check cleans up after itself, pass or fail: every socket it made is closed and every thread
   it started is joined within :data:`JOIN_DEADLINE` (a thread still alive fails the check).
2. A check never hangs: every socket it makes gets a timeout of :data:`TIMEOUT` seconds, so a
   fake that forgets to wake a call fails with a message instead of stalling the suite.
3. A check asserts only what Linux guarantees on loopback, never the timing or the exact way
   bytes are split, so it passes on a loaded machine and fails on a fake that is wrong. Where
   Linux needs a moment (a reset travelling back), a check polls with a deadline, never sleeps
   a fixed time and asserts.
4. No dependency beyond the standard library: not even pytest. The package imports nothing from
   the code it tests, only the kit's socket types, which are protocols.
"""

from __future__ import annotations

from collections.abc import Callable

from sockettest._types import SocketFactory
from sockettest.contract import _binding, _calls, _streams, _timeouts, _wrong_calls
from sockettest.contract._harness import (
    HOST,
    JOIN_DEADLINE,
    REGISTERED,
    SHORT,
    TIMEOUT,
    Check,
)
from sockettest.contract._wrong_calls import WRONG_CALLS, WrongCall

_TOPICS = (_binding, _streams, _timeouts, _calls, _wrong_calls)
"""The modules of the checks, in the order their checks run."""

CHECKS: tuple[Check, ...] = tuple(
    check for topic in _TOPICS for check in REGISTERED if check.__module__ == topic.__name__
)
"""Every check of the contract, module by module in the order each defines them (a check
registers itself with ``@register``), which is the order they run in."""

__all__ = [
    "CHECKS",
    "HOST",
    "JOIN_DEADLINE",
    "SHORT",
    "TIMEOUT",
    "Check",
    "WRONG_CALLS",
    "WrongCall",
    "check_id",
    "check_socket_contract",
]
__all__ += [check.__name__ for check in CHECKS]  # each check, by its name: one list, not two

_BY_NAME = {check.__name__: check for check in CHECKS}


def __getattr__(name: str) -> Check:
    """Each check by its name, from :data:`CHECKS`:
    ``from sockettest.contract import check_eof_after_peer_close``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def check_id(check: Check) -> str:
    """A check's short name for test ids: ``check_eof_after_peer_close`` gives
    ``eof_after_peer_close``.

    Use it as ``pytest.mark.parametrize(..., ids=check_id)``.
    """
    name = getattr(check, "__name__", repr(check))
    return name.removeprefix("check_")


def check_socket_contract(
    factory: Callable[[], SocketFactory], checks: tuple[Check, ...] = CHECKS
) -> None:
    """Run every check, each on a fresh factory, and stop at the first that fails.

    One call for a quick verdict on a fake; a test suite should rather parametrize over
    :data:`CHECKS` so that each check is its own test with its own id.

    Args:
        factory: called once per check to make a fresh socket factory (for an in-memory fake, a
            fresh network, so one check's leftovers cannot hide another's failure).
        checks: the checks to run.

    Raises:
        AssertionError: the first check that failed, named in the message (a check that raised
            something else, such as an OSError it did not expect, failed too).
    """
    for check in checks:
        try:
            check(factory())
        except AssertionError as error:
            raise AssertionError(f"socket contract, {check_id(check)}: {error}") from error
        except Exception as error:  # a call the check did not expect to fail: still a failure
            raise AssertionError(f"socket contract, {check_id(check)}: {error!r}") from error
