"""The kit's tests' deadlines, written once: a test that needs another figure says why."""

DEADLINE = 5.0
"""Seconds a test waits for what should happen at once (a thread's join, a line, a signal): far
more than it takes on a loaded 2-core machine, and what a failing wait costs."""

SHORT = 0.02
"""Seconds for a wait the test expects to run out: a real wait, that costs next to nothing. (A
wait for what a bug would send late can only pass falsely at this size, never fail falsely.)"""

SILENCE = 0.05
"""Seconds a script stays silent before it hangs up, in a test whose client sends meanwhile:
what the client sends must arrive first, on a loaded machine too."""
