"""What every notebook of the course uses to run its tests: one module, not a copied cell.

A notebook starts with::

    from _course import configure, expect_failure, run_tests

    configure()

`configure()` sets ipytest up for the course, and loads this module into each pytest run that
ipytest makes, as a plugin. The plugin's one hook makes the failures that a lesson shows read like
the lesson: the test's own frames and the assertion, not twenty frames of pytest and pluggy.

`run_tests()` runs the tests a cell defines. `expect_failure()` checks a failure that a cell shows
on purpose: its report must say what the lesson claims, so a lesson cannot silently rot.
"""

from __future__ import annotations

import contextlib
import gc
import io
import re
import threading
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import ipytest
import pytest

if TYPE_CHECKING:
    from _pytest._code import Traceback  # pytest exports no name for it
    from IPython.utils.capture import CapturedIO

__all__ = ["configure", "expect_failure", "run_tests"]

ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")

# The warnings pytest raises for an exception that escaped a thread, or one Python could only
# print ("Exception ignored in ..."): their own traceback is pytest's machinery, and their message
# ends with advice about tracemalloc that does not apply to a thread's exception.
_ESCAPED = (pytest.PytestUnhandledThreadExceptionWarning, pytest.PytestUnraisableExceptionWarning)

# Frames that belong to the machinery around the code under test, never to the lesson.
_MACHINERY = tuple(
    str(Path(module.__file__).parent)
    for module in (pytest, threading)
    if module.__file__ is not None
)


def configure() -> None:
    """Set ipytest up as the course runs it: a failing test fails the cell, and reads cleanly.

    Cells marked ``%%ipytest`` with ``# ipytest: raise_on_error=False`` as their first line fail
    on purpose; everything else that fails stops the notebook, and so CI.
    """
    ipytest.autoconfig(
        raise_on_error=True,
        addopts=["-q", "--color=yes", "--tb=short", "-p", __name__],
    )


def run_tests(*pytest_args: str, in_thread: bool = False) -> None:
    """Run the tests defined so far with pytest, show the report, and raise it if one failed.

    Raising the report itself, not only "ipytest failed with exit_code 1", puts the failing
    assertion into the error that a notebook runner, and so CI, prints.

    ``in_thread=True`` runs them in a thread of their own: the kernel runs an asyncio loop in
    its main thread, and a test that runs a loop of its own (``asyncio.Runner``) cannot run
    there, since a thread runs one loop at a time.
    """
    __tracebackhide__ = True
    with contextlib.redirect_stdout(io.StringIO()) as output:
        exit_code = ipytest.run(*pytest_args, raise_on_error=False, run_in_thread=in_thread)
    ipytest.clean()  # so that the next cell runs only the tests it defines
    print(output.getvalue())
    if exit_code != 0:
        raise AssertionError(ANSI_ESCAPES.sub("", output.getvalue()))


def expect_failure(captured: CapturedIO, *reasons: str) -> None:
    """Show the report of a run that fails on purpose, and check that it fails for `reasons`.

    A lesson that shows a failure must go on showing that failure: if the code changes so that
    the tests pass, or fail for another reason, this raises, with the report.
    """
    __tracebackhide__ = True
    captured.show()  # type: ignore[no-untyped-call]
    report = ANSI_ESCAPES.sub("", captured.stdout)
    ipytest.clean()
    with warnings.catch_warnings():
        # A failed test may leave an unclosed socket behind: reclaim it now, quietly, so that
        # its ResourceWarning cannot surface inside a later test.
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    if ipytest.exit_code != 1:
        raise AssertionError(f"expected failing tests; exit code {ipytest.exit_code}:\n{report}")
    missing = [reason for reason in reasons if reason not in report]
    if missing:
        raise AssertionError(f"the tests failed, but the report does not say {missing}:\n{report}")
    print("Failed as the lesson says:", ", ".join(map(repr, reasons)))


def _own_frames(excinfo: pytest.ExceptionInfo[BaseException]) -> Traceback:
    """The frames of the code under test: not pytest's, pluggy's or the standard library's."""
    own = excinfo.traceback.filter(
        lambda entry: not str(entry.path).startswith(_MACHINERY) and "pluggy" not in str(entry.path)
    )
    return own if len(own) else excinfo.traceback


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report an exception that escaped a thread as that exception, where the thread raised it.

    pytest turns it into a warning raised from its own hooks (warnings are errors here), so its
    report is pytest's frames, then the thread's exception as the "direct cause", then a hint
    about tracemalloc. The lesson is the cause: show it, with the warning's first line.
    """
    report = yield
    escaped = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(escaped, _ESCAPED) and escaped.__cause__ is not None:
        cause = pytest.ExceptionInfo.from_exception(escaped.__cause__)
        longrepr = cause.getrepr(style="short", chain=False, tbfilter=_own_frames)
        headline = str(escaped).splitlines()[0]
        longrepr.addsection(type(escaped).__name__, headline)
        if longrepr.reprcrash is not None:  # the line the short test summary prints
            longrepr.reprcrash.message = f"{headline}: {longrepr.reprcrash.message}"
        report.longrepr = longrepr
    return report
