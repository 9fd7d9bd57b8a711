"""The game's own test doubles, built on :mod:`sockettest` (the generic kit).

Everything generic (the in-memory network, mocks, faults, scripted peers, the contract) is
:mod:`sockettest`; what is here knows the game:

- :class:`GamePair`: the server's and clients' sans-IO protocol objects joined in memory,
  pumped in the test's own thread. The fastest tests there are. :func:`play_game` plays one
  whole match through it.
- :func:`play_match`: two bots play one whole match over sockets (a real server's, on loopback
  or on :class:`sockettest.MemoryNetwork`), each joined and its error re-raised in the test.
- :data:`BANNER`, :func:`send_banner_and_hang_up` and :func:`answer_like_the_game`: scripts for
  a :class:`sockettest.FakeServer` that talks like the game server.
- :mod:`game.testing.strategies`: Hypothesis strategies for the game's messages (import it
  directly; it needs Hypothesis).
- :mod:`game.testing.plugin`: the ``game_server_factory``, ``game_server`` and ``game_pair``
  fixtures. It is not registered with pytest on install: a project loads it with
  ``pytest_plugins = ["game.testing.plugin"]`` in its conftest, as this repository does.

Every name here is imported from ``game.testing`` itself; the modules that define them are
private (``_match``, ``_pair``, ``_scripts``). ``game.testing.strategies`` and
``game.testing.plugin`` are the two public submodules.

Layering: this package imports the product (``game``) and :mod:`sockettest`; the product never
imports it, and :mod:`sockettest` never imports the game.
"""

from game.testing._match import play_match
from game.testing._pair import GamePair, PairClient, play_game
from game.testing._scripts import BANNER, answer_like_the_game, send_banner_and_hang_up

__all__ = [
    "GamePair",
    "PairClient",
    "play_game",
    "play_match",
    "BANNER",
    "answer_like_the_game",
    "send_banner_and_hang_up",
]
