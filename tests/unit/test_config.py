"""Host and port configuration: stored as given before any connection, checked at once.

This is the blog post's "non-standard host and port" advice, with Hypothesis choosing the
values: no socket is involved, because construction must not touch the network.
"""

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from game import Client, Server

hosts = st.one_of(
    st.just(""),
    st.ip_addresses().map(str),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6})?", fullmatch=True),
)
ports = st.integers(min_value=0, max_value=65535)
not_ports = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=65536),
    st.booleans(),
    st.floats(),
    st.text(max_size=5),
    st.none(),
)
not_hosts = st.one_of(st.none(), st.integers(), st.binary(max_size=8), st.tuples(st.text()))

endpoints = pytest.mark.parametrize("endpoint", [Server, Client], ids=["server", "client"])


@endpoints
@given(host=hosts, port=ports)
def test_any_host_and_port_are_stored_as_given(endpoint: Any, host: str, port: int) -> None:
    """Non-default configurations are kept exactly, before anything connects."""
    made = endpoint(host, port)
    assert (made.host, made.port) == (host, port)


@endpoints
@given(port=not_ports)
@example(port=65536)  # the edges, every run: Hypothesis's few dev examples may miss them
@example(port=-1)
def test_a_port_that_is_not_an_int_in_range_is_refused(endpoint: Any, port: object) -> None:
    """A bool is not a port, nor is 65536 or "80": ValueError at construction."""
    with pytest.raises(ValueError, match="port must be an int in 0-65535"):
        endpoint("127.0.0.1", port)


@endpoints
@given(host=not_hosts)
def test_a_host_that_is_not_a_str_is_refused(endpoint: Any, host: object) -> None:
    """ValueError at construction, naming what was passed."""
    with pytest.raises(ValueError, match="host must be a str"):
        endpoint(host, 7777)


def test_defaults_are_loopback_port_7777() -> None:
    """Loopback by default: a server nobody configured is not exposed to the network."""
    assert (Server().host, Server().port) == ("127.0.0.1", 7777)
    assert (Client().host, Client().port) == ("127.0.0.1", 7777)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"idle_timeout": 0}, "idle_timeout"),
        ({"idle_timeout": -1.0}, "idle_timeout"),
        ({"max_clients": 0}, "max_clients"),
        ({"max_clients": True}, "max_clients"),
    ],
)
def test_server_options_are_checked(options: dict[str, Any], message: str) -> None:
    """Nonsense options fail at construction, not later in a thread."""
    with pytest.raises(ValueError, match=message):
        Server(**options)


def test_one_client_at_a_time_is_a_valid_server() -> None:
    """The smallest ``max_clients`` is 1, not 2."""
    assert Server(max_clients=1).max_clients == 1
