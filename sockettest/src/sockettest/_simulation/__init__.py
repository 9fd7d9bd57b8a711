"""Seeded, replayable thread schedules: what is behind :func:`sockettest.simulate`.

- ``scheduler``: the baton, virtual time, deadlocks, the trace; and :func:`scheduler.current`,
  the calling thread's simulated thread. The in-memory network imports only this module, for
  its hooks, so this package's ``__init__`` imports nothing.
- ``primitives``: the two primitives a simulated thread gets, ``Lock`` and ``RLock``.
- ``replacements``: what a simulation patches in ``threading``, ``time`` and ``select``, and for
  whom.
- ``loops``: what an asyncio event loop in a simulation needs: ``call_soon_threadsafe``'s
  wake-up seen by the scheduler, tasks cancelled in the order they were made, and its pending
  tasks in a failure's report.
- ``policies``: the seeded policies that pick the next thread (:class:`~sockettest.RandomWalk`,
  :class:`~sockettest.PCT`, :class:`~sockettest.Schedule`).
- ``runner``: :func:`~sockettest.simulate`, :func:`~sockettest.explore` and
  :class:`~sockettest.Simulation`, run from the caller's thread.

What is simulated is only ``Lock`` and ``RLock``: CPython's own ``Condition``, ``Event``,
``queue.Queue``... build on them unchanged (``primitives`` says how their steps are named).

The true ``threading``, ``time`` and ``select`` functions they fall back on are captured in
``sockettest._originals``.
"""
