"""The two shells together on loopback: a threaded Client and an AsyncClient in one match, on
either server (``game_server_factory`` runs each test on both; see this folder's conftest)."""

import asyncio

import pytest

from game import AsyncClient, Client, ConnectionLost
from game.protocol import End, Result, Wait
from game.testing.plugin import GameServerFactory
from tests.deadline import DEADLINE

DRAW = End(Result.DRAW)


def test_a_threaded_client_and_an_async_client_play_a_whole_game(
    game_server_factory: GameServerFactory,
) -> None:
    """One bot of each shell, against each server: two suggest_move bots draw."""
    address = game_server_factory(idle_timeout=DEADLINE)

    def threaded_bot() -> End:
        with Client(*address, timeout=DEADLINE) as client:
            return client.play("threads", wait=DEADLINE)

    async def match() -> list[End]:
        async with AsyncClient(*address, timeout=DEADLINE) as client:
            ends = await asyncio.gather(
                client.play("asyncio", wait=DEADLINE), asyncio.to_thread(threaded_bot)
            )
        return list(ends)

    assert asyncio.run(match()) == [DRAW, DRAW]


def test_an_async_client_pings_quits_and_reads_the_end_of_the_connection(
    game_server_factory: GameServerFactory,
) -> None:
    """PING is answered with its token, QUIT with BYE, then the connection ends; the WAIT
    that came meanwhile is held for next_message."""
    address = game_server_factory(idle_timeout=DEADLINE)

    async def session() -> None:
        async with AsyncClient(*address, timeout=DEADLINE) as client:
            assert (await client.hello("pinger")).name == "pinger"
            assert await client.ping("token") > 0
            await client.quit()
            assert await client.next_message() == Wait()  # held while waiting for the PONG
            with pytest.raises(ConnectionLost, match="closed the connection after BYE"):
                await client.next_message()

    asyncio.run(session())
