"""Seeded, replayable thread schedules: what is behind :func:`sockettest.simulate`.

- ``scheduler``: the baton, virtual time, deadlocks, the trace; and :func:`scheduler.current`,
  the calling thread's simulated thread. The in-memory network imports only this module, for
  its hooks, so this package's ``__init__`` imports nothing.
- ``primitives``: the threading primitives a simulated thread gets.
- ``replacements``: what a simulation patches in ``threading``, ``time`` and ``select``, and for
  whom.
- ``policies``: the seeded policies that pick the next thread (:class:`~sockettest.RandomWalk`,
  :class:`~sockettest.PCT`, :class:`~sockettest.Schedule`).
- ``runner``: :func:`~sockettest.simulate`, :func:`~sockettest.explore` and
  :class:`~sockettest.Simulation`, run from the caller's thread.

The true ``threading``, ``time`` and ``select`` functions they fall back on are captured in
``sockettest._originals``.
"""
