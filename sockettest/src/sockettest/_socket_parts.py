"""What the parts of :class:`~sockettest.MemorySocket` use of one another, written down once.

The socket is one public class built from mixins, each in a module named for what it holds:
:mod:`~sockettest._listener`, :mod:`~sockettest._connection`,
:mod:`~sockettest._socket_options` and :mod:`~sockettest._rare_calls`, on top of
:mod:`~sockettest._memory_socket`, which holds the class itself, the state every socket has, and
the calls that are neither a listener's nor a connection's. :class:`_SocketParts` is their common
base: it declares, for the type checker, the fields and methods one part takes from another.
At run time it is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from types import EllipsisType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockettest._faults import FaultInjector, Faults
    from sockettest._kernel import Binding, Kernel
    from sockettest._memory_socket import MemorySocket
    from sockettest._network import MemoryNetwork
    from sockettest._readiness import ReadinessMirror
    from sockettest._types import Address
    from sockettest._waiting import NetworkLock, Waiting

__all__ = ["_SocketParts"]


class _SocketParts:
    """The fields and methods the parts of a memory socket share (declarations only)."""

    if TYPE_CHECKING:
        # Every socket's (MemorySocket.__init__)
        options: dict[tuple[int, int], Any]
        _lock: NetworkLock
        _net: MemoryNetwork
        _kernel: Kernel
        _binding: Binding
        _family: int
        _timeout: float | None
        _closed: bool
        _so_error: int
        _port_locked: bool
        _injector: FaultInjector | None
        _waiting: Waiting
        _mirror: ReadinessMirror | None
        # A listener's (_ListenerCalls._init_listener)
        _listening: bool
        _listen_shut: bool
        # A connection's (_ConnectionCalls._init_connection)
        _peer: MemorySocket | None
        _broken: bool
        _pending_error: OSError | None

        def _enter(self, method: str, args: tuple[Any, ...], when_closed: bool = False) -> None:
            """Record the call; raise its poison, or ``EBADF`` if closed."""

        def _check_open(self) -> None: ...
        def _notify(self, reading: bool = True, writing: bool = True) -> None: ...
        def _block(
            self,
            call: str,
            ready: Callable[[], bool],
            deadline: float | None,
            *,
            on: MemorySocket | None = None,
            channel: int = 0,
            nonblocking: bool = False,
            partial: int = 0,
        ) -> None: ...
        def _deadline(self, kernel_option: int | None = None) -> float | None: ...
        def _parse(self, address: Address, call: str) -> tuple[str, int]: ...
        def _address(self, address: tuple[str, int]) -> Address: ...
        def _set_faults(self, faults: Faults | None) -> None: ...
        def _accept_ready(self) -> bool: ...
        def _readiness(self) -> tuple[bool, bool, int]: ...
        def _shut_listener(self, reading: bool) -> None: ...
        def _receive(self, bufsize: int, flags: int) -> bytes: ...
        def _send(
            self, view: memoryview, flags: int, deadline: float | EllipsisType | None, call: str
        ) -> int: ...
