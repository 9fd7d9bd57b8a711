"""``read_until_eof(timeout)`` means one thing on both scripted peers: the whole wait. A
script's ``conn.read_until_eof(5)`` fed a line every 3 seconds times out at 5 seconds, as a
``FakeClient``'s does, where it bounded each line's wait and so never timed out."""

from sockettest import FakeClient, FakeServer, MemoryNetwork, ScriptedConnection, VirtualClock


def test_a_scripts_read_until_eof_timeout_bounds_the_whole_wait() -> None:
    """Lines at 0 and 3 s, none after: the script's 5 s wait ends at 5 s, with both lines."""
    clock = VirtualClock()  # moved by hand: the test decides when each line comes
    network = MemoryNetwork(clock=clock, max_block=5.0)
    outcome: list[object] = []

    def read_all_within_five_seconds(conn: ScriptedConnection) -> None:
        try:
            outcome.append(conn.read_until_eof(timeout=5))
        except TimeoutError:
            outcome.append(("timed out at", clock.monotonic(), conn.received))
            conn.send_line("timed out")

    factory = network.socket_factory
    with (
        FakeServer(read_all_within_five_seconds, socket_factory=factory) as server,
        FakeClient(server.address, socket_factory=factory) as client,
    ):
        client.send_line("first")
        server.wait_for_lines(1)  # the script has begun its wait, at 0 s
        network.wait_until_blocked(calls=2)  # the server's accept, the script's next read
        clock.advance(3)
        client.send_line("second")
        server.wait_for_lines(2)
        network.wait_until_blocked(calls=2)
        clock.advance(3)  # 6 s: past the whole wait's 5, not past a fresh 5 from the 3rd
        assert client.read_line() == "timed out"
    assert outcome == [("timed out at", 6.0, ["first", "second"])]
