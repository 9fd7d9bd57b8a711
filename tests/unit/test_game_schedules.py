"""The game's server and clients under seeded thread schedules (sockettest.simulate): a few
seeds here; ``tests/stress/test_game_schedules.py`` tries a thousand."""

import socket
import struct

import pytest

from game import Client, Server
from game.testing import BANNER
from sockettest import PCT, MemoryNetwork, RandomWalk, Simulation, explore, simulate
from tests.unit.game_scenarios import a_game_then_a_shutdown

pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test


@pytest.mark.parametrize("policy", [RandomWalk(), PCT()], ids=repr)
def test_a_game_then_a_shutdown_survives_a_few_schedules(policy: RandomWalk | PCT) -> None:
    """Each seed passes, and replays step for step (a failure is raised as itself)."""
    explore(
        a_game_then_a_shutdown,
        seeds=range(3),
        policy=policy,
        check_determinism=True,
        raise_failure=True,
    )


def test_a_game_under_one_seed_is_the_same_game_every_time() -> None:
    """The same seed, the same interleaving: the whole game's trace, step by step. (Seed 11
    once differed: shutdown() joined the handler threads in set order, by id.)"""
    simulation = Simulation(seed=11, check_determinism=True)  # two runs, compared
    simulation.run(a_game_then_a_shutdown)
    assert len(simulation.trace) > 100  # the game's socket calls and locks, not a handful


def a_client_resets_mid_session() -> None:
    """One client resets its connection (RST, not FIN) while another is served: the server
    drops the first quietly, answers the second, and stops cleanly."""
    network = MemoryNetwork()
    server = Server("127.0.0.1", 0, socket_factory=network.socket_factory)
    with (
        server.running() as address,
        Client(*address, socket_factory=network.socket_factory) as other,
    ):
        other.hello("bob")
        rude = network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
        rude.connect(address)
        assert rude.recv(64).startswith(BANNER.encode())  # its reader is running: now reset
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.close()
        assert other.ping("after the reset") >= 0
    network.assert_all_closed()


def test_a_reset_never_escapes_the_server_thread_whatever_the_schedule() -> None:
    """Under simulate, an exception that escapes a server thread fails the run, on every
    schedule, not only on the unlucky one."""
    explore(a_client_resets_mid_session, seeds=range(5), check_determinism=True, raise_failure=True)


def test_the_scenario_fails_when_the_game_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that never answers a move leaves the players waiting for ever: the
    simulation says deadlock (or the bot's wait runs out on virtual time), with the seed."""
    from game.lobby import Lobby

    monkeypatch.setattr(Lobby, "receive", lambda self, player, line: [])
    with pytest.raises(Exception, match="seed=0"):
        simulate(a_game_then_a_shutdown, seed=0)
