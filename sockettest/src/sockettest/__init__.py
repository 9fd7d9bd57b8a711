"""sockettest: verified test doubles for code that uses plain blocking sockets.

Pick by the question you are asking:

- *Were the right socket calls made, in order?* A mock: :func:`mock_socket_factory` (an
  autospecced socket, its factory, and one parent mock recording the order of every call).
- *Does the whole thing work, threads and all, without the network?* :class:`MemoryNetwork`:
  in-memory sockets with Linux's blocking semantics, readiness for ``select`` and ``selectors``,
  ``makefile``, resets and full buffers; sockets that record their calls and take poison
  switches; :class:`Faults` to make them misbehave (short sends, chunked receives, resets,
  timeouts, early EOF) on a schedule; and a :class:`VirtualClock`, so a 300 s timeout fires in
  milliseconds.
- *Code that calls* ``socket.socket()`` *itself?* ``with network.patch():`` runs it unmodified on
  the network: ``socketserver``, ``http.server``, ``socket.create_connection`` clients.
- *Does it work on real sockets?* :class:`FakeServer` and :class:`FakeClient`: scripted peers on
  loopback port 0 (or on the memory network), and :func:`serve_in_thread` for any server, with
  readiness signals and joins that fail loudly (:class:`BlockedTooLong`) instead of hanging.
- *A race that shows once in a thousand runs?* :func:`simulate` runs a function's threads one
  at a time under a seeded scheduler, on virtual time: the same seed, the same interleaving.
  :func:`explore` tries seeds until one fails; a :class:`Deadlock` fails at once.

The in-memory sockets are *verified*: :mod:`sockettest.contract` runs one set of checks on them
and on real loopback sockets, and both pass. :mod:`sockettest.strategies` has Hypothesis
strategies for byte splits and fault schedules. The pytest plugin offers fixtures:
``memory_network``, ``patched_network``, ``fake_server``, ``fake_server_factory``,
``fake_client``, ``mock_socket_factory``, ``memory_or_loopback`` and ``leak_guard``.

Every public name is importable from here and only from here; the modules that define them
are private (``sockettest._network`` ...). Importing this package is cheap: each name is loaded
on first use (PEP 562), so that the pytest plugin costs nothing in a run that uses none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockettest import contract, strategies
    from sockettest._addresses import ipv6_loopback_available
    from sockettest._clock import VirtualClock
    from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong, Deadlock, NotModelled
    from sockettest._faults import FaultInjector, Faults
    from sockettest._guards import LeakError, LeakGuard
    from sockettest._memory_socket import MemorySocket
    from sockettest._mocks import (
        MockSockets,
        assert_called_in_order,
        call_names,
        mock_socket_factory,
    )
    from sockettest._network import DEFAULT_BUFFER_SIZE, TIME_WAIT, FaultPlan, MemoryNetwork
    from sockettest._peers import (
        FakeClient,
        FakeServer,
        Reply,
        Script,
        ServerConnection,
        SocketFactory,
        accept_and_close,
        answer_from_table,
        send_canned,
        stay_silent,
    )
    from sockettest._policies import PCT, RandomWalk, Schedule
    from sockettest._scheduler import Step
    from sockettest._simulation import Nondeterminism, Simulation, explore, simulate
    from sockettest._threads import serve_in_thread
    from sockettest._transports import TRANSPORTS, Transport

__all__ = [
    # the in-memory network, its clock and its faults
    "MemoryNetwork",
    "MemorySocket",
    "VirtualClock",
    "Faults",
    "FaultPlan",
    "FaultInjector",
    "DEFAULT_BUFFER_SIZE",
    "TIME_WAIT",
    # mocks
    "mock_socket_factory",
    "EPHEMERAL_PORT",
    "MockSockets",
    "assert_called_in_order",
    "call_names",
    # scripted peers and servers in threads
    "FakeServer",
    "FakeClient",
    "ServerConnection",
    "Script",
    "Reply",
    "SocketFactory",
    "accept_and_close",
    "answer_from_table",
    "send_canned",
    "stay_silent",
    "serve_in_thread",
    # seeded, replayable thread schedules
    "simulate",
    "explore",
    "Simulation",
    "Step",
    "Schedule",
    "RandomWalk",
    "PCT",
    "Deadlock",
    "Nondeterminism",
    # deadlines and leaks
    "DEFAULT_TIMEOUT",
    "BlockedTooLong",
    "NotModelled",
    "LeakGuard",
    "LeakError",
    # one test, two transports; the contract that verifies the fakes; Hypothesis strategies
    "Transport",
    "TRANSPORTS",
    "ipv6_loopback_available",
    "contract",
    "strategies",
]

_HOMES = {
    "MemoryNetwork": "_network",
    "MemorySocket": "_memory_socket",
    "FaultPlan": "_network",
    "DEFAULT_BUFFER_SIZE": "_network",
    "TIME_WAIT": "_network",
    "VirtualClock": "_clock",
    "Faults": "_faults",
    "FaultInjector": "_faults",
    "mock_socket_factory": "_mocks",
    "EPHEMERAL_PORT": "_mocks",
    "MockSockets": "_mocks",
    "assert_called_in_order": "_mocks",
    "call_names": "_mocks",
    "FakeServer": "_peers",
    "FakeClient": "_peers",
    "ServerConnection": "_peers",
    "Script": "_peers",
    "Reply": "_peers",
    "SocketFactory": "_peers",
    "accept_and_close": "_peers",
    "answer_from_table": "_peers",
    "send_canned": "_peers",
    "stay_silent": "_peers",
    "serve_in_thread": "_threads",
    "DEFAULT_TIMEOUT": "_deadlines",
    "BlockedTooLong": "_deadlines",
    "Deadlock": "_deadlines",
    "NotModelled": "_deadlines",
    "simulate": "_simulation",
    "explore": "_simulation",
    "Simulation": "_simulation",
    "Nondeterminism": "_simulation",
    "Step": "_scheduler",
    "Schedule": "_policies",
    "RandomWalk": "_policies",
    "PCT": "_policies",
    "LeakGuard": "_guards",
    "LeakError": "_guards",
    "Transport": "_transports",
    "TRANSPORTS": "_transports",
    "ipv6_loopback_available": "_addresses",
}
_SUBMODULES = frozenset({"contract", "strategies"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
