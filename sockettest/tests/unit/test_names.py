"""A HostTable gives the real resolver's answer for an address, and its own for a name.

The oracle is the real ``getaddrinfo``/``getnameinfo`` in numeric-only mode (``AI_NUMERICHOST``,
``NI_NUMERICHOST``), captured at import as the kit captures it: it looks no host up and opens no
network socket, so it runs in the unit tier, past pytest-socket's guard. Where a literal is
expected, it is the table's own rule (a name, its order, its owner) or CPython's documented
answer; "verified" means the real function gave exactly that on Debian 12 (glibc 2.36).
"""

import functools
import ipaddress
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockettest import MemoryNetwork, _names, serve_in_thread
from sockettest._names import LOCALHOST_ADDRESSES, LOOPBACK_ADDRESSES, WILDCARD_ADDRESSES, HostTable
from sockettest._originals import SOCKET

AF_INET = socket.AddressFamily.AF_INET
AF_INET6 = socket.AddressFamily.AF_INET6
STREAM = socket.SocketKind.SOCK_STREAM
DGRAM = socket.SocketKind.SOCK_DGRAM
RAW = socket.SocketKind.SOCK_RAW
NUMERICHOST = int(socket.AI_NUMERICHOST)
NI_NUMERICHOST = socket.NI_NUMERICHOST

NONAME = (socket.EAI_NONAME, "Name or service not known")
SERVICE = (socket.EAI_SERVICE, "Servname not supported for ai_socktype")
BADFLAGS = (socket.EAI_BADFLAGS, "Bad value for ai_flags")
UNKNOWN_HOST = (1, "Unknown host")

REAL_GETADDRINFO: Callable[..., list[Any]] = SOCKET["getaddrinfo"]
REAL_GETNAMEINFO: Callable[..., tuple[str, str]] = SOCKET["getnameinfo"]


def real(host: object, port: object, family: int = 0, *rest: int) -> list[Any]:
    """The real getaddrinfo, in numeric-only mode (``rest``: type, proto, flags)."""
    socktype, proto, flags = (*rest, 0, 0, 0)[:3]
    return REAL_GETADDRINFO(host, port, family, socktype, proto, flags | NUMERICHOST)


def outcome(call: Callable[[], object]) -> tuple[object, object]:
    """("ok", the value) or (the exception's type, its args): what a call gave, to compare."""
    try:
        return "ok", call()
    except Exception as error:  # any exception is an answer to compare
        return type(error), error.args


@pytest.fixture
def table() -> HostTable:
    """A fresh table: it knows localhost and the numeric addresses."""
    return HostTable()


def gai_error(excinfo: pytest.ExceptionInfo[socket.gaierror]) -> tuple[int, str]:
    """The (errno, message) of a gaierror."""
    error = excinfo.value
    assert error.errno is not None
    assert error.strerror is not None
    return error.errno, error.strerror


# --- addresses: the real resolver's answers ---------------------------------------------------

NUMERIC_HOSTS = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.text(alphabet="0123456789abcdefxX.:", max_size=24),
    st.sampled_from(
        ["127.1", "0x7f.1", "2130706433", "017700000001", "::ffff:1.2.3.4", " 1.2.3.4"]
    ),
)
PORTS = st.one_of(
    st.none(),
    st.integers(-2, 70000),
    st.sampled_from(["", "*", "80", "+80", "080", "-1", "http", "domain", "ntp", "nosuchservice"]),
    st.sampled_from([b"80", b"80\0junk", 1.5, True, 2**63, bytearray(b"80")]),
)
FLAGS = st.sets(
    st.sampled_from(
        [
            socket.AI_PASSIVE,
            socket.AI_CANONNAME,
            socket.AI_NUMERICHOST,
            socket.AI_V4MAPPED,
            socket.AI_ALL,
            socket.AI_NUMERICSERV,
            0x800,
        ]
    )
).map(lambda flags: sum(int(flag) for flag in flags))


@given(
    host=st.one_of(NUMERIC_HOSTS, NUMERIC_HOSTS.map(lambda text: text.encode("ascii"))),
    port=PORTS,
    family=st.sampled_from([0, socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, "0", 2**31]),
    socktype=st.sampled_from([0, 1, 2, 3, 5, 6, 99]),
    proto=st.sampled_from([0, 6, 17, 132, 136, 255]),
    flags=st.one_of(FLAGS, st.sampled_from([-1, 2**31, "0"])),
)
def test_an_address_gets_the_real_resolvers_answer(  # noqa: PLR0917 (hypothesis arguments)
    host: str | bytes, port: Any, family: Any, socktype: int, proto: int, flags: Any
) -> None:
    """Any host with no %scope gets exactly the real numeric-only getaddrinfo's answer or error."""
    table = HostTable()
    numeric = flags | NUMERICHOST if isinstance(flags, int) else flags
    expected = outcome(
        functools.partial(REAL_GETADDRINFO, host, port, family, socktype, proto, numeric)
    )
    answer = outcome(
        functools.partial(table.getaddrinfo, host, port, family, socktype, proto, flags)
    )
    assert answer == expected


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("1.2.3", "1.2.0.3"),
        ("010.0.0.1", "8.0.0.1"),
        ("0", "0.0.0.0"),
    ],
)
def test_old_ipv4_forms_are_addresses(table: HostTable, host: str, address: str) -> None:
    """An IPv4 address in inet_aton's forms (short, octal, hex parts) is that address."""
    entries = table.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
    assert entries == [(AF_INET, STREAM, 6, "", (address, 80))]  # each verified


@given(address=st.ip_addresses(), port=st.integers(0, 65535))
def test_every_address_resolves_to_itself(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    """Every IPv4/IPv6 literal gives itself, in its family, in a sockaddr of that family's shape."""
    family = AF_INET if address.version == 4 else AF_INET6
    written = socket.inet_ntop(family, address.packed)
    entries = HostTable().getaddrinfo(str(address), port)
    assert [entry[:3] for entry in entries] == [
        (family, STREAM, 6),
        (family, DGRAM, 17),
        (family, RAW, 0),
    ]
    expected = (written, port) if address.version == 4 else (written, port, 0, 0)
    assert {entry[4] for entry in entries} == {expected}


@pytest.mark.parametrize(
    ("host", "port", "family", "flags"),
    [
        (1, 80, 0, 0),
        ("a..b", 80, 0, 0),  # the IDNA codec's error: its message differs between Python versions
        (bytearray(b"127.0.0.1"), 80, 0, 0),
        ("127.0.0.1", 1.5, 0, 0),
        ("127.0.0.1", True, 0, 0),
        ("127.0.0.1", bytearray(b"80"), 0, 0),
        ("127.0.0.1", 2**63, 0, 0),  # 3.11 refuses it (OverflowError); 3.12 passes str(port) on
        ("127.0.0.1", -(2**63) - 1, 0, 0),
        ("127.0.0.1", 80, "0", 0),
        ("127.0.0.1", 80, 2**31, 0),
        ("127.0.0.1", 80, 0, "0"),
        ("127.0.0.1", 80, 0, 2**31),
    ],
)
def test_arguments_are_read_as_cpython_reads_them(
    table: HostTable, host: Any, port: Any, family: Any, flags: Any
) -> None:
    """Arguments of a wrong type or range give what CPython gives, error and message included."""
    numeric = flags | NUMERICHOST if isinstance(flags, int) else flags
    expected = outcome(functools.partial(REAL_GETADDRINFO, host, port, family, 0, 0, numeric))
    assert (
        outcome(functools.partial(table.getaddrinfo, host, port, family, 0, 0, flags)) == expected
    )


def test_addrconfig_changes_nothing(table: HostTable) -> None:
    """AI_ADDRCONFIG (which would make glibc ask the interfaces) gives the answer without it."""
    for host in ("localhost", "::1", "127.0.0.1", None):
        assert table.getaddrinfo(host, 80, flags=socket.AI_ADDRCONFIG) == table.getaddrinfo(
            host, 80
        )


# --- host None, localhost -------------------------------------------------------------------------


def test_localhost_is_ipv4_then_ipv6(table: HostTable) -> None:
    """localhost gives 127.0.0.1 first, then ::1 (the table's documented choice)."""
    assert LOCALHOST_ADDRESSES == ("127.0.0.1", "::1")
    assert table.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80)),
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0)),
    ]


def test_host_none_is_loopback_ipv6_first(table: HostTable) -> None:
    """Host None without AI_PASSIVE gives the loopback addresses, ::1 first, whatever the routes."""
    assert LOOPBACK_ADDRESSES == ("::1", "127.0.0.1")
    assert table.getaddrinfo(None, 80, type=socket.SOCK_STREAM) == [
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0)),
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80)),
    ]


def test_host_none_passive_is_the_wildcard_ipv4_first(table: HostTable) -> None:
    """Host None with AI_PASSIVE gives 0.0.0.0 then ::, what a server binds to."""
    assert WILDCARD_ADDRESSES == ("0.0.0.0", "::")
    assert table.getaddrinfo(None, 80, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE) == [
        (AF_INET, STREAM, 6, "", ("0.0.0.0", 80)),
        (AF_INET6, STREAM, 6, "", ("::", 80, 0, 0)),
    ]


@pytest.mark.parametrize("flags", [0, socket.AI_PASSIVE])
@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_host_none_in_one_family_is_the_real_answer(
    table: HostTable, family: int, flags: int
) -> None:
    """Host None asked in one family gives the real resolver's one address, "*" the same."""
    assert table.getaddrinfo(None, 80, family, 0, 0, flags) == real(None, 80, family, 0, 0, flags)
    assert table.getaddrinfo("*", 80, family, 0, 0, flags) == real(None, 80, family, 0, 0, flags)


def test_star_host_means_none(table: HostTable) -> None:
    """Host "*" is host None, as glibc reads it."""
    assert table.getaddrinfo("*", 80) == table.getaddrinfo(None, 80)  # verified
    assert len(table.getaddrinfo(None, 80)) == 6


@pytest.mark.parametrize(
    ("host", "port", "flags", "error"),
    [
        (None, None, 0, NONAME),
        ("*", "*", 0, NONAME),
        (None, 80, socket.AI_CANONNAME, BADFLAGS),
        (None, "nosuchservice", 0, SERVICE),
    ],
)
def test_host_none_errors(
    table: HostTable, host: str | None, port: str | int | None, flags: int, error: tuple[int, str]
) -> None:
    """No host and no port is EAI_NONAME, AI_CANONNAME without a host EAI_BADFLAGS (verified)."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo(host, port, flags=flags)
    assert gai_error(excinfo) == error


# --- names: the table ---------------------------------------------------------------------------

DB = ("10.0.0.5", "fd00::5", "10.0.0.6")
V4MAPPED = int(socket.AI_V4MAPPED)
ALL = int(socket.AI_ALL)


@pytest.mark.parametrize(
    ("family", "flags", "asked"),
    [
        (0, 0, [(0, "10.0.0.5"), (0, "fd00::5"), (0, "10.0.0.6")]),
        (socket.AF_INET, 0, [(AF_INET, "10.0.0.5"), (AF_INET, "10.0.0.6")]),
        (socket.AF_INET6, 0, [(AF_INET6, "fd00::5")]),
        (socket.AF_INET6, V4MAPPED, [(AF_INET6, "fd00::5")]),
        (
            socket.AF_INET6,
            V4MAPPED | ALL,
            [(AF_INET6, "10.0.0.5"), (AF_INET6, "fd00::5"), (AF_INET6, "10.0.0.6")],
        ),
    ],
)
def test_a_name_gives_what_its_addresses_give(
    table: HostTable, family: int, flags: int, asked: list[tuple[int, str]]
) -> None:
    """A registered name gives, address by address in registration order, the real answers."""
    table.add_host("db.test", *DB)
    expected = [entry for f, address in asked for entry in real(address, 5432, f, 0, 0, flags)]
    assert table.getaddrinfo("db.test", 5432, family, 0, 0, flags) == expected


def test_v4mapped_maps_a_name_without_ipv6(table: HostTable) -> None:
    """AF_INET6 with AI_V4MAPPED gives an IPv4-only name's addresses as ::ffff:a.b.c.d."""
    table.add_host("v4.test", "10.0.0.1")
    entries = table.getaddrinfo("v4.test", 80, socket.AF_INET6, socket.SOCK_STREAM, 0, V4MAPPED)
    assert entries == [(AF_INET6, STREAM, 6, "", ("::ffff:10.0.0.1", 80, 0, 0))]
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("v4.test", 80, socket.AF_INET6)
    assert gai_error(excinfo) == NONAME


def test_a_name_without_ipv4_is_unknown_to_ipv4_lookups(table: HostTable) -> None:
    """A name with only IPv6 addresses is EAI_NONAME to AF_INET lookups and gethostbyname."""
    table.add_host("v6.test", "fd00::2")
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("v6.test", 80, socket.AF_INET)
    assert gai_error(excinfo) == NONAME
    with pytest.raises(socket.gaierror) as excinfo:
        table.gethostbyname("v6.test")
    assert gai_error(excinfo) == NONAME


def test_canonname_is_the_registered_spelling_on_the_first_entry_only(table: HostTable) -> None:
    """AI_CANONNAME puts the name as registered on the first entry; the others have ''."""
    table.add_host("Db.Test", "10.0.0.5", "fd00::5")
    entries = table.getaddrinfo("DB.TEST", 1, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    assert entries == [
        (AF_INET, STREAM, 6, "Db.Test", ("10.0.0.5", 1)),
        (AF_INET6, STREAM, 6, "", ("fd00::5", 1, 0, 0)),
    ]
    assert table.gethostbyname_ex("db.test") == ("Db.Test", [], ["10.0.0.5"])


def test_canonname_of_an_address_is_the_address_as_written(table: HostTable) -> None:
    """The canonical name of a numeric host is the host string as given, its %scope too."""
    entries = table.getaddrinfo("127.1", 80, type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME)
    assert entries == [(AF_INET, STREAM, 6, "127.1", ("127.0.0.1", 80))]  # verified
    entries = table.getaddrinfo("fe80::1%3", 80, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    assert entries == [(AF_INET6, STREAM, 6, "fe80::1%3", ("fe80::1", 80, 0, 3))]  # verified


def test_international_names_are_idna_encoded(table: HostTable) -> None:
    """A non-ASCII name is registered and looked up in its IDNA form, as CPython encodes it."""
    table.add_host("bücher.test", "10.0.0.8")
    entries = table.getaddrinfo("BÜCHER.test", 80, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    assert entries == [(AF_INET, STREAM, 6, "xn--bcher-kva.test", ("10.0.0.8", 80))]
    assert table.getaddrinfo(b"xn--bcher-kva.test\0junk", 80, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("10.0.0.8", 80))  # C stops at the NUL
    ]


def test_readding_a_name_replaces_its_addresses(table: HostTable) -> None:
    """add_host on a known name replaces its addresses, localhost's too."""
    table.add_host("db.test", "10.0.0.5")
    table.add_host("db.test", "10.0.0.7")
    assert table.gethostbyname("db.test") == "10.0.0.7"
    table.add_host("localhost", "127.0.0.2")
    assert table.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.2", 80))
    ]


@pytest.mark.parametrize(
    ("host", "flags"),
    [
        ("no-such-host.invalid", 0),
        ("localhost.", 0),
        ("", 0),
        ("localhost", socket.AI_NUMERICHOST),
        ("local\0host", 0),  # C stops at the NUL: "local"
        ("fe80::1%eth0", 0),  # glibc would ask the interfaces; here a scope is a number
        ("fe80::1%lo", 0),
        ("::1%4294967296", 0),
        ("127.0.0.1%1", 0),
    ],
)
def test_unknown_names_are_eai_noname(table: HostTable, host: str, flags: int) -> None:
    """A name the table does not know is EAI_NONAME, with the real errno and message."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo(host, 80, 0, 0, 0, flags)
    assert excinfo.value.args == NONAME
    assert str(excinfo.value) == "[Errno -2] Name or service not known"


def test_service_error_comes_before_the_host_error(table: HostTable) -> None:
    """An unknown service with an unknown name, or a name with no address of the family, is
    EAI_SERVICE, as glibc checks the service first (verified)."""
    table.add_host("v6.test", "fd00::2")
    for host, family in [
        ("no-such-host.invalid", 0),
        ("fe80::1%eth0", 0),
        ("v6.test", socket.AF_INET),
    ]:
        with pytest.raises(socket.gaierror) as excinfo:
            table.getaddrinfo(host, "nosuchservice", family)
        assert gai_error(excinfo) == SERVICE


@pytest.mark.parametrize(("scope", "expected"), [("1", 1), ("0", 0), ("4294967295", 4294967295)])
def test_a_numeric_scope_goes_into_the_sockaddr(
    table: HostTable, scope: str, expected: int
) -> None:
    """A numeric %scope is the sockaddr's scope id; the rest is the real answer for the address."""
    entries = table.getaddrinfo(f"fe80::1%{scope}", 80, socket.AF_INET6)
    assert entries == [
        (*e[:4], (*e[4][:3], expected)) for e in real("fe80::1", 80, socket.AF_INET6)
    ]
    entries = table.getaddrinfo(f"::ffff:1.2.3.4%{scope}", 80, socket.AF_INET)
    assert entries == real("1.2.3.4", 80, socket.AF_INET)  # an IPv4 sockaddr has no scope


# --- the real resolver is asked only numbers ---------------------------------------------------


@pytest.fixture
def real_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Every call the table makes to the real getaddrinfo and getnameinfo, with its arguments."""
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def getaddrinfo(*args: Any) -> Any:
        calls.append(("getaddrinfo", args))
        return REAL_GETADDRINFO(*args)

    def getnameinfo(*args: Any) -> Any:
        calls.append(("getnameinfo", args))
        return REAL_GETNAMEINFO(*args)

    monkeypatch.setattr(_names, "_real_getaddrinfo", getaddrinfo)
    monkeypatch.setattr(_names, "_real_getnameinfo", getnameinfo)
    return calls


def test_the_real_resolver_is_asked_only_numbers(
    table: HostTable, real_calls: list[tuple[str, tuple[Any, ...]]]
) -> None:
    """Every real call is numeric-only, no AI_ADDRCONFIG, host None in one family, no %scope."""
    table.add_host("db.test", "10.0.0.5", "fd00::5")
    hosts = ("db.test", "localhost", "no-such-host.invalid", "127.0.0.1", "fe80::1%2", None, "*")
    for host in hosts:
        for flags in (0, socket.AI_ADDRCONFIG, socket.AI_PASSIVE | socket.AI_CANONNAME):
            outcome(functools.partial(table.getaddrinfo, host, 80, 0, 0, 0, flags))
    for name in ("db.test", "127.0.0.1", "", "no-such-host.invalid"):
        for function in (table.gethostbyname, table.gethostbyaddr, table.getfqdn):
            outcome(functools.partial(function, name))
    sockaddrs: list[Any] = [
        ("10.0.0.5", 80),
        ("fe80::1", 80, 0, 2),
        ("fe80::1%2", 80),
        ("fe80::1%eth0", 80),
    ]
    for sockaddr in sockaddrs:
        for flags in (0, socket.NI_NAMEREQD):
            outcome(functools.partial(table.getnameinfo, sockaddr, flags))
    assert {name for name, _ in real_calls} == {"getaddrinfo", "getnameinfo"}
    for name, args in real_calls:
        if name == "getaddrinfo":
            host, _, family, _, _, flags = args
            assert flags & socket.AI_NUMERICHOST, args
            assert not flags & socket.AI_ADDRCONFIG, args
            assert host is not None or family != socket.AF_UNSPEC, (
                args
            )  # glibc would sort by routes
        else:
            sockaddr, flags = args
            host = sockaddr[0]
            assert flags & socket.NI_NUMERICHOST, args
            assert not flags & socket.NI_NAMEREQD, args
            assert len(sockaddr) < 4 or sockaddr[3] == 0, args  # glibc would name the interface
        assert "%" not in str(host), args


# --- gethostbyname, gethostbyname_ex ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("localhost", "127.0.0.1"),
        ("LocalHost", "127.0.0.1"),
        (b"localhost", "127.0.0.1"),
        (bytearray(b"localhost"), "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("01.2.3.4", "1.2.3.4"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("", "0.0.0.0"),
        ("<broadcast>", "255.255.255.255"),
        ("255.255.255.255", "255.255.255.255"),
    ],
)
def test_gethostbyname(table: HostTable, name: str | bytes, address: str) -> None:
    """gethostbyname gives the first IPv4 address, CPython's special names included."""
    assert table.gethostbyname(name) == address  # each verified


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("::1", (socket.EAI_ADDRFAMILY, "Address family for hostname not supported")),
        ("fe80::1%1", (socket.EAI_ADDRFAMILY, "Address family for hostname not supported")),
        ("no-such-host.invalid", NONAME),
        ("1.2.3.4 ", NONAME),
    ],
)
def test_gethostbyname_errors(table: HostTable, name: str, error: tuple[int, str]) -> None:
    """An IPv6 literal is EAI_ADDRFAMILY to gethostbyname; an unknown name EAI_NONAME."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.gethostbyname(name)
    assert gai_error(excinfo) == error  # each verified


@pytest.mark.parametrize("function", ["gethostbyname", "gethostbyname_ex", "gethostbyaddr"])
@pytest.mark.parametrize("value", [None, 5, "local\0host", bytearray(b"a\0"), "a..b"])
def test_gethostby_argument_errors_are_cpythons(
    table: HostTable, function: str, value: object
) -> None:
    """gethostbyname/_ex and gethostbyaddr refuse what CPython refuses, with its exception."""
    expected = outcome(functools.partial(SOCKET[function], value))  # refused before any lookup
    assert expected[0] in (TypeError, UnicodeError, UnicodeEncodeError)
    assert outcome(functools.partial(getattr(table, function), value)) == expected


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("localhost", ("localhost", [], ["127.0.0.1"])),
        ("LocalHost", ("localhost", [], ["127.0.0.1"])),
        ("127.0.0.1", ("127.0.0.1", [], ["127.0.0.1"])),
        ("127.1", ("127.1", [], ["127.0.0.1"])),
        ("2130706433", ("2130706433", [], ["127.0.0.1"])),
        ("255.255.255.255", ("255.255.255.255", [], ["255.255.255.255"])),
    ],
)
def test_gethostbyname_ex(
    table: HostTable, name: str, entry: tuple[str, list[str], list[str]]
) -> None:
    """gethostbyname_ex gives (canonical name, [], IPv4 addresses); an address is its own name."""
    assert table.gethostbyname_ex(name) == entry  # each verified


def test_gethostbyname_ex_lists_every_ipv4_address(table: HostTable) -> None:
    """gethostbyname_ex lists all of a name's IPv4 addresses, in order, and no IPv6 one."""
    table.add_host("multi.test", "10.0.0.1", "fd00::3", "10.0.0.2")
    assert table.gethostbyname_ex("multi.test") == ("multi.test", [], ["10.0.0.1", "10.0.0.2"])


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", socket.herror(3, "Unknown server error")),
        ("0x7f.1", socket.herror(*UNKNOWN_HOST)),
        ("<broadcast>", socket.herror(*UNKNOWN_HOST)),
        ("::ffff:127.0.0.1", socket.herror(*UNKNOWN_HOST)),
        (
            "::1",
            socket.gaierror(socket.EAI_ADDRFAMILY, "Address family for hostname not supported"),
        ),
        ("no-such-host.invalid", socket.gaierror(*NONAME)),
    ],
)
def test_gethostbyname_ex_errors(table: HostTable, name: str, error: OSError) -> None:
    """gethostbyname_ex fails as CPython's: gaierror from its first step, herror from its second."""
    with pytest.raises(type(error)) as excinfo:
        table.gethostbyname_ex(name)
    assert excinfo.value.args == error.args  # each verified


def test_digits_and_dots_are_an_address_unless_they_end_in_a_dot(table: HostTable) -> None:
    """gethostbyname_ex reads digits and dots as an address, or fails; with a dot last, a name."""
    table.add_host("1.2.3.4.5", "10.0.0.2")
    with pytest.raises(socket.herror) as excinfo:
        table.gethostbyname_ex("1.2.3.4.5")  # glibc's shortcut: inet_aton, no lookup
    assert excinfo.value.args == UNKNOWN_HOST
    table.add_host("1.2.3.4.", "10.0.0.1")
    assert table.gethostbyname_ex("1.2.3.4.") == ("1.2.3.4.", [], ["10.0.0.1"])


# --- gethostbyaddr, getfqdn ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        ("127.0.0.1", ("localhost", [], ["127.0.0.1"])),
        ("localhost", ("localhost", [], ["127.0.0.1"])),
        ("127.1", ("localhost", [], ["127.0.0.1"])),
        ("::1", ("localhost", [], ["::1"])),  # as with a stock /etc/hosts
        ("0:0::1", ("localhost", [], ["::1"])),
    ],
)
def test_gethostbyaddr(
    table: HostTable, address: str, entry: tuple[str, list[str], list[str]]
) -> None:
    """gethostbyaddr gives the name that has the address (a name is resolved first)."""
    assert table.gethostbyaddr(address) == entry  # the IPv4 ones verified


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("0.0.0.0", socket.herror(*UNKNOWN_HOST)),
        ("1.2.3", socket.herror(*UNKNOWN_HOST)),
        ("::ffff:127.0.0.1", socket.herror(*UNKNOWN_HOST)),
        ("no-such-host.invalid", socket.gaierror(*NONAME)),
        ("", OSError("wildcard resolved to multiple address")),
    ],
)
def test_gethostbyaddr_errors(table: HostTable, address: str, error: OSError) -> None:
    """An address no name has is herror(1, 'Unknown host'); an unknown name is a gaierror."""
    with pytest.raises(type(error)) as excinfo:
        table.gethostbyaddr(address)
    assert excinfo.value.args == error.args  # each verified


def test_gethostbyaddr_gives_the_first_name_that_has_the_address(table: HostTable) -> None:
    """Of several names with one address, the first registered wins, as the first hosts line."""
    table.add_host("app.test", "127.0.0.1")
    table.add_host("a.test", "10.0.0.9")
    table.add_host("b.test", "10.0.0.9", "fd00:0::9")
    assert table.gethostbyaddr("127.0.0.1") == ("localhost", [], ["127.0.0.1"])
    assert table.gethostbyaddr("10.0.0.9") == ("a.test", [], ["10.0.0.9"])
    assert table.gethostbyaddr("b.test") == ("a.test", [], ["10.0.0.9"])
    assert table.gethostbyaddr("fd00::9") == ("b.test", [], ["fd00::9"])
    table.add_host("a.test", "10.0.0.10")  # a.test no longer has it
    assert table.gethostbyaddr("10.0.0.9") == ("b.test", [], ["10.0.0.9"])


@pytest.mark.parametrize(
    ("name", "fqdn"),
    [
        ("localhost", "localhost"),
        (" localhost ", "localhost"),
        ("127.0.0.1", "localhost"),
        ("no-such-host.invalid", "no-such-host.invalid"),
    ],
)
def test_getfqdn(table: HostTable, name: str, fqdn: str) -> None:
    """getfqdn gives gethostbyaddr's name, or the name itself when that fails."""
    assert table.getfqdn(name) == fqdn  # each verified


@pytest.mark.parametrize("name", ["", "0.0.0.0", "::"])
def test_getfqdn_of_the_local_host(
    table: HostTable, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """An empty name, 0.0.0.0 or :: means gethostname(); a dotted name of its address wins."""
    monkeypatch.setattr(socket, "gethostname", lambda: "box")
    assert table.getfqdn(name) == "box"  # unknown to the table: itself
    table.add_host("box.example.test", "10.0.0.5")
    table.add_host("box", "10.0.0.5")
    assert table.getfqdn(name) == "box.example.test"


# --- getnameinfo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sockaddr", "flags", "host"),
    [
        (("127.0.0.1", 80), 0, "localhost"),
        (("127.0.0.1", 80), socket.NI_NUMERICHOST, "127.0.0.1"),
        (("127.0.0.1", 80), socket.NI_NUMERICSERV, "localhost"),
        (("127.0.0.1", 53), socket.NI_DGRAM, "localhost"),
        (("127.0.0.1", 70000), 0, "localhost"),
        (("127.1", 80), 0, "localhost"),
        (("1.2.3.4", 80), 0, "1.2.3.4"),
        (("::1", 80, 0, 0), 0, "localhost"),  # as with a stock /etc/hosts
        (("::1", 80, 0, 1), 0, "localhost"),
        (("::ffff:127.0.0.1", 80), 0, "::ffff:127.0.0.1"),
        (("::1", 80, 0, 1), socket.NI_NUMERICHOST, "::1%1"),
        (("fe80::1", 80, 0, 1), socket.NI_NUMERICHOST, "fe80::1%1"),  # glibc: the interface's name
        (("fe80::1", 80, 0, 2**32 + 1), socket.NI_NUMERICHOST, "fe80::1%1"),  # masked to 32 bits
        (("fe80::1%1", 80), socket.NI_NUMERICHOST, "fe80::1"),  # the tuple's scope: 0
        (("fe80::1%1", 80, 0, 2), socket.NI_NUMERICHOST, "fe80::1%2"),
        (("::1", 80, 2**33, 0), socket.NI_NUMERICHOST, "::1"),  # flowinfo masked to 32 bits
    ],
)
def test_getnameinfo(table: HostTable, sockaddr: tuple[Any, ...], flags: int, host: str) -> None:
    """getnameinfo gives the name that has the address, else the address, and the real service."""
    port = REAL_GETNAMEINFO((sockaddr[0].partition("%")[0], sockaddr[1]), flags | NI_NUMERICHOST)[1]
    assert table.getnameinfo(sockaddr, flags) == (host, port)


@pytest.mark.parametrize(
    ("sockaddr", "flags"),
    [
        (("1.2.3.4", 80), socket.NI_NAMEREQD),
        (("127.0.0.1", 80), socket.NI_NAMEREQD | socket.NI_NUMERICHOST),
        (("localhost", 80), 0),
        (("", 80), 0),
        (("fe80::1%eth0", 80), 0),
        (("fe80::1%lo", 80, 0, 0), 0),
    ],
)
def test_getnameinfo_eai_noname(table: HostTable, sockaddr: tuple[Any, ...], flags: int) -> None:
    """No name with NI_NAMEREQD, a host that is no address, a scope not a number: EAI_NONAME."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getnameinfo(sockaddr, flags)
    assert gai_error(excinfo) == NONAME


def test_getnameinfo_namereqd_finds_a_registered_name(table: HostTable) -> None:
    """With NI_NAMEREQD an address a name has gives that name."""
    table.add_host("db.test", "10.0.0.5")
    port = REAL_GETNAMEINFO(("10.0.0.5", 80), socket.NI_NUMERICHOST)[1]
    assert table.getnameinfo(("10.0.0.5", 80), socket.NI_NAMEREQD) == ("db.test", port)


@pytest.mark.parametrize(
    ("sockaddr", "flags"),
    [
        (("127.0.0.1", -1), 0),
        (("127.0.0.1", 80), 256),
        (("*", 80), 0),
        (("127.0.0.1", 80, 0, 0), 0),
        (("127.0.0.1",), 0),
        (("127.0.0.1", 80, 0, 0, 0), 0),
        ((b"127.0.0.1", 80), 0),
        (["127.0.0.1", 80], 0),
        (("127.0.0.1", "80"), 0),
        (("127.0.0.1\0", 80), 0),
        (("::1", 80, 0, "0"), 0),
        (("::1", 80, 2**20, 0), 0),
        (("127.0.0.1", 2**31), 0),
        (("127.0.0.1", 80), "0"),
    ],
)
def test_getnameinfo_errors_are_cpythons(table: HostTable, sockaddr: object, flags: Any) -> None:
    """getnameinfo fails as the real one does, type and message, for each kind of bad argument."""
    numeric = flags | socket.NI_NUMERICHOST if isinstance(flags, int) else flags
    expected = outcome(lambda: REAL_GETNAMEINFO(sockaddr, numeric))
    assert expected[0] in (TypeError, ValueError, OverflowError, OSError, socket.gaierror)
    assert outcome(lambda: table.getnameinfo(sockaddr, flags)) == expected  # type: ignore[arg-type]


@given(address=st.ip_addresses(), port=st.integers(0, 65535))
def test_getnameinfo_numeric_is_the_address_and_port(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    """With NI_NUMERICHOST|NI_NUMERICSERV getnameinfo writes the address as inet_ntop, the port."""
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    sockaddr = (str(address), port) if address.version == 4 else (str(address), port, 0, 0)
    written = socket.inet_ntop(AF_INET if address.version == 4 else AF_INET6, address.packed)
    assert HostTable().getnameinfo(sockaddr, flags) == (written, str(port))


# --- add_host -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "addresses", "message"),
    [
        ("db.test", (), "needs at least one address"),
        ("db.test", ("10.0.0.256",), "'10.0.0.256' is not an IP address literal"),
        ("db.test", ("db2.test",), "'db2.test' is not an IP address literal"),
        ("db.test", ("127.1",), "'127.1' is not an IP address literal"),
        ("db.test", ("fe80::1%eth0",), "scope id"),
        ("db.test", ("fe80::1%1",), "scope id"),
        ("", ("10.0.0.1",), "cannot be empty"),
        ("a..b", ("10.0.0.1",), "not a valid host name"),
        ("my host", ("10.0.0.1",), "blank"),
        ("my\0host", ("10.0.0.1",), "NUL"),
        ("10.0.0.1", ("10.0.0.1",), "is an address, not a name"),
        ("127.1", ("10.0.0.1",), "is an address, not a name"),
        ("fe80::1%eth0", ("10.0.0.1",), "is an address, not a name"),
        ("fe80::1%1", ("10.0.0.1",), "is an address, not a name"),
        ("*", ("10.0.0.1",), "fixed meaning"),
        ("<broadcast>", ("10.0.0.1",), "fixed meaning"),
        ("255.255.255.255", ("10.0.0.1",), "fixed meaning"),
    ],
)
def test_add_host_refuses_what_no_lookup_could_find(
    table: HostTable, name: str, addresses: tuple[str, ...], message: str
) -> None:
    """A missing or malformed address, or a name no lookup would reach, is a ValueError."""
    with pytest.raises(ValueError, match=re.escape(message)):
        table.add_host(name, *addresses)


def test_add_host_takes_a_name_with_a_percent_that_is_no_address(table: HostTable) -> None:
    """A name with a % that is not an IPv6 literal's scope is a name (glibc looks it up)."""
    table.add_host("printer%2", "10.0.0.3", "::ffff:10.0.0.4")
    assert table.gethostbyname_ex("printer%2") == ("printer%2", [], ["10.0.0.3"])
    assert table.gethostbyaddr("::ffff:10.0.0.4") == ("printer%2", [], ["::ffff:10.0.0.4"])


def test_add_host_wants_strings(table: HostTable) -> None:
    """An address or a name that is not a str is a TypeError, not silently an int address."""
    with pytest.raises(TypeError, match="an address is a str"):
        table.add_host("db.test", 167772161)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a host name is a str"):
        table.add_host(b"db.test", "10.0.0.1")  # type: ignore[arg-type]


@given(
    addresses=st.lists(st.ip_addresses(), min_size=1, max_size=5),
    family=st.sampled_from([socket.AF_INET, socket.AF_INET6]),
    name=st.sampled_from(["h.test", "H.TEST", "h.Test"]),
)
def test_family_gives_only_that_family(
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address], family: int, name: str
) -> None:
    """getaddrinfo(family=X) gives exactly the name's addresses of family X, in order."""
    table = HostTable()
    table.add_host("h.test", *map(str, addresses))
    wanted = [
        socket.inet_ntop(family, a.packed)
        for a in addresses
        if (a.version == 6) == (family == AF_INET6)
    ]
    if not wanted:
        with pytest.raises(socket.gaierror) as excinfo:
            table.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
        assert gai_error(excinfo) == NONAME
        return
    entries = table.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
    assert {entry[0] for entry in entries} == {family}
    assert [entry[4][0] for entry in entries] == wanted


def test_lookups_racing_add_host_see_one_state(table: HostTable) -> None:
    """A lookup during add_host sees the name's old addresses or its new ones, never a mix."""
    pairs = (("10.0.0.1", "10.0.0.2"), ("10.0.0.3", "10.0.0.4"))
    table.add_host("flip.test", *pairs[0])

    def writer() -> None:
        for i in range(2000):
            table.add_host("flip.test", *pairs[i % 2])

    def reader() -> None:
        for _ in range(2000):
            entries = table.getaddrinfo("flip.test", 80, type=socket.SOCK_STREAM)
            assert tuple(entry[4][0] for entry in entries) in pairs

    with serve_in_thread(writer), serve_in_thread(reader), serve_in_thread(reader):
        pass  # all three run at once, joined at the end


@pytest.mark.parametrize("host", ["a..b", "..", "a" * 64 + ".test"])
def test_an_ascii_name_idna_refuses_is_looked_up_as_it_is(host: str) -> None:
    """CPython hands glibc an ASCII host as it is (IDNA encodes only the others), so a name
    with an empty or over-long label is not found, a ``gaierror``, not an encoding error."""
    network = MemoryNetwork()
    with (
        network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(socket.gaierror) as raised,
    ):
        sock.connect((host, 80))
    assert raised.value.errno == socket.EAI_NONAME
