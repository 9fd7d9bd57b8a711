"""Wrong arguments to the scripted peers and the thread runners fail at the call, naming the
argument, before a thread starts or a socket opens: not later, from inside a thread, or as a
read that times out at once (``timeout=-1``)."""

import math
from collections.abc import Callable
from typing import Any

import pytest

from sockettest import FakeClient, FakeServer, run_in_thread, serve_in_thread

WRONG: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("server port -1", lambda: FakeServer(port=-1), ValueError, "port must be"),
    ("server port 65536", lambda: FakeServer(port=65536), ValueError, "port must be 0-65535"),
    ("server port '80'", lambda: FakeServer(port="80"), TypeError, "port must be an int"),  # type: ignore[arg-type]
    ("server timeout -1", lambda: FakeServer(timeout=-1), ValueError, "timeout must be positive"),
    ("server timeout 0", lambda: FakeServer(timeout=0), ValueError, "timeout must be positive"),
    ("join_timeout inf", lambda: FakeServer(join_timeout=math.inf), ValueError, "join_timeout"),
    ("join_timeout 0", lambda: FakeServer(join_timeout=0), ValueError, "join_timeout must be"),
    ("ready_timeout 0", lambda: FakeServer(ready_timeout=0), ValueError, "ready_timeout must"),
    ("ready_timeout '1'", lambda: FakeServer(ready_timeout="1"), TypeError, "ready_timeout"),  # type: ignore[arg-type]
    ("client timeout -1", lambda: FakeClient(timeout=-1), ValueError, "timeout must be positive"),
    ("client timeout nan", lambda: FakeClient(timeout=math.nan), ValueError, "timeout must be"),
    ("run_in_thread(None)", lambda: run_in_thread(None), TypeError, "target must be a"),  # type: ignore[arg-type]
    (
        "run_in_thread timeout -1",
        lambda: run_in_thread(lambda: None, timeout=-1),
        ValueError,
        "timeout must be positive",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "named"), [w[1:] for w in WRONG], ids=[w[0] for w in WRONG]
)
def test_a_wrong_argument_fails_at_the_call_naming_it(
    make: Callable[[], Any], error: type[Exception], named: str
) -> None:
    """The error names the argument, and comes before any thread or socket."""
    with pytest.raises(error, match=named):
        make()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"serve": None}, "serve must be a function"),
        ({"serve": print, "stop": "shutdown"}, "stop must be a function"),
        ({"serve": print, "ready": 5}, "ready must be a function"),
        ({"serve": print, "timeout": 0}, "timeout must be positive"),
    ],
)
def test_serve_in_thread_refuses_what_it_cannot_run_before_starting_it(
    arguments: dict[str, Any], named: str
) -> None:
    """``serve_in_thread`` refuses a server, stop or readiness that is not callable."""
    with pytest.raises((TypeError, ValueError), match=named), serve_in_thread(**arguments):
        pass


def test_the_ports_at_the_ends_of_the_range_are_taken() -> None:
    """Ports 0 and 65535 are valid ports, taken as asked (nothing starts before ``start``)."""
    assert FakeServer(port=0).requested == ("127.0.0.1", 0)
    assert FakeServer(port=65535).requested == ("127.0.0.1", 65535)


def test_a_client_may_wait_for_ever() -> None:
    """``FakeClient(timeout=math.inf)``: no timeout, as a server's default is."""
    assert FakeClient(timeout=math.inf).timeout == math.inf
