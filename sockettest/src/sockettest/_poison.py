"""Poison switches: a socket call (or a network's factory call) that raises instead of acting.

A socket and a network each keep a :class:`Poisons` table; every call of a socket looks up its
own and its network's before it does anything (the call is recorded first). The table is a
dict, so that the look-up that finds nothing, on every call, costs one truthiness test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["POISONABLE", "Outcome", "Poisons"]

Outcome: TypeAlias = BaseException | type[BaseException]

POISONABLE = frozenset(
    {
        "accept",
        "bind",
        "close",
        "connect",
        "connect_ex",
        "detach",
        "dup",
        "get_inheritable",
        "getpeername",
        "getsockname",
        "getsockopt",
        "listen",
        "recv",
        "recv_into",
        "recvfrom",
        "recvfrom_into",
        "recvmsg",
        "recvmsg_into",
        "send",
        "sendall",
        "sendfile",
        "sendmsg",
        "sendto",
        "set_inheritable",
        "setblocking",
        "setsockopt",
        "settimeout",
        "shutdown",
    }
)
"""The socket methods a poison may name (a network's also takes ``"socket"``, the factory)."""


@dataclass
class _Poison:
    error: Outcome
    times: int | None  # None: every call


class Poisons(dict[str, _Poison]):
    """The poisoned methods of one socket or network, each with the calls it still spoils."""

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__()
        self.allowed = allowed

    def add(self, method: str, error: object, times: int | None) -> None:
        """Poison ``method``; a clear error, naming the argument, for what cannot be one."""
        if method not in self.allowed:
            choices = ", ".join(sorted(self.allowed))
            raise ValueError(f"cannot poison {method!r}: choose one of {choices}")
        if not isinstance(error, BaseException) and not (
            isinstance(error, type) and issubclass(error, BaseException)
        ):
            raise TypeError(
                f"error must be an exception to raise (an instance or a class), not {error!r}"
            )
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError(f"times must be a number of calls (at least 1) or None, not {times!r}")
        self[method] = _Poison(error, times)

    def take(self, name: str) -> None:
        """Raise the poison for ``name``, if any, counting down its ``times``."""
        poison = self.get(name)
        if poison is None:
            return
        if poison.times is not None:
            poison.times -= 1
            if poison.times <= 0:
                del self[name]
        error = poison.error
        raise error() if isinstance(error, type) else error
