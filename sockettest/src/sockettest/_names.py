"""Name resolution for an in-memory network: a table of names, and the real resolver for numbers.

While a ``MemoryNetwork`` is patched in, its :class:`HostTable` stands in for the ``socket``
module's ``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getfqdn``
and ``getnameinfo``: ``localhost``, an address, or a name the test registered
(``network.add_host("db.test", "10.0.0.5")``) gives the answer glibc gives for an ``/etc/hosts``
entry, and every failure is CPython's exception, errno and message.

Rules of this module:

1. Numbers go to the real resolver in numeric-only mode (``AI_NUMERICHOST``, ``NI_NUMERICHOST``,
   ``inet_pton``/``inet_ntop``), captured at import (``_originals.SOCKET``, out of pytest-socket's
   reach): the platform reads and writes addresses (``127.1``, ``::ffff:1.2.3.4``), ports,
   types and flags, and refuses bad arguments with its own errors. In that mode it looks up no
   host and opens no network socket; a port given by name comes from ``/etc/services`` (NSS).
2. Names go to the table: ``localhost`` (:data:`LOCALHOST_ADDRESSES`) and the names registered
   with :meth:`HostTable.add_host`, without regard to case, as DNS does. Every other name is
   ``EAI_NONAME``. No DNS, no ``/etc/hosts``, no NSS, whatever the name.
3. Where glibc would ask the machine, the table gives one fixed answer: host ``None`` (glibc
   sorts its addresses by the routes) is asked one family at a time, in a fixed order; a
   ``%scope`` is a number, taken off before the real call (glibc asks the interfaces about it);
   ``AI_ADDRCONFIG`` is dropped (it asks the interfaces too).
4. Each call answers from one state of the table: :meth:`HostTable.add_host` publishes a new
   state in one assignment, so a lookup racing with it sees the table before or after, never half.
"""

from __future__ import annotations

import contextlib
import operator
import socket
import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple, SupportsIndex, TypeAlias, cast

from sockettest._originals import SOCKET

__all__ = ["LOCALHOST_ADDRESSES", "LOOPBACK_ADDRESSES", "WILDCARD_ADDRESSES", "HostTable"]

#: What ``localhost`` resolves to, in this order (see :class:`HostTable`).
LOCALHOST_ADDRESSES: Final = ("127.0.0.1", "::1")
#: What host ``None`` resolves to without ``AI_PASSIVE``, in glibc's order (with IPv6 loopback).
LOOPBACK_ADDRESSES: Final = ("::1", "127.0.0.1")
#: What host ``None`` resolves to with ``AI_PASSIVE`` (a server's "any address"), in glibc's order.
WILDCARD_ADDRESSES: Final = ("0.0.0.0", "::")

_SockAddr: TypeAlias = tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
AddrInfo: TypeAlias = tuple[socket.AddressFamily, socket.SocketKind, int, str, _SockAddr]
HostEntry: TypeAlias = tuple[str, list[str], list[str]]

_real_getaddrinfo: Final[Callable[..., list[AddrInfo]]] = SOCKET["getaddrinfo"]
_real_getnameinfo: Final[Callable[..., tuple[str, str]]] = SOCKET["getnameinfo"]
_NO_HOST: Final = ""  # a host the real resolver, in numeric mode, never finds: EAI_NONAME
_HOST_NOT_FOUND: Final = (1, "Unknown host")  # herror's args, as CPython gives them
_NO_RECOVERY: Final = (3, "Unknown server error")
_BROADCAST_NAMES: Final = (b"255.255.255.255", b"<broadcast>")
# Plain ints: an IntFlag member would turn ``-1 | flag`` into the flags the enum knows.
_AI_NUMERICHOST: Final = int(socket.AI_NUMERICHOST)
_AI_ADDRCONFIG: Final = int(socket.AI_ADDRCONFIG)


class _Host(NamedTuple):
    name: str  # as registered (IDNA-encoded, case kept): the canonical name lookups report
    addresses: tuple[str, ...]  # as inet_ntop writes them


class _State(NamedTuple):
    """One published state of a table; never changed, only replaced."""

    hosts: dict[str, _Host]  # by name in lower case (names are ASCII), in registration order
    owners: dict[str, str]  # address -> name of the first host that has it


def _as_int(value: object) -> int | None:
    """``value`` as CPython's C-int arguments read it, or None: CPython refuses it (TypeError)."""
    try:
        return operator.index(cast(SupportsIndex, value))
    except TypeError:
        return None


def _host_text(host: object) -> str | None:
    """The name glibc is given for ``host`` (IDNA-encoded, up to a NUL), or None: host None, or
    one CPython refuses (the real call raises its error)."""
    if isinstance(host, str):
        try:
            host = host.encode("idna")
        except UnicodeError:
            return None
    if not isinstance(host, bytes):  # bytearray too: CPython's getaddrinfo takes str or bytes
        return None
    return host.partition(b"\0")[0].decode("ascii", "surrogateescape")


def _written(family: int, text: str) -> str | None:
    """``text`` as inet_ntop writes it, if inet_pton reads it as an address of ``family``."""
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the text
        return None


def _without_scope(text: str) -> tuple[str, int]:
    """What to ask the real resolver for ``text``: an IPv6 literal without its ``%scope``, and the
    scope as a number (up to 2**32-1; anything else, an interface name, makes it ``_NO_HOST``)."""
    address, percent, scope = text.partition("%")
    if not percent or _written(socket.AF_INET6, address) is None:
        return text, 0
    if scope.isascii() and scope.isdigit() and int(scope) <= 0xFFFFFFFF:
        return address, int(scope)
    return _NO_HOST, 0


def _is_address(text: str) -> bool:
    """Whether glibc's getaddrinfo reads ``text`` as an address (so never as a name)."""
    if _without_scope(text) != (text, 0):
        return True
    with contextlib.suppress(socket.gaierror):
        return bool(_real_getaddrinfo(text, None, 0, socket.SOCK_STREAM, 0, _AI_NUMERICHOST))
    return False


def _chosen(host: _Host, family: object, flags: int) -> list[str]:
    """The addresses of ``host`` a lookup in ``family`` gives (the real call maps IPv4 ones)."""
    ipv6 = [a for a in host.addresses if ":" in a]
    if family == socket.AF_INET:
        return [a for a in host.addresses if ":" not in a]
    if family == socket.AF_INET6 and not (
        flags & socket.AI_V4MAPPED and (flags & socket.AI_ALL or not ipv6)
    ):
        return ipv6
    return list(host.addresses)


def _name_argument(function: str, value: object) -> bytes:
    """The name CPython's ``function`` (a gethostby*) gives the C library for ``value``.

    A str is IDNA-encoded; bytes and bytearray are taken as they are. A value CPython refuses
    goes to the real function, which raises its own error before it looks anything up.
    """
    encoded: bytes | None = None
    if isinstance(value, str):
        with contextlib.suppress(UnicodeError):
            encoded = value.encode("idna")
    elif isinstance(value, bytes | bytearray):
        encoded = bytes(value)
    if encoded is None or b"\0" in encoded:
        SOCKET[function](value)
        raise AssertionError(f"socket.{function}({value!r}) did not refuse its argument")
    return encoded


def _registered_name(name: object) -> str:
    """A name :meth:`HostTable.add_host` accepts, IDNA-encoded as lookups will encode it."""
    if not isinstance(name, str):
        raise TypeError(f"a host name is a str, not {type(name).__name__}")
    try:
        encoded = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{name!r} is not a valid host name: {exc}") from None
    if not encoded:
        raise ValueError("a host name cannot be empty")
    if any(c.isspace() or c == "\0" for c in encoded):
        raise ValueError(f"{name!r} is not a valid host name: it has a blank or a NUL character")
    if encoded == "*" or encoded.encode("ascii") in _BROADCAST_NAMES:
        raise ValueError(f"{name!r} cannot be a host name: the resolver gives it a fixed meaning")
    if _is_address(encoded):
        raise ValueError(
            f"{name!r} is an address, not a name: every address already resolves to itself"
        )
    return encoded


def _registered_address(text: object) -> str:
    """An address :meth:`HostTable.add_host` accepts (one IPv4 or IPv6 literal, no scope), as
    inet_ntop writes it."""
    if not isinstance(text, str):
        raise TypeError(f"an address is a str such as '10.0.0.1', not {type(text).__name__}")
    if _written(socket.AF_INET6, text.partition("%")[0]) and "%" in text:
        raise ValueError(f"{text!r}: an address with a scope id ('%...') cannot be registered")
    written = _written(socket.AF_INET, text) or _written(socket.AF_INET6, text)
    if written is None:
        raise ValueError(f"{text!r} is not an IP address literal (such as '10.0.0.1' or 'fd00::1')")
    return written


def _getaddrinfo(  # noqa: PLR0917 (socket.getaddrinfo's signature)
    state: _State, host: Any, port: Any, family: Any, type: Any, proto: Any, flags: Any
) -> list[AddrInfo]:
    """``socket.getaddrinfo`` on one state of a table (see :meth:`HostTable.getaddrinfo`)."""
    wanted = _as_int(flags)
    numeric = flags if wanted is None else (wanted | _AI_NUMERICHOST) & ~_AI_ADDRCONFIG
    text = _host_text(host)
    if wanted is None or (text is None and host is not None):  # CPython raises its own error
        return _real_getaddrinfo(host, port, family, type, proto, numeric)
    if text is None or text == "*":
        pool = WILDCARD_ADDRESSES if wanted & socket.AI_PASSIVE else LOOPBACK_ADDRESSES
        order = tuple(socket.AF_INET6 if ":" in a else socket.AF_INET for a in pool)
        families = order if family == socket.AF_UNSPEC else (family,)
        return [e for f in families for e in _real_getaddrinfo(host, port, f, type, proto, numeric)]
    asked, scope = _without_scope(text)
    known = None if wanted & socket.AI_NUMERICHOST else state.hosts.get(asked.lower())
    if known is not None:
        canonical = known.name
        hosts: list[object] = [*_chosen(known, family, wanted)] or [_NO_HOST]
    else:
        canonical = text
        hosts = [host if asked == text else asked]  # unchanged: as CPython converts it
    entries = [e for h in hosts for e in _real_getaddrinfo(h, port, family, type, proto, numeric)]
    if not wanted & socket.AI_CANONNAME:
        canonical = ""
    return [
        (f, k, p, "" if i else canonical, (*a[:3], scope) if scope and len(a) == 4 else a)
        for i, (f, k, p, _, a) in enumerate(entries)
    ]


def _setipaddr(state: _State, name: bytes, family: int) -> str:
    """One address for a name, as CPython's setipaddr() finds it for gethostby*()."""
    if not name:
        entries = _getaddrinfo(state, None, "0", family, socket.SOCK_DGRAM, 0, socket.AI_PASSIVE)
        if len(entries) > 1:
            raise OSError("wildcard resolved to multiple address")
        return str(entries[0][4][0])
    if name in _BROADCAST_NAMES:
        if family not in (socket.AF_UNSPEC, socket.AF_INET):
            raise OSError("address family mismatched")
        return "255.255.255.255"
    text = name.decode("ascii", "surrogateescape")
    for each in (socket.AF_INET, socket.AF_INET6):
        written = _written(each, text) if family in (socket.AF_UNSPEC, each) else None
        if written is not None:
            return written
    return str(_getaddrinfo(state, name, None, family, 0, 0, 0)[0][4][0])


class HostTable:
    """The names one in-memory network knows, answered as Linux's resolver answers them.

    The methods take the arguments of the ``socket`` functions they are named after and give
    what CPython on Linux gives for a host in ``/etc/hosts``; for an address, the real
    resolver's own answer. :meth:`add_host` teaches the table names besides ``localhost``.

    ``localhost`` is 127.0.0.1, then ::1 (:data:`LOCALHOST_ADDRESSES`): code that tries each
    address in turn, as ``socket.create_connection`` does, reaches an IPv4 listener at once.
    (A real one depends on ``/etc/hosts``: 127.0.0.1 alone, or ::1 first with ``::1 localhost``.)
    Host ``None`` is ::1 then 127.0.0.1, or 0.0.0.0 then :: with ``AI_PASSIVE``, as glibc's.

    Where the table does not do what Linux does, and why:

    - Several addresses come in the order they were registered, not sorted by the routes.
    - ``AI_ADDRCONFIG`` changes nothing: both families count as configured.
    - A scope id is a number (``fe80::1%2``): an interface name (``fe80::1%eth0``) is unknown
      (EAI_NONAME), and ``getnameinfo`` writes scope ids as numbers.
    - ``NI_NOFQDN`` changes nothing (no local domain); names have no aliases.
    - A name with no IPv4 address is EAI_NONAME to an IPv4 lookup (``gethostbyname``), as DNS
      gives; glibc's ``/etc/hosts`` reader answers 127.0.0.1 for a name whose only entry is ::1.
    - ``::1`` belongs to ``localhost`` (``gethostbyaddr("::1")`` is ``localhost``, as with a stock
      hosts file); a hosts file without ``::1`` makes it ``herror(1, "Unknown host")``.
    - A name raises no ``sys.audit`` event (only the real resolver's numeric calls do).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # serializes add_host; lookups read self._state unlocked
        self._state = _State(hosts={}, owners={})
        self.add_host("localhost", *LOCALHOST_ADDRESSES)

    def add_host(self, name: str, *addresses: str) -> None:
        """Make ``name`` resolve to ``addresses``, in this order, replacing what it had.

        Names are compared without case, as DNS does. A name keeps its place when re-added: an
        address that several names have belongs, to ``gethostbyaddr`` and ``getnameinfo``, to the
        first of them (``localhost`` for 127.0.0.1), as the first matching line of /etc/hosts.

        Raises:
            ValueError: ``name`` is empty, not IDNA-encodable, or an address itself; an address is
                not an IPv4/IPv6 literal or has a scope id; or no address is given.
        """
        spelling = _registered_name(name)
        parsed = tuple(_registered_address(a) for a in addresses)
        if not parsed:
            raise ValueError(f"add_host({name!r}) needs at least one address")
        with self._lock:
            hosts = {**self._state.hosts, spelling.lower(): _Host(spelling, parsed)}
            owners: dict[str, str] = {}
            for host in hosts.values():
                for address in host.addresses:
                    owners.setdefault(address, host.name)
            self._state = _State(hosts, owners)  # one assignment: a lookup sees old or new

    def getaddrinfo(  # noqa: PLR0917 (socket.getaddrinfo's signature)
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[AddrInfo]:
        """``socket.getaddrinfo``: the addresses to connect or bind to, one entry per socket type.

        A registered name gives, address by address, what the real ``getaddrinfo`` gives for
        that address; its canonical name (``AI_CANONNAME``) is on the first entry only.
        """
        return _getaddrinfo(self._state, host, port, family, type, proto, flags)

    def gethostbyname(self, hostname: str | bytes | bytearray, /) -> str:
        """``socket.gethostbyname``: one IPv4 address, the first the name has (``""`` is
        0.0.0.0, ``"<broadcast>"`` 255.255.255.255, an IPv6 literal EAI_ADDRFAMILY)."""
        name = _name_argument("gethostbyname", hostname)
        return _setipaddr(self._state, name, socket.AF_INET)

    def gethostbyname_ex(self, hostname: str | bytes | bytearray, /) -> HostEntry:
        """``socket.gethostbyname_ex``: (canonical name, aliases, all IPv4 addresses).

        A numeric address is its own name, written as given (``("127.1", [], ["127.0.0.1"])``).
        """
        state = self._state
        name = _name_argument("gethostbyname_ex", hostname)
        _setipaddr(state, name, socket.AF_INET)  # CPython's first step: its errors come first
        text = name.decode("ascii", "surrogateescape")
        if not text:
            raise socket.herror(*_NO_RECOVERY)
        if text.strip("0123456789.") == "" and not text.endswith("."):
            # glibc's "digits and dots" shortcut: the name is the address, nothing looked up
            try:
                return text, [], [socket.inet_ntoa(socket.inet_aton(text))]
            except OSError:
                raise socket.herror(*_HOST_NOT_FOUND) from None
        host = state.hosts.get(text.lower())  # it has an IPv4 address: _setipaddr found one
        if host is None:
            raise socket.herror(*_HOST_NOT_FOUND)
        return host.name, [], [a for a in host.addresses if ":" not in a]

    def gethostbyaddr(self, ip_address: str | bytes | bytearray, /) -> HostEntry:
        """``socket.gethostbyaddr``: (name, [], [address]) for the name that has the address (a
        name is resolved to its first address first); ``herror(1, "Unknown host")`` if none."""
        state = self._state
        name = _name_argument("gethostbyaddr", ip_address)
        address = _setipaddr(state, name, socket.AF_UNSPEC)
        owner = state.owners.get(address)
        if owner is None:
            raise socket.herror(*_HOST_NOT_FOUND)
        return owner, [], [address]

    def getfqdn(self, name: str = "") -> str:
        """``socket.getfqdn``: the name this table's ``gethostbyaddr`` gives, else ``name`` (with
        no aliases, CPython's search for a dotted alias ends there); ``""``, ``0.0.0.0`` and
        ``::`` are the local host (the real ``gethostname()``)."""
        name = name.strip()
        if not name or name in ("0.0.0.0", "::"):
            name = socket.gethostname()
        try:
            return self.gethostbyaddr(name)[0]
        except OSError:
            return name

    def getnameinfo(
        self,
        sockaddr: tuple[str, int] | tuple[str, int, int] | tuple[str, int, int, int],
        flags: int,
        /,
    ) -> tuple[str, str]:
        """``socket.getnameinfo``: (host, port) of a numeric sockaddr, as names where known.

        The host is the name that has the address, else the address (``NI_NAMEREQD``: else
        EAI_NONAME); the port is the real ``getnameinfo``'s answer (its /etc/services name for TCP,
        UDP with ``NI_DGRAM``, else the number).
        """
        state = self._state
        wanted = _as_int(flags)
        asked: Any = sockaddr
        scope = 0
        if isinstance(sockaddr, tuple) and 2 <= len(sockaddr) <= 4 and isinstance(sockaddr[0], str):
            # The tuple's scope id overrides the host's %scope; both are kept from the real
            # getnameinfo, which would ask the interfaces about them (rule 3).
            tuple_scope = _as_int(sockaddr[3]) if len(sockaddr) == 4 else 0
            if tuple_scope is not None:
                scope = tuple_scope & 0xFFFFFFFF
                host, _ = _without_scope(sockaddr[0])
                asked = (host, *sockaddr[1:3], 0)[: len(sockaddr)]
        if wanted is None:  # CPython raises its own error
            return _real_getnameinfo(asked, flags)
        numeric = (wanted | socket.NI_NUMERICHOST) & ~int(socket.NI_NAMEREQD)
        address, service = _real_getnameinfo(asked, numeric)
        name = None if wanted & socket.NI_NUMERICHOST else state.owners.get(address)
        if name is None:
            if wanted & socket.NI_NAMEREQD:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            name = f"{address}%{scope}" if scope and ":" in address else address
        return name, service
