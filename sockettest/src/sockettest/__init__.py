"""sockettest: verified test doubles for code that uses plain blocking sockets.

Pick by the question you are asking:

- *Were the right socket calls made, in order?* A mock: :func:`mock_sockets` (an
  autospecced socket, its factory, and one parent mock recording the order of every call).
- *Does the whole thing work, threads and all, without the network?* :class:`MemoryNetwork`:
  in-memory sockets with Linux's blocking semantics, readiness for ``select`` and ``selectors``,
  ``makefile``, resets and full buffers; sockets that record their calls and take poison
  switches; :class:`Faults` to make them misbehave (short sends, chunked receives, resets,
  timeouts, early EOF) at the byte or call a test picks; and a :class:`VirtualClock`, so a
  300 s timeout fires in milliseconds.
- *Code that calls* ``socket.socket()`` *itself?* ``with network.patch():`` runs it unmodified on
  the network: ``socketserver``, ``http.server``, ``socket.create_connection`` clients.
- *Does it work on real sockets?* :class:`FakeServer` and :class:`FakeClient`: scripted peers on
  loopback port 0 (or on the memory network), and :func:`serve_in_thread` for any server, with
  readiness signals and joins that fail loudly (:class:`BlockedTooLong`) instead of hanging
  (:func:`run_in_thread` for a function whose result the test wants).
- *A race that shows once in a thousand runs?* :func:`simulate` runs a function's threads one
  at a time under a seeded scheduler, on virtual time: the same seed, the same interleaving.
  :func:`explore` tries seeds until one fails; a :class:`Deadlock` fails at once.

The in-memory sockets are *verified*: :mod:`sockettest.contract` runs one set of checks on them
and on real loopback sockets, and both pass. :mod:`sockettest.strategies` has Hypothesis
strategies for byte splits, faults and thread schedules. The pytest plugin offers fixtures:
``memory_network``, ``patched_network``, ``patched_network_on_virtual_clock`` (with
``virtual_clock``), ``fake_server``, ``fake_server_factory``, ``fake_client_factory``,
``mock_sockets``, ``memory_or_loopback`` and ``leak_guard``.

Every public name is importable from here and only from here; the modules that define them
are private (``sockettest._network`` ...). Importing this package is cheap: each name is loaded
on first use (PEP 562), so that the pytest plugin costs nothing in a run that uses none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import sockettest._originals  # noqa: F401 (first: the true versions, before anything is patched)

_EXPORTS = {
    # the kit's words for an address, a socket and what makes one
    "Address": "_types",
    "Socket": "_types",
    "SocketFactory": "_types",
    # the in-memory network, its clock and its faults
    "MemoryNetwork": "_network",
    "MemorySocket": "_memory_socket",
    "VirtualClock": "_clock",
    "Faults": "_faults",
    "FaultPlan": "_network",
    "FaultInjector": "_faults",
    "DEFAULT_BUFFER_SIZE": "_network",
    "TIME_WAIT": "_network",
    "patched_event_loop": "_event_loop",
    # mocks
    "mock_sockets": "_mocks",
    "EPHEMERAL_PORT": "_mocks",
    "MockSockets": "_mocks",
    "assert_called_in_order": "_mocks",
    "call_names": "_mocks",
    # scripted peers and servers in threads
    "FakeServer": "_peers",
    "FakeClient": "_peers",
    "ScriptedConnection": "_peers",
    "Script": "_peers",
    "Reply": "_scripts",
    "accept_and_close": "_scripts",
    "answer_from_table": "_scripts",
    "send_canned": "_scripts",
    "stay_silent": "_scripts",
    "serve_in_thread": "_threads",
    "run_in_thread": "_threads",
    # seeded, replayable thread schedules
    "simulate": "_simulation.runner",
    "explore": "_simulation.runner",
    "seed_slice": "_simulation.parallel",
    "ExploreProgress": "_simulation.progress",
    "Simulation": "_simulation.runner",
    "Step": "_simulation.scheduler",
    "Schedule": "_simulation.policies",
    "RandomWalk": "_simulation.policies",
    "PCT": "_simulation.policies",
    "Deadlock": "_deadlines",
    "Nondeterminism": "_simulation.runner",
    # deadlines and leaks
    "DEFAULT_TIMEOUT": "_deadlines",
    "BlockedTooLong": "_deadlines",
    "NotModelled": "_deadlines",
    "LeakGuard": "_guards",
    "LeakError": "_guards",
    # one test, two transports; the contract that verifies the fakes; Hypothesis strategies
    "Transport": "_transports",
    "TRANSPORTS": "_transports",
    "ipv6_loopback_available": "_addresses",
    "contract": "contract",
    "strategies": "strategies",
}
"""Every public name, in reading order, and the module that defines it (a public submodule is
its own home). ``__all__`` and the lazy imports come from this one table."""

__all__ = list(_EXPORTS)

if TYPE_CHECKING:  # what a type checker sees: real imports, pinned to the table by a test
    from sockettest import contract as contract
    from sockettest import strategies as strategies
    from sockettest._addresses import ipv6_loopback_available as ipv6_loopback_available
    from sockettest._clock import VirtualClock as VirtualClock
    from sockettest._deadlines import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from sockettest._deadlines import BlockedTooLong as BlockedTooLong
    from sockettest._deadlines import Deadlock as Deadlock
    from sockettest._deadlines import NotModelled as NotModelled
    from sockettest._event_loop import patched_event_loop as patched_event_loop
    from sockettest._faults import FaultInjector as FaultInjector
    from sockettest._faults import Faults as Faults
    from sockettest._guards import LeakError as LeakError
    from sockettest._guards import LeakGuard as LeakGuard
    from sockettest._memory_socket import MemorySocket as MemorySocket
    from sockettest._mocks import EPHEMERAL_PORT as EPHEMERAL_PORT
    from sockettest._mocks import MockSockets as MockSockets
    from sockettest._mocks import assert_called_in_order as assert_called_in_order
    from sockettest._mocks import call_names as call_names
    from sockettest._mocks import mock_sockets as mock_sockets
    from sockettest._network import DEFAULT_BUFFER_SIZE as DEFAULT_BUFFER_SIZE
    from sockettest._network import TIME_WAIT as TIME_WAIT
    from sockettest._network import FaultPlan as FaultPlan
    from sockettest._network import MemoryNetwork as MemoryNetwork
    from sockettest._peers import FakeClient as FakeClient
    from sockettest._peers import FakeServer as FakeServer
    from sockettest._peers import Script as Script
    from sockettest._peers import ScriptedConnection as ScriptedConnection
    from sockettest._scripts import Reply as Reply
    from sockettest._scripts import accept_and_close as accept_and_close
    from sockettest._scripts import answer_from_table as answer_from_table
    from sockettest._scripts import send_canned as send_canned
    from sockettest._scripts import stay_silent as stay_silent
    from sockettest._simulation.parallel import seed_slice as seed_slice
    from sockettest._simulation.policies import PCT as PCT
    from sockettest._simulation.policies import RandomWalk as RandomWalk
    from sockettest._simulation.policies import Schedule as Schedule
    from sockettest._simulation.progress import ExploreProgress as ExploreProgress
    from sockettest._simulation.runner import Nondeterminism as Nondeterminism
    from sockettest._simulation.runner import Simulation as Simulation
    from sockettest._simulation.runner import explore as explore
    from sockettest._simulation.runner import simulate as simulate
    from sockettest._simulation.scheduler import Step as Step
    from sockettest._threads import run_in_thread as run_in_thread
    from sockettest._threads import serve_in_thread as serve_in_thread
    from sockettest._transports import TRANSPORTS as TRANSPORTS
    from sockettest._transports import Transport as Transport
    from sockettest._types import Address as Address
    from sockettest._types import Socket as Socket
    from sockettest._types import SocketFactory as SocketFactory


if not TYPE_CHECKING:  # hidden from type checkers, so a name not exported is an error there

    def __getattr__(name: str) -> Any:
        home = _EXPORTS.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = importlib.import_module(f"{__name__}.{home}")
        value = module if home == name else getattr(module, name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*globals(), *__all__])
