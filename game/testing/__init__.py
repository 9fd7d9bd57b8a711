"""Verified test doubles for code that uses plain blocking sockets.

Everything the tutorials teach, for your own tests too. Pick by the question you are asking:

- *Were the right socket calls made, in order?* A mock: :func:`mock_socket_factory` (an
  autospecced socket, its factory, and one parent mock recording the order of every call), or
  :class:`RecordingFactory`, a fake that records state and can be poisoned to fail on cue.
- *Does the protocol behave?* :class:`GamePair`: the server's and clients' sans-IO protocol
  objects joined in memory, pumped in the test's own thread. The fastest tests there are.
- *Does the whole thing work, threads and all, without the network?* :class:`MemoryNetwork`:
  in-memory sockets with real blocking semantics, and :class:`Faults` to make them misbehave
  (short sends, chunked receives, resets, timeouts, early EOF) on a schedule.
- *Does it work on real sockets?* :class:`FakeServer` and :class:`FakeClient`: scripted peers on
  loopback port 0, with readiness signals and joins that fail loudly instead of hanging.

The in-memory sockets are *verified*: :mod:`game.testing.contract` runs one set of checks on
them and on real loopback sockets, and both pass. :mod:`game.testing.strategies` has Hypothesis
strategies for byte splits and fault schedules (import it directly; it needs Hypothesis).
:class:`Transport` runs one test on both transports. The pytest plugin
(:mod:`game.testing.plugin`) offers all of this as fixtures, with leak guards.

Layering: this package imports the product (``game``); the product never imports it.
"""

from game.testing import contract
from game.testing.fakes import (
    BANNER,
    FakeClient,
    FakeServer,
    FakeServerStuck,
    ServerConnection,
    accept_and_close,
    answer_from_table,
    ipv6_loopback_available,
    send_banner_and_hang_up,
    send_canned,
    stay_silent,
)
from game.testing.faults import FaultInjector, Faults
from game.testing.guards import LeakError, LeakGuard
from game.testing.memory import BlockedTooLong, FaultPlan, MemoryNetwork, MemorySocket
from game.testing.pair import GamePair, PairClient, play_game
from game.testing.recording import (
    FakeSocketBlocked,
    MockSockets,
    RecordingFactory,
    RecordingSocket,
    assert_called_in_order,
    call_names,
    mock_socket_factory,
)
from game.testing.transports import TRANSPORTS, Transport

__all__ = [
    # mocks and recording fakes
    "mock_socket_factory",
    "MockSockets",
    "assert_called_in_order",
    "call_names",
    "RecordingFactory",
    "RecordingSocket",
    "FakeSocketBlocked",
    # the sans-IO pair
    "GamePair",
    "PairClient",
    "play_game",
    # the in-memory network and its faults
    "MemoryNetwork",
    "MemorySocket",
    "BlockedTooLong",
    "Faults",
    "FaultPlan",
    "FaultInjector",
    # real-socket fakes
    "FakeServer",
    "FakeServerStuck",
    "FakeClient",
    "ServerConnection",
    "BANNER",
    "accept_and_close",
    "send_banner_and_hang_up",
    "answer_from_table",
    "send_canned",
    "stay_silent",
    "ipv6_loopback_available",
    # one test, two transports; the contract that verifies the fakes
    "Transport",
    "TRANSPORTS",
    "contract",
    # leak guards
    "LeakGuard",
    "LeakError",
]
