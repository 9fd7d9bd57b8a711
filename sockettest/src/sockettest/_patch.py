"""The patch hook: run unmodified socket code on an in-memory network.

Code written without testing in mind calls ``socket.socket()``, ``socket.create_connection``
or ``socketserver.TCPServer`` itself; there is no factory to inject. :func:`patch_socket_module`
(``MemoryNetwork.patch()``) replaces, for the duration of a ``with`` block, what the
:mod:`socket` module hands out:

- ``socket.socket``, with any signature, by a class whose instances are the network's
  :class:`~sockettest.MemorySocket` for the network's families, ``AF_INET`` and ``AF_INET6``
  (a class, since pytest-socket subclasses it);
- ``socketpair`` by :meth:`MemoryNetwork.socketpair` for those families;
- ``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getfqdn`` and
  ``getnameinfo`` by the network's host table (``localhost``, the loopback addresses and the
  names a test registers with :meth:`MemoryNetwork.add_host`; nothing is looked up for real).

And for the block's duration, ``select.select`` and the ``selectors`` selectors' ``select``, so
that a wait on the network's sockets alone is measured on the network's clock
(:mod:`sockettest._selecting`; on a network on real time they wait as before).

``create_connection`` and ``create_server`` are the standard library's own: they look
``socket`` and ``getaddrinfo`` up in the module when called, so they make in-memory sockets
too, with their exact semantics (and so does ``http.client``, which holds a reference to
``create_connection`` from import time).

Rules of this module, after mocket's ``true_socket`` and pytest-mock's undo order:

1. Patch where the name is looked up. Code that did ``from socket import socket`` at import
   holds the real class, and no patch of the module reaches it; ``import socket`` and
   ``socket.socket(...)`` at call time is what the hook replaces.
2. Take over only what the network carries. ``AF_UNIX`` is the process's own plumbing
   (asyncio's self-pipe, ``multiprocessing``'s pipes and managers): ``socket.socket(AF_UNIX)``
   and a socket wrapping a descriptor (``fileno=``, as ``accept`` and ``fromfd`` make) are what
   the module held beneath the patch, pytest-socket's guard included; ``socketpair()`` is a
   real ``AF_UNIX`` pair, made past the guard as ``fileno()``'s pair is (it never leaves the
   process). ``isinstance(x, socket.socket)`` is true of real sockets and the network's.
3. A patch lasts exactly as long as its block, whatever order blocks end in. The open patches
   form a stack, newest in force; a block that ends beneath another hands what it held beneath
   it to the one above, so whichever ends last puts back what the module held before the
   first began (two threads, or an ``ExitStack`` closed out of order, leave the real module).
4. Restore in reverse order, and only what is still ours: if something patched a name over
   ours during the block (pytest-socket's ``socket_disabled`` fixture, say), its value stays.
5. Never leave the module half patched for the next test. pytest-socket restores its own guard
   in its ``pytest_runtest_teardown``, which runs before fixture teardown, so a fixture's
   compare-and-swap would put pytest-socket's guarded ``getaddrinfo`` back *after* pytest-socket
   removed it, and every later test would find DNS blocked. So the plugin's hooks call
   :func:`restore_after_test` after every other teardown, and :func:`reinstate_open_patches`
   after pytest-socket's set-up, for a patch a module- or session-scoped fixture still holds
   (:func:`set_owner_source` tells whose a patch is).
"""

from __future__ import annotations

import _socket
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ContextDecorator, ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from sockettest._originals import PATCHED_NAMES, SOCKET, Lock, is_a_guard
from sockettest._readiness import is_readiness_descriptor
from sockettest._selecting import installed as selects_on_network_clock

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = [
    "NetworkPatch",
    "in_force",
    "local_socketpair",
    "patch_socket_module",
    "reinstate_open_patches",
    "restore_after_test",
    "set_owner_source",
]

_MARK = "__sockettest_patch__"
_AF_UNIX: int | None = getattr(socket, "AF_UNIX", None)
_NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_used_since_last_restore = False


class _Layer:
    """One patch in force: what it installs, and what the socket module shows beneath it.

    ``below`` starts as the module's values when the patch began; when a patch beneath this one
    ends first, its own ``below`` is spliced in here, so that whichever patch ends last puts
    back what the module held before the first began.
    """

    def __init__(self, network: MemoryNetwork, owner: object) -> None:
        self.network = network
        self.owner = owner
        self.below: dict[str, Any] = {}
        self.values = _replacements(network, self)
        self.selects = ExitStack()  # the select stand-ins, held until the layer ends

    def __repr__(self) -> str:
        return f"<patch of the socket module for {self.network!r}>"


_LOCK = Lock()  # real, even when a simulation has replaced threading's
_LAYERS: list[_Layer] = []
"""The patches in force, oldest first: the newest is the one the module shows."""


def _no_owner() -> object:
    return None


_owner_source: Callable[[], object] = _no_owner


def set_owner_source(source: Callable[[], object]) -> None:
    """Tell the module who owns a patch that begins now (the pytest plugin passes the fixture
    being set up, so that a module-scoped fixture's patch outlives the test that set it up).
    What it returns is handed back to :func:`restore_after_test`'s ``alive``."""
    global _owner_source  # noqa: PLW0603 (one source, set once by the plugin)
    _owner_source = source


class _PatchedSocketType(type):
    """Makes ``isinstance(x, socket.socket)`` true under a patch for what it is true of
    without one (real sockets, pytest-socket's guarded ones) and for the network's sockets."""

    def __instancecheck__(cls, instance: object) -> bool:
        layer: _Layer = getattr(cls, _MARK)
        classes = (layer.network.socket_class, SOCKET["socket"])
        return isinstance(instance, classes) or type.__instancecheck__(cls, instance)

    def __subclasscheck__(cls, subclass: type) -> bool:
        layer: _Layer = getattr(cls, _MARK)
        classes = (layer.network.socket_class, SOCKET["socket"])
        return issubclass(subclass, classes) or type.__subclasscheck__(cls, subclass)


def _socket_class(layer: _Layer) -> type:
    """A stand-in for :class:`socket.socket`: the network's sockets for its families, and what
    the module held beneath the patch for the rest (``AF_UNIX``, or wrapping a descriptor)."""
    network = layer.network

    def __new__(  # noqa: N807 (the stand-in's constructor)
        cls: type,
        family: int = -1,
        type: int = -1,
        proto: int = -1,
        fileno: int | None = None,
    ) -> Any:
        if fileno is not None and is_readiness_descriptor(fileno):
            raise ValueError(
                f"socket.socket(fileno={fileno!r}): that descriptor is an in-memory socket's "
                "readiness descriptor, not its connection, and no socket can be made around it"
            )
        if fileno is not None or (family == _AF_UNIX and _AF_UNIX is not None):
            return layer.below["socket"](family, type, proto, fileno)
        return network.socket_factory(family, type, proto, fileno)

    return _PatchedSocketType(
        "socket",
        (),
        {
            "__new__": __new__,
            "__doc__": f"socket.socket, patched by sockettest: makes sockets on {network!r}.",
            "__module__": "socket",
            _MARK: layer,
        },
    )


def _socketpair(network: MemoryNetwork) -> Callable[..., Any]:
    """``socketpair``: the network's connected pair for its families; for ``AF_UNIX`` (the
    default) a real pair, made past pytest-socket's guard as ``fileno()``'s pair is (it never
    leaves the process): asyncio's self-pipe and ``multiprocessing.Pipe`` need descriptors."""

    def socketpair(
        family: int | None = None, type: int = socket.SOCK_STREAM, proto: int = 0
    ) -> tuple[Any, Any]:
        if family in _NETWORK_FAMILIES or _AF_UNIX is None:
            return network.socketpair(family, type, proto)
        return local_socketpair(_AF_UNIX if family is None else family, type, proto)

    return socketpair


def local_socketpair(
    family: int, type: int = socket.SOCK_STREAM, proto: int = 0
) -> tuple[socket.socket, socket.socket]:
    """A real pair of the process's own (``AF_UNIX``), made past pytest-socket's guard: it
    never leaves the process (the patch's ``socketpair()``, an event loop's self-pipe)."""
    real = SOCKET["socket"]
    a, b = _socket.socketpair(family, type, proto)
    return real(family, type, proto, a.detach()), real(family, type, proto, b.detach())


def _replacements(network: MemoryNetwork, layer: _Layer) -> dict[str, Any]:
    replacements: dict[str, Any] = {"socket": _socket_class(layer)}
    for name in PATCHED_NAMES[1:]:  # socketpair, then the resolver's: the host table's methods
        function = _socketpair(network) if name == "socketpair" else getattr(network.hosts, name)
        replacements[name] = _marked(function, name, layer)
    return replacements


def _marked(function: Callable[..., Any], name: str, layer: _Layer) -> Any:
    def replacement(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    replacement.__name__ = replacement.__qualname__ = name
    replacement.__doc__ = f"socket.{name}, patched by sockettest to answer for {layer.network!r}."
    setattr(replacement, _MARK, layer)
    return replacement


class NetworkPatch(AbstractContextManager["MemoryNetwork"], ContextDecorator):
    """One ``network.patch()``: like ``unittest.mock.patch``, usable again once its block has
    ended, and as a decorator (each call its own block); entered again while its block is
    open, it refuses at the call (make another)."""

    def __init__(self, network: MemoryNetwork) -> None:
        self.network = network
        self.open: AbstractContextManager[MemoryNetwork] | None = None

    def __enter__(self) -> MemoryNetwork:
        if self.open is not None:
            raise RuntimeError(
                f"this patch() of {self.network!r} is already in force: a block nested in its "
                "own, or in another thread, needs a new network.patch()"
            )
        self.open = _patched(self.network)
        return self.open.__enter__()

    def _recreate_cm(self) -> NetworkPatch:  # a decorated function's call: its own block
        return NetworkPatch(self.network)

    def __exit__(self, *exc_info: Any) -> bool | None:
        block, self.open = self.open, None
        assert block is not None, "__exit__ without __enter__"
        return block.__exit__(*exc_info)


def patch_socket_module(network: MemoryNetwork) -> NetworkPatch:
    """Make the :mod:`socket` module hand out ``network``'s sockets and names in the block.

    Gives the network as the block's target. Use ``network.patch()``, or the
    ``patched_network`` fixture, which calls this for the test's duration. Like
    ``unittest.mock.patch``, one patch may be entered again once its block has ended, not while
    it is open (a nested block needs a new one). Blocks may overlap in any order (nested, in two
    threads, or closed out of order by an ``ExitStack``): the newest block still open is in
    force, and when the last one ends the module holds what it held before the first began.
    They run in any order with pytest-socket's guard (see the module's rules).

    Example::

        network = MemoryNetwork()
        with network.patch():
            with socket.create_connection(("localhost", port), timeout=2) as sock:
                ...
    """
    return NetworkPatch(network)


@contextmanager
def _patched(network: MemoryNetwork) -> Iterator[MemoryNetwork]:
    global _used_since_last_restore  # noqa: PLW0603 (one flag for the plugin's teardown hook)
    layer = _Layer(network, _owner_source())
    with _LOCK:
        _used_since_last_restore = True
        layer.below = {name: getattr(socket, name) for name in PATCHED_NAMES}
        _LAYERS.append(layer)
        for name in PATCHED_NAMES:
            setattr(socket, name, layer.values[name])
        layer.selects.enter_context(selects_on_network_clock())
    try:
        yield network
    finally:
        with _LOCK:
            _remove(layer)


def _remove(layer: _Layer) -> None:
    """End ``layer``, with the lock held: hand what it held beneath it to the patch above it,
    or, if it is the newest, put it back where the module still shows this patch's value."""
    if layer not in _LAYERS:
        return  # the plugin already ended it as leaked
    index = _LAYERS.index(layer)
    del _LAYERS[index]
    layer.selects.close()  # now, even for a leaked patch whose block never ends
    if index < len(_LAYERS):
        above = _LAYERS[index]
        for name in PATCHED_NAMES:
            if above.below[name] is layer.values[name]:
                above.below[name] = layer.below[name]
        return
    for name in reversed(PATCHED_NAMES):
        if getattr(socket, name) is layer.values[name]:
            setattr(socket, name, layer.below[name])


def _is_ours_or_a_guard(value: object) -> bool:
    return getattr(value, _MARK, None) is not None or is_a_guard(value)


def in_force() -> MemoryNetwork | None:
    """The network the socket module's ``socket`` makes sockets on now, if it is patched."""
    layer = getattr(socket.socket, _MARK, None)
    return None if layer is None else layer.network


def reinstate_open_patches() -> None:
    """Put the newest open patch back over a pytest-socket guard installed since it began.

    pytest-socket guards the module at every test's set-up, over a patch a module- or
    session-scoped fixture still holds; the plugin calls this before the test's own fixtures
    run, so that the patch lasts for its fixture's scope. The guard goes beneath the patches,
    where it would have been had it come first.
    """
    with _LOCK:
        if not _LAYERS:
            return
        newest, oldest = _LAYERS[-1], _LAYERS[0]
        for name in PATCHED_NAMES:
            current = getattr(socket, name)
            if current is not newest.values[name] and is_a_guard(current):
                oldest.below[name] = current
                setattr(socket, name, newest.values[name])


def restore_after_test(alive: Callable[[object], bool]) -> None:
    """Once a test has torn down, end the patches it leaked and show the right module.

    A patch whose owner is not ``alive`` (``None``, a test's own, or a finished fixture's)
    ends now. If patches remain (a module-scoped fixture's), the newest is put back where a
    pytest-socket guard, or pytest-socket's restore of the true functions, replaced it, and the
    true functions go beneath it; if none remains, the functions captured at import are put
    back for any name that still holds a patch or a pytest-socket guard.

    The plugin's ``pytest_runtest_teardown`` wrapper calls it after everything else; call it
    yourself only from such a hook. A no-op when no patch ran since the last call.
    """
    global _used_since_last_restore  # noqa: PLW0603 (see patch_socket_module)
    with _LOCK:
        if not _used_since_last_restore:
            return
        for layer in [layer for layer in _LAYERS if not alive(layer.owner)]:
            _remove(layer)
        _used_since_last_restore = bool(_LAYERS)
        if _LAYERS:
            oldest = _LAYERS[0]
            for name in PATCHED_NAMES:
                if _is_ours_or_a_guard(oldest.below[name]):
                    oldest.below[name] = SOCKET[name]
        target = _LAYERS[-1].values if _LAYERS else SOCKET
        for name in reversed(PATCHED_NAMES):
            current = getattr(socket, name)
            if current is target[name]:
                continue
            if _is_ours_or_a_guard(current) or current is SOCKET[name]:
                setattr(socket, name, target[name])
