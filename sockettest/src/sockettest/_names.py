"""Name resolution for an in-memory network: a host table that answers as Linux's resolver does.

While a ``MemoryNetwork`` is patched in, its :class:`HostTable` stands in for the ``socket``
module's ``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getfqdn``
and ``getnameinfo``. Code under test that resolves ``"localhost"``, an address, or a name the test
registered gets the answer glibc 2.36 gives for an ``/etc/hosts`` entry, in CPython's shape (enum
members, 4-tuple IPv6 sockaddrs, the canonical name on the first entry only), and every failure
is the exception CPython raises there, with the same errno and message::

    table = HostTable()
    table.add_host("db.test", "10.0.0.5", "fd00::5")
    table.getaddrinfo("db.test", 5432, type=socket.SOCK_STREAM)
    # [(AF_INET, SOCK_STREAM, 6, '', ('10.0.0.5', 5432)),
    #  (AF_INET6, SOCK_STREAM, 6, '', ('fd00::5', 5432, 0, 0))]

Rules of this module:

1. What it knows: ``localhost`` (:data:`LOCALHOST_ADDRESSES`); every numeric address, which
   resolves to itself (including the forms glibc accepts: ``127.1``, ``0x7f.0.0.1``,
   ``fe80::1%2``); host ``None`` (:data:`LOOPBACK_ADDRESSES`, or :data:`WILDCARD_ADDRESSES` with
   ``AI_PASSIVE``); and the names registered with :meth:`HostTable.add_host`, compared without
   regard to case, as DNS and ``/etc/hosts`` do. Every other name is unknown:
   ``socket.gaierror(EAI_NONAME, "Name or service not known")``, the error Linux gives for a name
   that neither ``/etc/hosts`` nor DNS knows.
2. What it never does: look a name up for real. No DNS, no ``/etc/hosts``, no NSS, no query of
   the network interfaces, whatever the name. The only real calls are ``socket.gethostname``
   (the local host's name, for ``getfqdn("")``, as CPython's does) and ``socket.getservbyname`` /
   ``socket.getservbyport``, which read ``/etc/services``: that ``"http"`` is port 80 is a fact of
   a local file, not of the network.
3. It knows nothing of sockets: it answers questions about names and addresses; connecting to the
   answers is the network's business.
4. Where Linux's answer depends on the machine (how glibc sorts several addresses, which
   interfaces exist, the local domain), the table gives one fixed answer, documented on
   :class:`HostTable`.
5. Each call answers from one state of the table: :meth:`HostTable.add_host` publishes a new
   state in one assignment, so a lookup racing with it sees the table before or after, never half.
"""

from __future__ import annotations

import ipaddress
import operator
import re
import socket
import threading
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple, SupportsIndex, TypeAlias, cast

__all__ = [
    "LOCALHOST_ADDRESSES",
    "LOOPBACK_ADDRESSES",
    "WILDCARD_ADDRESSES",
    "AddrInfo",
    "HostEntry",
    "HostTable",
]

#: What ``localhost`` resolves to, in this order. IPv4 first: code that tries each address in
#: turn (``socket.create_connection`` does) then reaches a server listening on 127.0.0.1 at once.
#: A stock Debian/Ubuntu ``/etc/hosts`` (``::1 localhost`` too) makes glibc answer ``::1`` first;
#: a hosts file with only ``127.0.0.1 localhost`` answers 127.0.0.1 alone.
LOCALHOST_ADDRESSES: Final = ("127.0.0.1", "::1")
#: What host ``None`` resolves to without ``AI_PASSIVE``: the loopback addresses, in the order
#: glibc gives them (its fixed list, after its RFC 6724 sort with the default /etc/gai.conf).
LOOPBACK_ADDRESSES: Final = ("::1", "127.0.0.1")
#: What host ``None`` resolves to with ``AI_PASSIVE`` (a server's "any address"), in glibc's order.
WILDCARD_ADDRESSES: Final = ("0.0.0.0", "::")

_Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
# The shape typeshed gives socket.getaddrinfo's entries, so a caller's types carry over unchanged.
_AddrInfo4: TypeAlias = tuple[
    Literal[socket.AddressFamily.AF_INET], socket.SocketKind, int, str, tuple[str, int]
]
_AddrInfo6: TypeAlias = tuple[
    Literal[socket.AddressFamily.AF_INET6],
    socket.SocketKind,
    int,
    str,
    tuple[str, int, int, int] | tuple[int, bytes],
]
AddrInfo: TypeAlias = _AddrInfo4 | _AddrInfo6
HostEntry: TypeAlias = tuple[str, list[str], list[str]]

# --- what glibc says, and how ---------------------------------------------------------------------

# gai_strerror() and hstrerror() of glibc, as CPython puts them in gaierror/herror.
_GAI_MESSAGES: Final = {
    socket.EAI_BADFLAGS: "Bad value for ai_flags",
    socket.EAI_NONAME: "Name or service not known",
    socket.EAI_FAMILY: "ai_family not supported",
    socket.EAI_SOCKTYPE: "ai_socktype not supported",
    socket.EAI_SERVICE: "Servname not supported for ai_socktype",
    socket.EAI_ADDRFAMILY: "Address family for hostname not supported",
}
_HOST_NOT_FOUND: Final = 1
_NO_RECOVERY: Final = 3
_HERROR_MESSAGES: Final = {_HOST_NOT_FOUND: "Unknown host", _NO_RECOVERY: "Unknown server error"}

# The flags glibc's getaddrinfo accepts (AI_IDN and friends are not in the socket module: the
# table accepts them and, as CPython has IDNA-encoded a str name already, they change nothing).
_AI_IDN_FLAGS: Final = 0x40 | 0x80 | 0x300
_AI_KNOWN: Final = int(  # an int: ~ of an IntFlag member keeps only the bits the enum defines
    socket.AI_PASSIVE
    | socket.AI_CANONNAME
    | socket.AI_NUMERICHOST
    | socket.AI_V4MAPPED
    | socket.AI_ALL
    | socket.AI_ADDRCONFIG
    | socket.AI_NUMERICSERV
    | _AI_IDN_FLAGS
)
# The flags glibc's getnameinfo accepts: the five the socket module names, NI_IDN (0x20) and its
# two deprecated companions (0xC0).
_NI_KNOWN: Final = (
    socket.NI_NUMERICHOST
    | socket.NI_NUMERICSERV
    | socket.NI_NOFQDN
    | socket.NI_NAMEREQD
    | socket.NI_DGRAM
    | 0x20
    | 0xC0
)

_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1
_LONG_MIN: Final = -(2**63)
_LONG_MAX: Final = 2**63 - 1


@dataclass(frozen=True)
class _TypeProto:
    """One row of glibc's socket type/protocol table (gaih_inet_typeproto in getaddrinfo.c)."""

    socktype: int
    protocol: int
    service_db_name: str  # the protocol column of /etc/services
    in_default: bool  # listed when neither type nor proto is asked for
    any_protocol: bool = False  # matches every proto, and reports the one asked for
    no_service: bool = False  # takes no port: asking for one is EAI_SERVICE


_SOCK_DCCP: Final = 6  # not in the socket module; getaddrinfo still returns it (as a plain int)
_IPPROTO_DCCP: Final = 33
_IPPROTO_UDPLITE: Final = 136
_IPPROTO_SCTP: Final = 132
_TYPEPROTOS: Final = (
    _TypeProto(socket.SOCK_STREAM, socket.IPPROTO_TCP, "tcp", in_default=True),
    _TypeProto(socket.SOCK_DGRAM, socket.IPPROTO_UDP, "udp", in_default=True),
    _TypeProto(_SOCK_DCCP, _IPPROTO_DCCP, "dccp", in_default=False),
    _TypeProto(socket.SOCK_DGRAM, _IPPROTO_UDPLITE, "udplite", in_default=False),
    _TypeProto(socket.SOCK_STREAM, _IPPROTO_SCTP, "sctp", in_default=False),
    _TypeProto(socket.SOCK_SEQPACKET, _IPPROTO_SCTP, "sctp", in_default=False),
    _TypeProto(socket.SOCK_RAW, 0, "raw", in_default=True, any_protocol=True, no_service=True),
)


class _Service(NamedTuple):
    socktype: int
    protocol: int
    port: int


@dataclass(frozen=True)
class _Host:
    name: str  # as registered (IDNA-encoded, case kept): the canonical name lookups report
    addresses: tuple[_Address, ...]


@dataclass(frozen=True)
class _State:
    """One published state of a table; never changed, only replaced."""

    hosts: dict[str, _Host]  # by folded name, in registration order
    owners: dict[_Address, str]  # address -> name of the first host that has it


def _gaierror(code: int) -> socket.gaierror:
    return socket.gaierror(code, _GAI_MESSAGES[code])


def _herror(code: int) -> socket.herror:
    return socket.herror(code, _HERROR_MESSAGES[code])


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _c_int(value: object) -> int:
    """An argument CPython converts to a C int ("i"): same TypeError, same OverflowError."""
    number = operator.index(cast(SupportsIndex, value))  # TypeError: "... as an integer"
    if number > _INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    if number < _INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    return number


def _c_unsigned_mask(value: object) -> int:
    """An argument CPython converts to a C unsigned int without a range check ("I")."""
    return operator.index(cast(SupportsIndex, value)) & 0xFFFFFFFF


def _getaddrinfo_host(host: object) -> bytes | None:
    """The C string CPython's getaddrinfo passes to glibc for ``host``."""
    if host is None:
        return None
    if isinstance(host, str):
        encoded = host.encode("idna")  # UnicodeError as CPython's, e.g. for "a..b"
    elif isinstance(host, bytes):
        encoded = host
    else:
        raise TypeError("getaddrinfo() argument 1 must be string or None")
    return encoded.partition(b"\0")[0]  # C reads up to the first NUL


def _getaddrinfo_port(port: object) -> bytes | None:
    """The C string CPython's getaddrinfo passes to glibc for ``port``."""
    if port is None:
        return None
    if type(port) is int:  # exactly int, as CPython checks: True and IntEnum members are refused
        if not _LONG_MIN <= port <= _LONG_MAX:
            raise OverflowError("Python int too large to convert to C long")
        return str(port).encode("ascii")
    if isinstance(port, str):
        encoded = port.encode("utf-8")
    elif isinstance(port, bytes):
        encoded = port
    else:
        raise OSError("Int or String expected")
    return encoded.partition(b"\0")[0]


def _hostname_argument(function: str, value: object) -> bytes:
    """The name CPython's gethostbyname/_ex and gethostbyaddr pass to the C library ("et")."""
    if isinstance(value, str):
        encoded = value.encode("idna")
    elif isinstance(value, bytes | bytearray):
        encoded = bytes(value)
    else:
        raise TypeError(
            f"{function}() argument 1 must be str, bytes or bytearray, not {_type_name(value)}"
        )
    if b"\0" in encoded:
        raise TypeError(
            f"{function}() argument 1 must be encoded string without null bytes, "
            f"not {type(value).__name__}"
        )
    return encoded


def _text(name: bytes) -> str:
    return name.decode("ascii", "surrogateescape")


def _fold(name: str) -> str:
    """The key of a name: without case (names are ASCII here: IDNA-encoded, or escaped bytes)."""
    return name.lower()


# --- numeric addresses, as glibc reads and writes them ------------------------------------------

_ATON_PART: Final = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_ATON_LAST_PART_MAX: Final = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)  # by number of parts
_DIGITS_AND_DOTS: Final = re.compile(r"[0-9][0-9.]*")
_SCOPE_NUMBER: Final = re.compile(r"[0-9]+")


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address as glibc's getaddrinfo reads one (inet_aton, nothing after it).

    One to four parts, each decimal, octal (``0`` first) or hex (``0x`` first); the last part
    fills the bytes left: ``127.1`` is 127.0.0.1, ``2130706433`` too.
    """
    parts = text.split(".")
    if len(parts) > len(_ATON_LAST_PART_MAX):
        return None
    values = []
    for part in parts:
        if not _ATON_PART.fullmatch(part):
            return None
        if part[:2] in ("0x", "0X"):
            values.append(int(part[2:], 16))
        elif part.startswith("0") and len(part) > 1:
            values.append(int(part[1:], 8))
        else:
            values.append(int(part))
    *leading, last = values
    if any(value > 0xFF for value in leading) or last > _ATON_LAST_PART_MAX[len(leading)]:
        return None
    packed = 0
    for value in leading:
        packed = packed << 8 | value
    return ipaddress.IPv4Address(packed << 8 * (4 - len(leading)) | last)


def _inet_pton4(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in the strict dotted form (inet_pton): four decimal bytes, no 0 first."""
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def _inet_pton6(text: str) -> ipaddress.IPv6Address | None:
    """An IPv6 address as inet_pton reads one (no ``%scope``: callers split it off first)."""
    if "%" in text or not text.isascii():
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _scope_id(text: str) -> int | None:
    """The scope id after ``%``: a number up to 2**32-1.

    glibc first tries ``if_nametoindex`` for a link-local address; there are no interfaces here.
    """
    if _SCOPE_NUMBER.fullmatch(text) and int(text) <= 0xFFFFFFFF:
        return int(text)
    return None


def _format6(address: ipaddress.IPv6Address) -> str:
    """An IPv6 address as glibc's inet_ntop writes it (so CPython's sockaddrs).

    As RFC 5952 (the first longest run of two or more zero groups becomes ``::``), except that
    an IPv4-mapped or IPv4-compatible address ends in dotted IPv4: ``::ffff:127.0.0.1``, where
    :mod:`ipaddress` of Python 3.11 writes ``::ffff:7f00:1``.
    """
    words = [int.from_bytes(address.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_base, best_len = -1, 0
    run_base, run_len = -1, 0
    for i, word in enumerate([*words, 1]):  # a sentinel closes a trailing run
        if word == 0:
            if run_base == -1:
                run_base, run_len = i, 0
            run_len += 1
        elif run_base != -1:
            if run_len > best_len:
                best_base, best_len = run_base, run_len
            run_base = -1
    if best_len < 2:
        best_base = -1
    out = ""
    for i, word in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out += ":"
            continue
        if i != 0:
            out += ":"
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            out += str(ipaddress.IPv4Address(address.packed[12:]))
            break
        out += f"{word:x}"
    if best_base != -1 and best_base + best_len == 8:
        out += ":"
    return out


def _format(address: _Address) -> str:
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return _format6(address)


def _family(address: _Address) -> int:
    return socket.AF_INET if isinstance(address, ipaddress.IPv4Address) else socket.AF_INET6


def _mapped(address: _Address) -> ipaddress.IPv6Address:
    """An address as IPv6: an IPv4 one becomes ``::ffff:a.b.c.d`` (what AI_V4MAPPED gives)."""
    if isinstance(address, ipaddress.IPv6Address):
        return address
    return ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + address.packed)


def _is_numeric(text: str) -> bool:
    """Whether getaddrinfo reads ``text`` as an address (so never looks it up as a name)."""
    return _inet_aton(text) is not None or _inet_pton6(text.partition("%")[0]) is not None


_LOOPBACK: Final = tuple(ipaddress.ip_address(a) for a in LOOPBACK_ADDRESSES)
_WILDCARD: Final = tuple(ipaddress.ip_address(a) for a in WILDCARD_ADDRESSES)
_BROADCAST_NAMES: Final = (b"255.255.255.255", b"<broadcast>")

# --- services ---------------------------------------------------------------------------------


def _service_number(service: bytes) -> int | None:
    """The number glibc reads from a service string, or None if it is a name.

    glibc calls ``strtoul(service, &end, 10)`` and keeps the result in an ``int``: blanks and a
    sign may come first, and the result wraps (70000 is port 4464 later); a negative int means
    "look it up as a name" (so "-1" is EAI_SERVICE).
    """
    match = re.fullmatch(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)", service)
    if match is None:
        return None
    sign, digits = match.groups()
    value = int(digits)
    if value > 2**64 - 1:
        value = 2**64 - 1  # ERANGE: ULONG_MAX, whatever the sign
    elif sign == b"-":
        value = -value % 2**64
    value &= 0xFFFFFFFF
    return value - 2**32 if value > _INT_MAX else value


def _lookup_service(name: bytes, protocol: str) -> int | None:
    """The port of a service name in /etc/services (a local file: the one real lookup)."""
    try:
        return socket.getservbyname(name.decode("utf-8"), protocol)
    except (OSError, UnicodeError):
        return None


def _service_name(port: int, protocol: str) -> str:
    """A port as getnameinfo writes it: its /etc/services name if it has one, else the number."""
    try:
        return socket.getservbyport(port, protocol)
    except OSError:
        return str(port)


def _services(service: bytes | None, socktype: int, protocol: int, flags: int) -> list[_Service]:
    """The (type, proto, port) triples of getaddrinfo's answer, as glibc's gaih_inet builds them."""
    number = None
    if service is not None:
        number = _service_number(service)
        if number is None and flags & socket.AI_NUMERICSERV:
            raise _gaierror(socket.EAI_NONAME)
    chosen: _TypeProto | None = None  # None: neither type nor proto asked for
    if socktype or protocol:
        for row in _TYPEPROTOS:
            if socktype and socktype != row.socktype:
                continue
            if protocol and not row.any_protocol and protocol != row.protocol:
                continue
            chosen = row
            break
        else:
            raise _gaierror(socket.EAI_SOCKTYPE if socktype else socket.EAI_SERVICE)
    port = 0
    if service is not None:
        if chosen is not None and chosen.no_service:
            raise _gaierror(socket.EAI_SERVICE)
        if number is None or number < 0:
            rows = (chosen,) if chosen is not None else _TYPEPROTOS
            found = []
            for row in rows:
                if row.no_service:
                    continue
                looked_up = _lookup_service(service, row.service_db_name)
                if looked_up is not None:
                    reported = protocol if row.any_protocol else row.protocol
                    found.append(_Service(row.socktype, reported, looked_up))
            if not found:
                raise _gaierror(socket.EAI_SERVICE)
            return found
        port = number & 0xFFFF
    if chosen is not None:
        reported = protocol if chosen.any_protocol else chosen.protocol
        return [_Service(chosen.socktype, reported, port)]
    return [_Service(row.socktype, row.protocol, port) for row in _TYPEPROTOS if row.in_default]


def _socket_kind(socktype: int) -> socket.SocketKind:
    """As socket.getaddrinfo converts: the enum member, or the int if there is none (DCCP)."""
    try:
        return socket.SocketKind(socktype)
    except ValueError:
        return cast(socket.SocketKind, socktype)


# --- the resolver -------------------------------------------------------------------------------


def _host_addresses(
    state: _State, name: bytes | None, family: int, flags: int
) -> tuple[list[tuple[_Address, int]], str]:
    """The (address, scope id) pairs a host gives, and its canonical name."""
    if name is None:
        pool = _WILDCARD if flags & socket.AI_PASSIVE else _LOOPBACK
        return [(a, 0) for a in pool if family in (socket.AF_UNSPEC, _family(a))], ""
    text = _text(name)
    ipv4 = _inet_aton(text)
    if ipv4 is not None:
        if family in (socket.AF_UNSPEC, socket.AF_INET):
            return [(ipv4, 0)], text
        if flags & socket.AI_V4MAPPED:
            return [(_mapped(ipv4), 0)], text
        raise _gaierror(socket.EAI_ADDRFAMILY)
    address_text, percent, scope_text = text.partition("%")
    ipv6 = _inet_pton6(address_text)
    if ipv6 is not None:
        address: _Address = ipv6
        if family == socket.AF_INET:
            if ipv6.ipv4_mapped is None:
                raise _gaierror(socket.EAI_ADDRFAMILY)
            address = ipv6.ipv4_mapped
        scope = 0
        if percent:
            found = _scope_id(scope_text)
            if found is None:
                raise _gaierror(socket.EAI_NONAME)
            scope = found
        return [(address, scope)], text
    if flags & socket.AI_NUMERICHOST:
        raise _gaierror(socket.EAI_NONAME)
    host = state.hosts.get(_fold(text))
    if host is None:
        raise _gaierror(socket.EAI_NONAME)
    chosen: list[_Address]
    if family == socket.AF_INET:
        chosen = [a for a in host.addresses if a.version == 4]
    elif family == socket.AF_INET6:
        chosen = [a for a in host.addresses if a.version == 6]
        if flags & socket.AI_V4MAPPED and (flags & socket.AI_ALL or not chosen):
            chosen = [_mapped(a) for a in host.addresses]
    else:
        chosen = list(host.addresses)
    if not chosen:
        raise _gaierror(socket.EAI_NONAME)
    return [(a, 0) for a in chosen], host.name


def _resolve(
    state: _State,
    name: bytes | None,
    service: bytes | None,
    *,
    family: int,
    socktype: int,
    protocol: int,
    flags: int,
) -> tuple[list[tuple[_Address, int]], list[_Service], str]:
    """glibc's getaddrinfo on C strings, checks in its order: addresses, services, canonname."""
    if name == b"*":
        name = None
    if service == b"*":
        service = None
    if name is None and service is None:
        raise _gaierror(socket.EAI_NONAME)
    if flags & ~_AI_KNOWN or (flags & socket.AI_CANONNAME and name is None):
        raise _gaierror(socket.EAI_BADFLAGS)
    if family not in (socket.AF_UNSPEC, socket.AF_INET, socket.AF_INET6):
        raise _gaierror(socket.EAI_FAMILY)
    services = _services(service or None, socktype, protocol, flags)  # "" is no service too
    addresses, canonical = _host_addresses(state, name, family, flags)
    return addresses, services, canonical if flags & socket.AI_CANONNAME else ""


def _setipaddr(state: _State, name: bytes, family: int) -> _Address:
    """One address for a name, as CPython's setipaddr() finds it for gethostby*()."""
    if not name:
        addresses, _, _ = _resolve(
            state,
            None,
            b"0",
            family=family,
            socktype=socket.SOCK_DGRAM,
            protocol=0,
            flags=socket.AI_PASSIVE,
        )
        if len(addresses) > 1:
            raise OSError("wildcard resolved to multiple address")
        return addresses[0][0]
    if name in _BROADCAST_NAMES:
        if family not in (socket.AF_UNSPEC, socket.AF_INET):
            raise OSError("address family mismatched")
        return ipaddress.IPv4Address("255.255.255.255")
    text = _text(name)
    if family in (socket.AF_UNSPEC, socket.AF_INET) and (ipv4 := _inet_pton4(text)):
        return ipv4
    if family in (socket.AF_UNSPEC, socket.AF_INET6) and (ipv6 := _inet_pton6(text)):
        return ipv6
    addresses, _, _ = _resolve(state, name, None, family=family, socktype=0, protocol=0, flags=0)
    return addresses[0][0]


def _addrinfo(address: _Address, scope: int, service: _Service, canonical: str) -> AddrInfo:
    kind = _socket_kind(service.socktype)
    if isinstance(address, ipaddress.IPv4Address):
        inet: _AddrInfo4 = (
            socket.AddressFamily.AF_INET,
            kind,
            service.protocol,
            canonical,
            (str(address), service.port),
        )
        return inet
    sockaddr6 = (_format6(address), service.port, 0, scope)
    return (socket.AddressFamily.AF_INET6, kind, service.protocol, canonical, sockaddr6)


def _sockaddr_fields(sockaddr: object) -> tuple[bytes, int, int, int, int]:
    """CPython's checks of getnameinfo's sockaddr, in its order.

    Returns (host as a C string, port, flowinfo, scope id, length of the tuple).
    """
    if not isinstance(sockaddr, tuple):
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    if not 2 <= len(sockaddr) <= 4 or not isinstance(sockaddr[0], str):
        raise TypeError("getnameinfo(): illegal sockaddr argument")
    host: str = sockaddr[0]
    if "\0" in host:
        raise ValueError("embedded null character")
    encoded = host.encode("utf-8")
    port = _c_int(sockaddr[1])
    flowinfo = _c_unsigned_mask(sockaddr[2]) if len(sockaddr) > 2 else 0
    scope_id = _c_unsigned_mask(sockaddr[3]) if len(sockaddr) > 3 else 0
    if flowinfo > 0xFFFFF:
        raise OverflowError("getnameinfo(): flowinfo must be 0-1048575.")
    return encoded, port, flowinfo, scope_id, len(sockaddr)


# --- registration -------------------------------------------------------------------------------


def _registered_name(name: object) -> str:
    """A name :meth:`HostTable.add_host` accepts, IDNA-encoded as lookups will encode it."""
    if not isinstance(name, str):
        raise TypeError(f"a host name is a str, not {_type_name(name)}")
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
    if _is_numeric(encoded):
        raise ValueError(
            f"{name!r} is an address, not a name: every address already resolves to itself"
        )
    return encoded


def _registered_address(text: object) -> _Address:
    """An address :meth:`HostTable.add_host` accepts: one IPv4 or IPv6 literal, no scope."""
    if not isinstance(text, str):
        raise TypeError(f"an address is a str such as '10.0.0.1', not {_type_name(text)}")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address literal (such as '10.0.0.1' or 'fd00::1')"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise ValueError(f"{text!r}: an address with a scope id ('%...') cannot be registered")
    return address


class HostTable:
    """The names one in-memory network knows, answered as Linux's resolver answers them.

    The methods take the arguments of the ``socket`` functions they are named after and give
    the same return values and exceptions as CPython on Linux (glibc 2.36) does for a host in
    ``/etc/hosts``. From the start the table knows ``localhost`` and every numeric address;
    :meth:`add_host` teaches it more names.

    ``localhost`` is 127.0.0.1, then ::1 (:data:`LOCALHOST_ADDRESSES`): code that tries each
    address in turn, as ``socket.create_connection`` does, reaches an IPv4 listener at once.
    (A real ``localhost`` depends on ``/etc/hosts``: with only ``127.0.0.1 localhost`` it is
    127.0.0.1 alone; with ``::1 localhost`` too, glibc sorts ::1 first.) Host ``None`` is
    ::1 then 127.0.0.1, or 0.0.0.0 then :: with ``AI_PASSIVE``, as glibc gives them.

    Where the table does not do what Linux does, and why:

    - Several addresses come in the order they were registered; glibc sorts them (RFC 6724),
      with an order that depends on the machine's routes.
    - ``AI_ADDRCONFIG`` changes nothing: both families count as configured.
    - A scope id is a number (``fe80::1%2``): an interface name (``fe80::1%eth0``) is unknown
      (EAI_NONAME), and ``getnameinfo`` writes scope ids as numbers, as there are no interfaces.
    - ``NI_NOFQDN`` changes nothing (there is no local domain); names have no aliases, so the
      alias lists of ``gethostbyname_ex`` and ``gethostbyaddr`` are always empty.
    - A name with no IPv4 address is EAI_NONAME to an IPv4 lookup (``gethostbyname``), as DNS
      gives; glibc's ``/etc/hosts`` reader answers 127.0.0.1 for a name whose only entry is ::1.
    - ``::1`` belongs to ``localhost`` (``gethostbyaddr("::1")`` is ``localhost``, as with a stock
      hosts file); a hosts file without ``::1`` makes it ``herror(1, "Unknown host")``.
    - No ``sys.audit`` events: an audit hook that watches for network access sees none.
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
            hosts = {**self._state.hosts, _fold(spelling): _Host(spelling, parsed)}
            owners: dict[_Address, str] = {}
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

        With ``type`` and ``proto`` 0, each address gives three entries (SOCK_STREAM/6,
        SOCK_DGRAM/17, SOCK_RAW/0), as glibc's; ``port`` may be a number, a numeric string or an
        /etc/services name. The canonical name (``AI_CANONNAME``) is on the first entry only.
        """
        family, type, proto, flags = (_c_int(v) for v in (family, type, proto, flags))
        name = _getaddrinfo_host(host)
        service = _getaddrinfo_port(port)
        addresses, services, canonical = _resolve(
            self._state, name, service, family=family, socktype=type, protocol=proto, flags=flags
        )
        entries: list[AddrInfo] = []
        for address, scope in addresses:
            for each in services:
                entries.append(_addrinfo(address, scope, each, "" if entries else canonical))
        return entries

    def gethostbyname(self, hostname: str | bytes | bytearray, /) -> str:
        """``socket.gethostbyname``: one IPv4 address, the first the name has.

        A name with only IPv6 addresses is EAI_NONAME; an IPv6 literal is EAI_ADDRFAMILY;
        ``""`` is 0.0.0.0 and ``"<broadcast>"`` 255.255.255.255, as in CPython.
        """
        name = _hostname_argument("gethostbyname", hostname)
        return _format(_setipaddr(self._state, name, socket.AF_INET))

    def gethostbyname_ex(self, hostname: str | bytes | bytearray, /) -> HostEntry:
        """``socket.gethostbyname_ex``: (canonical name, aliases, all IPv4 addresses).

        A numeric address is its own name, written as given (``("127.1", [], ["127.0.0.1"])``).
        """
        state = self._state
        name = _hostname_argument("gethostbyname_ex", hostname)
        _setipaddr(state, name, socket.AF_INET)  # CPython's first step: its errors come first
        text = _text(name)
        if not text:
            raise _herror(_NO_RECOVERY)
        if _DIGITS_AND_DOTS.fullmatch(text) and not text.endswith("."):
            # glibc's "digits and dots" shortcut: the name is the address, nothing looked up
            address = _inet_aton(text)
            if address is None:
                raise _herror(_HOST_NOT_FOUND)
            return text, [], [str(address)]
        host = state.hosts.get(_fold(text))
        ipv4 = [] if host is None else [_format(a) for a in host.addresses if a.version == 4]
        if host is None or not ipv4:
            raise _herror(_HOST_NOT_FOUND)
        return host.name, [], ipv4

    def gethostbyaddr(self, ip_address: str | bytes | bytearray, /) -> HostEntry:
        """``socket.gethostbyaddr``: the name that has an address, as (name, aliases, [address]).

        A name is first resolved to its first address. An address no name has is
        ``herror(1, "Unknown host")``.
        """
        state = self._state
        name = _hostname_argument("gethostbyaddr", ip_address)
        address = _setipaddr(state, name, socket.AF_UNSPEC)
        owner = state.owners.get(address)
        if owner is None:
            raise _herror(_HOST_NOT_FOUND)
        return owner, [], [_format(address)]

    def getfqdn(self, name: str = "") -> str:
        """``socket.getfqdn``: CPython's algorithm, line for line, on this table's gethostbyaddr.

        An empty name, ``0.0.0.0`` or ``::`` means the local host (the real ``gethostname()``);
        the answer is the first of the name and its aliases that has a dot, else the name
        ``gethostbyaddr`` gives, else (unknown) ``name`` itself.
        """
        name = name.strip()
        if not name or name in ("0.0.0.0", "::"):
            name = socket.gethostname()
        try:
            hostname, aliases, _ = self.gethostbyaddr(name)
        except OSError:
            pass
        else:
            aliases.insert(0, hostname)
            for name in aliases:  # as in CPython, the loop rebinds name
                if "." in name:
                    break
            else:
                name = hostname
        return name

    def getnameinfo(
        self,
        sockaddr: tuple[str, int] | tuple[str, int, int] | tuple[str, int, int, int],
        flags: int,
        /,
    ) -> tuple[str, str]:
        """``socket.getnameinfo``: (host, port) of a numeric sockaddr, as names where known.

        The host is the name that has the address, else the address (``NI_NAMEREQD``: else
        EAI_NONAME); the port is its /etc/services name for TCP (UDP with ``NI_DGRAM``), else
        the number. ``NI_NUMERICHOST``/``NI_NUMERICSERV`` skip the lookups.
        """
        flags = _c_int(flags)
        host, port, _, scope_id, length = _sockaddr_fields(sockaddr)
        state = self._state
        addresses, services, _ = _resolve(
            state,
            host,
            str(port).encode("ascii"),
            family=socket.AF_UNSPEC,
            socktype=socket.SOCK_DGRAM,
            protocol=0,
            flags=socket.AI_NUMERICHOST,  # a sockaddr holds an address: CPython resolves no name
        )
        if len(addresses) * len(services) > 1:
            raise OSError("sockaddr resolved to multiple addresses")
        address = addresses[0][0]
        number = services[0].port
        if isinstance(address, ipaddress.IPv4Address) and length != 2:
            raise OSError("IPv4 sockaddr must be 2 tuple")
        if flags & ~_NI_KNOWN:
            raise _gaierror(socket.EAI_BADFLAGS)
        name = None if flags & socket.NI_NUMERICHOST else state.owners.get(address)
        if name is None:
            if flags & socket.NI_NAMEREQD:
                raise _gaierror(socket.EAI_NONAME)
            name = _format(address)
            if isinstance(address, ipaddress.IPv6Address) and scope_id:
                name += f"%{scope_id}"
        if flags & socket.NI_NUMERICSERV:
            return name, str(number)
        return name, _service_name(number, "udp" if flags & socket.NI_DGRAM else "tcp")
