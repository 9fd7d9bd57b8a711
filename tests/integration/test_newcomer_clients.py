"""Clients a newcomer writes from docs/PROTOCOL.md alone, with nothing of the game imported:
one on blocking sockets, one on asyncio streams, playing each other on both server shells.

They take the lowest free cell each turn, so the match is always the same: X takes 1, 3, 5, 7
and wins on the diagonal 3-5-7. What the document promises is checked line by line: the
banner, WELCOME then WAIT for the first player only, START with the marks and names, BOARD to
both after each move, TURN to the mover only, END then BYE, and the end of the stream.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import Any

from tests.deadline import DEADLINE

FINAL = "XOXOXOX.."


def lowest_free(board: str) -> int:
    return board.index(".") + 1


def play_blocking(address: tuple[str, int], name: str, hello_sent: threading.Event) -> list[str]:
    """The newcomer's client on a blocking socket; returns every line the server sent."""
    with socket.create_connection(address, timeout=DEADLINE) as sock:
        lines = sock.makefile("r", encoding="utf-8", newline="\n")
        seen = [lines.readline().rstrip("\n")]
        sock.sendall(f"HELLO {name}\n".encode())
        board = ""
        while line := lines.readline():
            line = line.rstrip("\n")
            seen.append(line)
            if line == "WAIT":
                hello_sent.set()
            elif line.startswith("BOARD "):
                board = line.split()[1]
            elif line == "TURN":
                sock.sendall(f"MOVE {lowest_free(board)}\n".encode())
        lines.close()
        hello_sent.set()
        return seen


async def play_streams(address: tuple[str, int], name: str) -> list[str]:
    """The newcomer's client on asyncio streams; returns every line the server sent."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        seen = [(await reader.readline()).decode().rstrip("\n")]
        writer.write(f"HELLO {name}\n".encode())
        board = ""
        while raw := await reader.readline():
            line = raw.decode().rstrip("\n")
            seen.append(line)
            if line.startswith("BOARD "):
                board = line.split()[1]
            elif line == "TURN":
                writer.write(f"MOVE {lowest_free(board)}\n".encode())
                await writer.drain()
        return seen
    finally:
        writer.close()
        await writer.wait_closed()


def in_thread(target: Callable[[], list[str]], name: str) -> Callable[[], list[str]]:
    """Run ``target`` in a thread; the returned call joins it and gives its result."""
    result: list[list[str]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(target())
        except BaseException as error:  # re-raised in the test's thread
            failure.append(error)

    thread = threading.Thread(target=run, name=name)
    thread.start()

    def join() -> list[str]:
        thread.join(DEADLINE)
        assert not thread.is_alive(), f"{name} did not finish in {DEADLINE:g} s"
        if failure:
            raise failure[0]
        return result[0]

    return join


def test_two_newcomer_clients_play_a_whole_match_as_the_protocol_document_says(
    game_server_factory: Any,
) -> None:
    """The blocking client says HELLO first and so plays X; the asyncio client plays O; X wins
    3-5-7. Each gets exactly the lines PROTOCOL.md shows, then the end of the stream."""
    address = game_server_factory(idle_timeout=DEADLINE)
    waiting = threading.Event()
    x_done = in_thread(lambda: play_blocking(address, "alice", waiting), "newcomer-x")
    assert waiting.wait(DEADLINE), "alice never got WAIT"
    o_done = in_thread(lambda: asyncio.run(play_streams(address, "bob")), "newcomer-o")
    x_lines, o_lines = x_done(), o_done()

    boards = ["BOARD " + FINAL[:i] + "." * (9 - i) for i in range(8)]
    assert x_lines[:5] == ["GAME tictactoe 1", "WELCOME alice", "WAIT", "START X bob", boards[0]]
    assert o_lines[:4] == ["GAME tictactoe 1", "WELCOME bob", "START O alice", boards[0]]
    x_turns = [boards[0], "TURN", boards[1], boards[2], "TURN", boards[3], boards[4], "TURN"]
    assert x_lines[4:] == [*x_turns, boards[5], boards[6], "TURN", boards[7], "END WIN", "BYE"]
    o_turns = [boards[0], boards[1], "TURN", boards[2], boards[3], "TURN", boards[4], boards[5]]
    assert o_lines[3:] == [*o_turns, "TURN", boards[6], boards[7], "END LOSE", "BYE"]
