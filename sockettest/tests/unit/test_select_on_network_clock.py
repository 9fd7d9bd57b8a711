"""A select, poll or selectors wait on memory sockets alone is measured on the network's clock.

On a network with a ``VirtualClock``, under ``network.patch()``, such a wait counts as a
blocked call for the autojump, wakes when one of its sockets becomes ready, and times out on
the clock; so ``socketserver``'s ``serve_forever`` polls in virtual time and ``shutdown()``
does not wait half a real second. A wait that mixes in a real descriptor stays on real time.
"""

from __future__ import annotations

import select
import selectors
import socket
import socketserver
import threading
from collections.abc import Callable
from contextlib import ExitStack

import pytest

import sockettest._patch
from sockettest import MemoryNetwork, VirtualClock, run_in_thread, serve_in_thread
from tests.deadlines import DEADLINE, SHORT

AUTOJUMP = 0.01
POLL_INTERVAL = 0.5  # socketserver's default
SELECTORS = {  # the classes that define the selectors' select
    next(owner for owner in cls.__mro__ if "select" in vars(owner))
    for cls in (selectors.SelectSelector, selectors.PollSelector, selectors.EpollSelector)
}


def socket_pair(stack: ExitStack, family: int = socket.AF_INET) -> list[socket.socket]:
    """A connected pair (the network's for AF_INET under a patch; a real one for AF_UNIX),
    closed with ``stack``."""
    return [stack.enter_context(sock) for sock in socket.socketpair(family)]


def select_functions() -> dict[object, object]:
    """What a patch replaces in select and selectors, as it is now."""
    now: dict[object, object] = {cls: vars(cls)["select"] for cls in SELECTORS}
    now[select] = select.select
    return now


def test_serve_forever_and_shutdown_wait_out_the_poll_interval_on_the_virtual_clock() -> None:
    """A ThreadingTCPServer echo's serve_forever selects on the virtual clock: shutdown ends
    it when the clock jumps by whole poll intervals, and its select counts as blocked."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)
    handled = threading.Event()

    class Echo(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                self.wfile.write(line)
            handled.set()

    with network.patch(), socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
        with serve_in_thread(server.serve_forever, stop=server.shutdown):
            with socket.create_connection(("127.0.0.1", server.server_address[1])) as sock:
                sock.sendall(b"hi\n")
                assert sock.makefile("rb").readline() == b"hi\n"
            assert handled.wait(DEADLINE)
            network.wait_until_blocked(timeout=DEADLINE)  # only serve_forever's select
            before = clock.monotonic()
        after = clock.monotonic()
    network.assert_all_closed()
    intervals = (after - before) / POLL_INTERVAL
    assert intervals >= 1
    assert intervals == round(intervals)  # every deadline the clock jumped to was a poll's


def test_a_select_with_nothing_ready_returns_after_exactly_its_virtual_timeout() -> None:
    """select.select with a 300 s timeout on a memory socket that stays silent returns nothing,
    with the clock at exactly 300."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)
    with network.patch(), ExitStack() as stack:
        a, _ = socket_pair(stack)
        assert select.select([a], [], [], 300) == ([], [], [])
    assert clock.monotonic() == 300


@pytest.mark.parametrize("selector_class", [selectors.SelectSelector, selectors.DefaultSelector])
def test_a_selector_with_nothing_ready_returns_after_exactly_its_virtual_timeout(
    selector_class: Callable[[], selectors.BaseSelector],
) -> None:
    """A selector's select with a 300 s timeout on a silent memory socket returns no events,
    with the clock at exactly 300."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)
    with network.patch(), ExitStack() as stack:
        a, _ = socket_pair(stack)
        selector = stack.enter_context(selector_class())
        selector.register(a, selectors.EVENT_READ)
        assert selector.select(300) == []
    assert clock.monotonic() == 300


@pytest.mark.parametrize("use_selector", [False, True], ids=["select", "selector"])
def test_a_readiness_change_wakes_a_select_before_its_virtual_timeout(use_selector: bool) -> None:
    """A select waiting 300 s on the virtual clock returns the socket that became readable at
    once: the clock has not jumped. (The threshold is a real second, far more than the test
    takes to send; without the wake the clock jumps to the timeout after it.)"""
    clock = VirtualClock(autojump_threshold=1.0)
    network = MemoryNetwork(clock=clock)
    with network.patch(), ExitStack() as stack:
        a, b = socket_pair(stack)
        if use_selector:
            selector = stack.enter_context(selectors.DefaultSelector())
            selector.register(a, selectors.EVENT_READ)
            join = run_in_thread(lambda: [key.fd for key, _ in selector.select(300)])
        else:
            join = run_in_thread(
                lambda: [sock.fileno() for sock in select.select([a], [], [], 300)[0]]
            )
        network.wait_until_blocked(timeout=DEADLINE)
        b.sendall(b"x")
        assert join() == [a.fileno()]
    assert clock.monotonic() == 0


def test_a_select_that_mixes_in_a_real_descriptor_waits_on_real_time() -> None:
    """A memory socket and a real AF_UNIX pair's end in one select: its timeout passes in real
    seconds, and the virtual clock (which nothing advances) does not move."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    with network.patch(), ExitStack() as stack:
        a, _ = socket_pair(stack)
        real, _ = socket_pair(stack, socket.AF_UNIX)
        assert select.select([a, real], [], [], SHORT) == ([], [], [])
    assert clock.monotonic() == 0


def test_a_network_on_real_time_leaves_select_on_real_time() -> None:
    """On a network with no virtual clock, a select on its sockets times out in real seconds
    (it never counts as a blocked socket call)."""
    network = MemoryNetwork()
    with network.patch(), ExitStack() as stack:
        a, _ = socket_pair(stack)
        join = run_in_thread(lambda: select.select([a], [], [], SHORT))
        assert join() == ([], [], [])
        assert network.kernel.waiting.blocked == 0


def test_the_select_functions_are_replaced_for_exactly_the_patch_s_scope() -> None:
    """select.select and the selectors' select are replaced inside a patch, and two patches
    closed out of order leave what was there before the first."""
    before = select_functions()
    first, second = MemoryNetwork(), MemoryNetwork()
    stack_one, stack_two = ExitStack(), ExitStack()
    stack_one.enter_context(first.patch())
    stack_two.enter_context(second.patch())
    inside = select_functions()
    stack_one.close()
    assert select_functions() == inside
    stack_two.close()
    assert all(inside[owner] is not before[owner] for owner in before)
    assert select_functions() == before


def test_a_leaked_patch_ended_at_teardown_gives_the_select_functions_back_at_once() -> None:
    """The teardown that ends a patch a test leaked ends its select stand-ins too, then and
    there: not once the leaked patch object happens to be collected."""
    before = select_functions()
    leaked = MemoryNetwork().patch()
    leaked.__enter__()
    assert select_functions() != before
    sockettest._patch.restore_after_test(lambda owner: False)  # the plugin's teardown does this
    assert select_functions() == before
    leaked.__exit__(None, None, None)  # late: changes nothing
    assert select_functions() == before
