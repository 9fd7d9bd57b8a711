"""The one deadline default, the one error the kit raises for "this would have hung", and the
one it raises for "the fake does not do this".

A real socket call with no timeout waits forever; so does a thread nobody stops. In a test suite
that is the worst failure there is: no report, just a CI job killed at its limit. Every double in
the kit bounds its waits instead, and when a bound runs out it raises :class:`BlockedTooLong`,
naming what waited and on what.
"""

from __future__ import annotations

__all__ = ["DEFAULT_TIMEOUT", "BlockedTooLong", "Deadlock", "NotModelled"]

DEFAULT_TIMEOUT = 5.0
"""Seconds any wait of the kit may take unless told otherwise: a memory socket call with no
timeout (the network's ``max_block``), a :class:`~sockettest.FakeClient` read or connect, a
readiness wait, a thread's join, the leak guard's grace for threads on their way out."""


class BlockedTooLong(AssertionError):
    """A call, or a thread, would have blocked far longer than a test should.

    Raised by a blocking call on the in-memory network that outlived the network's ``max_block``
    (most often both sides wait for each other), by a :class:`~sockettest.FakeServer` or
    :func:`~sockettest.serve_in_thread` whose thread did not finish by its deadline, and by a
    virtual-clock wait that nothing advanced.

    It is an :class:`AssertionError` so that pytest reports it as the test's failure, and so
    that code under test that handles :class:`OSError` (as network code should) cannot swallow
    it.
    """


class Deadlock(BlockedTooLong):
    """Every thread of a simulated run (:func:`sockettest.simulate`) is blocked and none has a
    deadline: nothing can ever wake them. Raised at once, not after a timeout; the message has
    each thread's stack, what it waits for, each pending task of the run's asyncio event loops
    with the coroutines it is suspended in, the seed and how to replay the run.
    """


class NotModelled(NotImplementedError):
    """A call, or an argument, that a real socket would act on and the in-memory one has no
    model of (``dup``, ``detach``, ancillary data): it says so at the call, naming the gap,
    rather than answering differently from Linux. The kit's README lists every gap.
    """
