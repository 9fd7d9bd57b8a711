"""The patch hook: run unmodified socket code on an in-memory network.

Code written without testing in mind calls ``socket.socket()``, ``socket.create_connection``
or ``socketserver.TCPServer`` itself; there is no factory to inject. :func:`patch_socket_module`
(``MemoryNetwork.patch()``) replaces, for the duration of a ``with`` block, what the
:mod:`socket` module hands out:

- ``socket.socket``, with any signature, by a class whose instances are the network's
  :class:`~sockettest.MemorySocket` (a class, since pytest-socket subclasses it);
- ``socketpair`` by :meth:`MemoryNetwork.socketpair`;
- ``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getfqdn`` and
  ``getnameinfo`` by the network's host table (``localhost``, the loopback addresses and the
  names a test registers with :meth:`MemoryNetwork.add_host`; nothing is looked up for real).

``create_connection`` and ``create_server`` are the standard library's own: they look
``socket`` and ``getaddrinfo`` up in the module when called, so they make in-memory sockets
too, with their exact semantics (and so does ``http.client``, which holds a reference to
``create_connection`` from import time).

Rules of this module, after mocket's ``true_socket`` and pytest-mock's undo order:

1. Patch where the name is looked up. Code that did ``from socket import socket`` at import
   holds the real class, and no patch of the module reaches it; ``import socket`` and
   ``socket.socket(...)`` at call time is what the hook replaces.
2. Restore in reverse order, and only what is still ours: if something patched a name over
   ours during the block (pytest-socket's ``socket_disabled`` fixture, say), its value stays.
3. Never leave the module half patched for the next test. pytest-socket restores its own guard
   in its ``pytest_runtest_teardown``, which runs before fixture teardown, so a fixture's
   compare-and-swap would put pytest-socket's guarded ``getaddrinfo`` back *after* pytest-socket
   removed it, and every later test would find DNS blocked. The plugin's teardown wrapper calls
   :func:`restore_after_test`, which puts back the originals captured when this module was
   imported (or pytest-socket's own true values, should a guard be installed at that moment),
   for any name that still holds a patch or a pytest-socket guard.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = ["ORIGINALS", "PATCHED_NAMES", "patch_socket_module", "restore_after_test"]

PATCHED_NAMES = (
    "socket",
    "socketpair",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getfqdn",
    "getnameinfo",
)
"""The :mod:`socket` module attributes a patch replaces, in the order it replaces them."""


def _true_value(name: str) -> Any:
    """``socket.<name>`` as the standard library defines it, even if pytest-socket's guard is
    installed right now (the plugin may first import this module during a guarded test)."""
    value = getattr(socket, name)
    guard = sys.modules.get("pytest_socket")
    if guard is not None and _is_a_guard(value):
        value = getattr(guard, f"_true_{name}", value)
    return value


def _is_a_guard(value: object) -> bool:
    module = getattr(value, "__module__", "") or ""
    return module.startswith("pytest_socket") and "uarded" in getattr(value, "__name__", "")


ORIGINALS: dict[str, Any] = {name: _true_value(name) for name in PATCHED_NAMES}
"""The :mod:`socket` functions as the standard library defines them, captured at import: what
:func:`restore_after_test` puts back, and the real resolver the host table asks about numbers."""
_MARK = "__sockettest_patch__"
_used_since_last_restore = False


class _PatchedSocketType(type):
    """Makes ``isinstance(sock, socket.socket)`` true for in-memory sockets under a patch."""

    def __instancecheck__(cls, instance: object) -> bool:
        network: MemoryNetwork = getattr(cls, _MARK)
        return isinstance(instance, network.socket_class) or type.__instancecheck__(cls, instance)


def _socket_class(network: MemoryNetwork) -> type:
    """A stand-in for :class:`socket.socket` whose instances are ``network``'s sockets."""

    def __new__(  # noqa: N807 (the stand-in's constructor)
        cls: type,
        family: int = -1,
        type: int = -1,
        proto: int = -1,
        fileno: int | None = None,
    ) -> Any:
        return network.socket_factory(family, type, proto, fileno)

    return _PatchedSocketType(
        "socket",
        (),
        {
            "__new__": __new__,
            "__doc__": f"socket.socket, patched by sockettest: makes sockets on {network!r}.",
            "__module__": "socket",
            _MARK: network,
        },
    )


def _replacements(network: MemoryNetwork) -> dict[str, Any]:
    hosts = network.hosts
    functions: dict[str, Callable[..., Any]] = {
        "socketpair": network.socketpair,
        "getaddrinfo": hosts.getaddrinfo,
        "gethostbyname": hosts.gethostbyname,
        "gethostbyname_ex": hosts.gethostbyname_ex,
        "gethostbyaddr": hosts.gethostbyaddr,
        "getfqdn": hosts.getfqdn,
        "getnameinfo": hosts.getnameinfo,
    }
    replacements: dict[str, Any] = {"socket": _socket_class(network)}
    for name, function in functions.items():
        replacements[name] = _marked(function, name, network)
    return replacements


def _marked(function: Callable[..., Any], name: str, network: MemoryNetwork) -> Any:
    def replacement(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    replacement.__name__ = replacement.__qualname__ = name
    replacement.__doc__ = f"socket.{name}, patched by sockettest to answer for {network!r}."
    setattr(replacement, _MARK, network)
    return replacement


@contextmanager
def patch_socket_module(network: MemoryNetwork) -> Iterator[MemoryNetwork]:
    """Make the :mod:`socket` module hand out ``network``'s sockets and names in the block.

    Yields the network. Use ``network.patch()``, or the ``patched_network`` fixture, which
    calls this for the test's duration. Blocks may nest (the innermost network wins while it
    lasts), and run in any order with pytest-socket's guard (see the module's rules).

    Example::

        network = MemoryNetwork()
        with network.patch():
            with socket.create_connection(("localhost", port), timeout=2) as sock:
                ...
    """
    global _used_since_last_restore  # noqa: PLW0603 (one flag for the plugin's teardown hook)
    replacements = _replacements(network)
    saved = {name: getattr(socket, name) for name in replacements}
    _used_since_last_restore = True
    for name, value in replacements.items():
        setattr(socket, name, value)
    try:
        yield network
    finally:
        for name in reversed(list(replacements)):
            if getattr(socket, name) is replacements[name]:
                setattr(socket, name, saved[name])


def _is_ours_or_a_guard(value: object) -> bool:
    return getattr(value, _MARK, None) is not None or _is_a_guard(value)


def restore_after_test() -> None:
    """Put back the :mod:`socket` functions captured at import, where a patch or a
    pytest-socket guard is still installed once a test that patched has torn down.

    The plugin's ``pytest_runtest_teardown`` wrapper calls it after everything else; call it
    yourself only from such a hook. A no-op when no patch ran since the last call.
    """
    global _used_since_last_restore  # noqa: PLW0603 (see patch_socket_module)
    if not _used_since_last_restore:
        return
    _used_since_last_restore = False
    for name in reversed(PATCHED_NAMES):
        current = getattr(socket, name)
        if current is not ORIGINALS[name] and _is_ours_or_a_guard(current):
            setattr(socket, name, ORIGINALS[name])
