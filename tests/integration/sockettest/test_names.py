"""A HostTable answers lookups as CPython on Linux does, for the names it knows, and no others.

The literal expectations below were verified against the real ``socket`` functions on the machine
this module was written on (Debian 12: glibc 2.36, CPython 3.11; ``/etc/hosts`` has the single
line ``127.0.0.1 localhost`` for localhost; ``/etc/nsswitch.conf`` has ``hosts: files dns``).
"verified" in a comment means: the real function gave exactly this answer (value, or exception
type, errno and message) there. Where the table answers otherwise on purpose, the test says so.
Nothing here calls the real ``getaddrinfo`` or ``gethostbyname`` (the machine's answers depend
on its hosts file); ``inet_pton``, ``inet_aton`` and ``inet_ntop`` are plain conversions and are
used as oracles. It needs no socket, but it is long: it runs with the integration tier, so that
the unit tier stays fast enough for every save; the unit tier meets the table through
``MemoryNetwork.patch()`` (tests/unit/sockettest/test_unmodified_code.py).
"""

import ipaddress
import re
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockettest._names import (
    LOCALHOST_ADDRESSES,
    LOOPBACK_ADDRESSES,
    WILDCARD_ADDRESSES,
    HostTable,
)
from tests.threads import run_threads

AF_INET = socket.AddressFamily.AF_INET
AF_INET6 = socket.AddressFamily.AF_INET6
STREAM = socket.SocketKind.SOCK_STREAM
DGRAM = socket.SocketKind.SOCK_DGRAM
RAW = socket.SocketKind.SOCK_RAW

NONAME = (socket.EAI_NONAME, "Name or service not known")
SERVICE = (socket.EAI_SERVICE, "Servname not supported for ai_socktype")
ADDRFAMILY = (socket.EAI_ADDRFAMILY, "Address family for hostname not supported")
BADFLAGS = (socket.EAI_BADFLAGS, "Bad value for ai_flags")
UNKNOWN_HOST = (1, "Unknown host")

# The lines of this machine's /etc/services that the tests use. Other distributions list more
# protocols for some names (http/udp), so the tests read these, not the real file.
SERVICES = {
    ("echo", "tcp"): 7,
    ("echo", "udp"): 7,
    ("ssh", "tcp"): 22,
    ("domain", "tcp"): 53,
    ("domain", "udp"): 53,
    ("http", "tcp"): 80,
    ("www", "tcp"): 80,
    ("ntp", "udp"): 123,
}


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> None:
    """socket.getservbyname/getservbyport answer from SERVICES, as the real ones from the file."""

    def getservbyname(name: str, protocol: str = "") -> int:
        port = SERVICES.get((name, protocol))
        if port is None:
            raise OSError("service/proto not found")
        return port

    def getservbyport(port: int, protocol: str = "") -> str:
        for (name, proto), number in SERVICES.items():
            if number == port and proto == protocol:
                return name
        raise OSError("port/proto not found")

    monkeypatch.setattr(socket, "getservbyname", getservbyname)
    monkeypatch.setattr(socket, "getservbyport", getservbyport)


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


# --- getaddrinfo: what it gives ------------------------------------------------------------------


def test_localhost_is_ipv4_then_ipv6(table: HostTable) -> None:
    """localhost gives 127.0.0.1 first, then ::1 (the table's documented choice)."""
    # The real answer here is 127.0.0.1 alone: /etc/hosts has no ::1 line (verified).
    assert LOCALHOST_ADDRESSES == ("127.0.0.1", "::1")
    assert table.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80)),
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0)),
    ]


def test_type_zero_gives_stream_dgram_and_raw_entries(table: HostTable) -> None:
    """With type and proto 0 an address gives three entries: TCP, UDP, raw, in that order."""
    assert table.getaddrinfo("127.0.0.1", 80) == [  # verified
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80)),
        (AF_INET, DGRAM, 17, "", ("127.0.0.1", 80)),
        (AF_INET, RAW, 0, "", ("127.0.0.1", 80)),
    ]


def test_entries_hold_enum_members_and_an_int_proto(table: HostTable) -> None:
    """Family and type are socket.AddressFamily/SocketKind members, proto a plain int."""
    family, kind, proto, _, _ = table.getaddrinfo("::1", 80)[0]
    assert isinstance(family, socket.AddressFamily)
    assert isinstance(kind, socket.SocketKind)
    assert type(proto) is int


def test_ipv6_sockaddr_is_a_4_tuple(table: HostTable) -> None:
    """An IPv6 entry's sockaddr is (host, port, flowinfo 0, scope id 0)."""
    assert table.getaddrinfo("::1", 80) == [  # verified
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0)),
        (AF_INET6, DGRAM, 17, "", ("::1", 80, 0, 0)),
        (AF_INET6, RAW, 0, "", ("::1", 80, 0, 0)),
    ]


def test_host_none_is_loopback_ipv6_first(table: HostTable) -> None:
    """Host None without AI_PASSIVE gives the loopback addresses, ::1 first."""
    assert LOOPBACK_ADDRESSES == ("::1", "127.0.0.1")
    assert table.getaddrinfo(None, 80, type=socket.SOCK_STREAM) == [  # verified
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0)),
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80)),
    ]


def test_host_none_passive_is_the_wildcard_ipv4_first(table: HostTable) -> None:
    """Host None with AI_PASSIVE gives 0.0.0.0 then ::, what a server binds to."""
    assert WILDCARD_ADDRESSES == ("0.0.0.0", "::")
    assert table.getaddrinfo(None, 80, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE) == [
        (AF_INET, STREAM, 6, "", ("0.0.0.0", 80)),  # verified
        (AF_INET6, STREAM, 6, "", ("::", 80, 0, 0)),
    ]


def test_star_host_means_none(table: HostTable) -> None:
    """Host "*" is host None, as glibc reads it."""
    assert table.getaddrinfo("*", 80) == table.getaddrinfo(None, 80)  # verified


def test_family_filters(table: HostTable) -> None:
    """family=AF_INET6 keeps localhost's IPv6 address, AF_INET its IPv4 one."""
    assert table.getaddrinfo("localhost", 80, socket.AF_INET6, socket.SOCK_STREAM) == [
        (AF_INET6, STREAM, 6, "", ("::1", 80, 0, 0))
    ]
    assert table.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80))
    ]


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (80, 80),
        ("80", 80),
        (b"80", 80),
        ("080", 80),
        (" 80", 80),  # strtoul skips blanks and takes a sign
        ("+80", 80),
        ("80\0junk", 80),  # C stops at the NUL
        (None, 0),
        ("", 0),
        ("*", 0),
        (70000, 4464),  # glibc keeps 16 bits
        ("4294967296", 0),
    ],
)
def test_port_forms(table: HostTable, port: int | str | bytes | None, expected: int) -> None:
    """A port may be an int, a numeric string or bytes, or None; glibc's reading of each."""
    entries = table.getaddrinfo("127.0.0.1", port, type=socket.SOCK_STREAM)  # each verified
    assert entries == [(AF_INET, STREAM, 6, "", ("127.0.0.1", expected))]


@pytest.mark.parametrize("port", [-1, "-1", "-2", "2147483648", "0x50", "HTTP", "nosuchservice"])
def test_bad_ports_are_eai_service(table: HostTable, services: None, port: int | str) -> None:
    """A port that is neither a number glibc takes nor a known service is EAI_SERVICE."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("localhost", port)
    assert gai_error(excinfo) == SERVICE  # each verified


def test_service_names_give_the_types_that_have_them(table: HostTable, services: None) -> None:
    """A service name gives an entry for each protocol /etc/services lists it for, raw never."""
    assert table.getaddrinfo("127.0.0.1", "http") == [(AF_INET, STREAM, 6, "", ("127.0.0.1", 80))]
    assert table.getaddrinfo("127.0.0.1", "domain") == [  # verified
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 53)),
        (AF_INET, DGRAM, 17, "", ("127.0.0.1", 53)),
    ]
    assert table.getaddrinfo("127.0.0.1", "ntp") == [(AF_INET, DGRAM, 17, "", ("127.0.0.1", 123))]
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("127.0.0.1", "http", type=socket.SOCK_DGRAM)
    assert gai_error(excinfo) == SERVICE  # verified


def test_service_error_comes_before_host_error(table: HostTable, services: None) -> None:
    """An unknown service and an unknown host together are EAI_SERVICE, as glibc checks it first."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("no-such-host.invalid", "nosuchservice")
    assert gai_error(excinfo) == SERVICE  # verified


def test_numericserv_refuses_a_service_name(table: HostTable, services: None) -> None:
    """AI_NUMERICSERV with a service name is EAI_NONAME."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("localhost", "http", flags=socket.AI_NUMERICSERV)
    assert gai_error(excinfo) == NONAME  # verified


@pytest.mark.parametrize(
    ("socktype", "proto", "expected"),
    [
        (0, socket.IPPROTO_UDP, [(AF_INET, DGRAM, 17, "", ("127.0.0.1", 80))]),
        (0, socket.IPPROTO_TCP, [(AF_INET, STREAM, 6, "", ("127.0.0.1", 80))]),
        (socket.SOCK_STREAM, 132, [(AF_INET, STREAM, 132, "", ("127.0.0.1", 80))]),
        (socket.SOCK_SEQPACKET, 0, [(AF_INET, socket.SOCK_SEQPACKET, 132, "", ("127.0.0.1", 80))]),
        (socket.SOCK_DGRAM, 136, [(AF_INET, DGRAM, 136, "", ("127.0.0.1", 80))]),
    ],
)
def test_type_and_proto_select_one_entry(
    table: HostTable, socktype: int, proto: int, expected: list[object]
) -> None:
    """A type or a proto selects glibc's one matching (type, proto) pair."""
    assert table.getaddrinfo("127.0.0.1", 80, 0, socktype, proto) == expected  # each verified


def test_raw_with_no_port_reports_the_proto_asked_for(table: HostTable) -> None:
    """SOCK_RAW takes any proto, and no port: with port None it gives port 0."""
    assert table.getaddrinfo("127.0.0.1", None, 0, socket.SOCK_RAW, 99) == [  # verified
        (AF_INET, RAW, 99, "", ("127.0.0.1", 0))
    ]


def test_dccp_type_is_a_plain_int(table: HostTable) -> None:
    """SOCK_DCCP (6) has no SocketKind member: it is reported as the int, as CPython does."""
    assert table.getaddrinfo("127.0.0.1", 80, 0, 6) == [  # verified
        (AF_INET, 6, 33, "", ("127.0.0.1", 80))
    ]


@pytest.mark.parametrize(
    ("socktype", "proto", "expected"),
    [
        (99, 0, (socket.EAI_SOCKTYPE, "ai_socktype not supported")),
        (socket.SOCK_DGRAM, socket.IPPROTO_TCP, (socket.EAI_SOCKTYPE, "ai_socktype not supported")),
        (socket.SOCK_RAW, 0, SERVICE),  # a port for a raw socket
        (0, 255, SERVICE),
    ],
)
def test_bad_type_or_proto(
    table: HostTable, socktype: int, proto: int, expected: tuple[int, str]
) -> None:
    """A type glibc does not know is EAI_SOCKTYPE; a port for raw sockets EAI_SERVICE."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("localhost", 80, 0, socktype, proto)
    assert gai_error(excinfo) == expected  # each verified


def test_canonname_is_on_the_first_entry_only(table: HostTable) -> None:
    """AI_CANONNAME puts the canonical name on the first entry; the others have ''."""
    entries = table.getaddrinfo("LOCALHOST", 80, socket.AF_INET, flags=socket.AI_CANONNAME)
    assert [entry[3] for entry in entries] == ["localhost", "", ""]  # verified


def test_canonname_of_an_address_is_the_address_as_written(table: HostTable) -> None:
    """The canonical name of a numeric host is the host string as given."""
    entries = table.getaddrinfo("127.1", 80, type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME)
    assert entries == [(AF_INET, STREAM, 6, "127.1", ("127.0.0.1", 80))]  # verified


@pytest.mark.parametrize(
    ("host", "port", "flags"),
    [
        (None, 80, socket.AI_CANONNAME),
        ("localhost", 80, 0x800),
        ("localhost", 80, -1),
    ],
)
def test_bad_flags(table: HostTable, host: str | None, port: int, flags: int) -> None:
    """AI_CANONNAME without a host, or a flag glibc does not know, is EAI_BADFLAGS."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo(host, port, flags=flags)
    assert gai_error(excinfo) == BADFLAGS  # each verified


@pytest.mark.parametrize(
    ("host", "port", "family", "flags"),
    [
        ("no-such-host.invalid", 80, 0, 0),
        ("localhost.", 80, 0, 0),
        ("", 80, 0, 0),
        (None, None, 0, 0),
        ("*", "*", 0, 0),
        ("localhost", 80, 0, socket.AI_NUMERICHOST),
        (" 127.0.0.1", 80, 0, 0),
        ("1.2.3.4.", 80, 0, 0),
        ("256.1.1.1", 80, 0, 0),
        ("::1%lo", 80, 0, 0),
        ("::1%4294967296", 80, 0, 0),
        ("local\0host", 80, 0, 0),  # C stops at the NUL: "local"
    ],
)
def test_unknown_names_are_eai_noname(
    table: HostTable, host: str | None, port: int | str | None, family: int, flags: int
) -> None:
    """A name the table does not know, or no host and no port, is EAI_NONAME."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo(host, port, family, 0, 0, flags)
    assert gai_error(excinfo) == NONAME  # each verified


def test_unknown_name_error_looks_like_the_real_one(table: HostTable) -> None:
    """The error for an unknown name has the real errno, strerror and str()."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("no-such-host.invalid", 80)
    assert excinfo.value.args == (-2, "Name or service not known")  # verified
    assert str(excinfo.value) == "[Errno -2] Name or service not known"


@pytest.mark.parametrize(
    ("host", "family"), [("127.0.0.1", socket.AF_INET6), ("::1", socket.AF_INET)]
)
def test_address_of_the_other_family_is_eai_addrfamily(
    table: HostTable, host: str, family: int
) -> None:
    """An address literal asked for in the other family is EAI_ADDRFAMILY."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo(host, 80, family)
    assert gai_error(excinfo) == ADDRFAMILY  # verified


def test_unsupported_family_is_eai_family(table: HostTable) -> None:
    """A family other than AF_UNSPEC, AF_INET and AF_INET6 is EAI_FAMILY."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("localhost", 80, socket.AF_UNIX)
    assert gai_error(excinfo) == (socket.EAI_FAMILY, "ai_family not supported")  # verified


def test_v4mapped(table: HostTable) -> None:
    """AI_V4MAPPED turns IPv4 answers into ::ffff: addresses for AF_INET6, and back for AF_INET."""
    flags = socket.AI_V4MAPPED
    assert table.getaddrinfo("127.0.0.1", 80, socket.AF_INET6, socket.SOCK_STREAM, 0, flags) == [
        (AF_INET6, STREAM, 6, "", ("::ffff:127.0.0.1", 80, 0, 0))  # verified
    ]
    assert table.getaddrinfo("::ffff:127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.1", 80))  # verified, without the flag
    ]


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
    """glibc reads IPv4 addresses as inet_aton does: short forms, octal and hex parts."""
    entries = table.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
    assert entries == [(AF_INET, STREAM, 6, "", (address, 80))]  # each verified


def test_numeric_scope_id(table: HostTable) -> None:
    """A numeric scope id after % goes into the sockaddr; an interface name is unknown."""
    assert table.getaddrinfo("fe80::1%1", 80, type=socket.SOCK_STREAM) == [  # verified
        (AF_INET6, STREAM, 6, "", ("fe80::1", 80, 0, 1))
    ]
    # Not as Linux: the real one gives ('fe80::1', 80, 0, 4) here, eth0 being interface 4.
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("fe80::1%eth0", 80)
    assert gai_error(excinfo) == NONAME


def test_argument_type_errors(table: HostTable) -> None:
    """Arguments of the wrong type raise what CPython raises, with its message."""
    with pytest.raises(TypeError, match=r"^getaddrinfo\(\) argument 1 must be string or None$"):
        table.getaddrinfo(1, 80)  # type: ignore[arg-type]
    for port in (1.5, True, bytearray(b"80")):
        with pytest.raises(OSError, match=r"^Int or String expected$"):
            table.getaddrinfo("localhost", port)  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match=r"^Python int too large to convert to C long$"):
        table.getaddrinfo("localhost", 2**63)
    with pytest.raises(TypeError, match=r"^'str' object cannot be interpreted as an integer$"):
        table.getaddrinfo("localhost", 80, "0")  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match=r"^signed integer is greater than maximum$"):
        table.getaddrinfo("localhost", 80, 2**31)
    with pytest.raises(UnicodeError, match="label empty or too long"):
        table.getaddrinfo("a..b", 80)
    # each verified


# --- add_host ------------------------------------------------------------------------------------


def test_added_name_gives_its_addresses_in_order(table: HostTable) -> None:
    """A registered name resolves to its addresses, in the order given."""
    table.add_host("db.test", "10.0.0.5", "fd00::5", "10.0.0.6")
    assert table.getaddrinfo("db.test", 5432, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("10.0.0.5", 5432)),
        (AF_INET6, STREAM, 6, "", ("fd00::5", 5432, 0, 0)),
        (AF_INET, STREAM, 6, "", ("10.0.0.6", 5432)),
    ]


def test_names_are_case_insensitive_and_keep_their_spelling(table: HostTable) -> None:
    """Any case finds a name; the canonical name is spelled as registered."""
    table.add_host("Db.Test", "10.0.0.5")
    entries = table.getaddrinfo("DB.TEST", 1, type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME)
    assert entries == [(AF_INET, STREAM, 6, "Db.Test", ("10.0.0.5", 1))]
    assert table.gethostbyname_ex("db.test") == ("Db.Test", [], ["10.0.0.5"])


def test_readding_a_name_replaces_its_addresses(table: HostTable) -> None:
    """add_host on a known name replaces its addresses, localhost's too."""
    table.add_host("db.test", "10.0.0.5")
    table.add_host("db.test", "10.0.0.7")
    assert table.gethostbyname("db.test") == "10.0.0.7"
    table.add_host("localhost", "127.0.0.2")
    assert table.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM) == [
        (AF_INET, STREAM, 6, "", ("127.0.0.2", 80))
    ]


def test_international_names_are_idna_encoded(table: HostTable) -> None:
    """A non-ASCII name is registered and looked up in its IDNA form, as CPython encodes it."""
    table.add_host("bücher.test", "10.0.0.8")
    entries = table.getaddrinfo("BÜCHER.test", 80, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    assert entries == [(AF_INET, STREAM, 6, "xn--bcher-kva.test", ("10.0.0.8", 80))]


def test_a_name_without_ipv4_is_unknown_to_ipv4_lookups(table: HostTable) -> None:
    """A name with only IPv6 addresses is EAI_NONAME to AF_INET lookups and gethostbyname."""
    # Verified with such a name in /etc/hosts (in a private mount namespace, hosts: files).
    table.add_host("v6.test", "fd00::2")
    with pytest.raises(socket.gaierror) as excinfo:
        table.getaddrinfo("v6.test", 80, socket.AF_INET)
    assert gai_error(excinfo) == NONAME
    with pytest.raises(socket.gaierror) as excinfo:
        table.gethostbyname("v6.test")
    assert gai_error(excinfo) == NONAME


def test_v4mapped_all_on_a_name(table: HostTable) -> None:
    """AI_V4MAPPED|AI_ALL gives every address as IPv6, in registration order."""
    table.add_host("multi.test", "10.0.0.1", "10.0.0.2", "fd00::3")
    flags = socket.AI_V4MAPPED | socket.AI_ALL
    entries = table.getaddrinfo("multi.test", 80, socket.AF_INET6, socket.SOCK_STREAM, 0, flags)
    # verified in that order with these lines in /etc/hosts (glibc sorts, this case stays put)
    assert [entry[4][0] for entry in entries] == ["::ffff:10.0.0.1", "::ffff:10.0.0.2", "fd00::3"]
    entries = table.getaddrinfo("10.0.0.1", 80, socket.AF_INET6, 0, 0, socket.AI_V4MAPPED)
    assert {entry[4] for entry in entries} == {("::ffff:10.0.0.1", 80, 0, 0)}


@pytest.mark.parametrize(
    ("name", "addresses", "message"),
    [
        ("db.test", (), "needs at least one address"),
        ("db.test", ("10.0.0.256",), "'10.0.0.256' is not an IP address literal"),
        ("db.test", ("db2.test",), "'db2.test' is not an IP address literal"),
        ("db.test", ("127.1",), "'127.1' is not an IP address literal"),
        ("db.test", ("fe80::1%eth0",), "scope id"),
        ("", ("10.0.0.1",), "cannot be empty"),
        ("a..b", ("10.0.0.1",), "not a valid host name"),
        ("my host", ("10.0.0.1",), "blank"),
        ("10.0.0.1", ("10.0.0.1",), "is an address, not a name"),
        ("127.1", ("10.0.0.1",), "is an address, not a name"),
        ("fe80::1%eth0", ("10.0.0.1",), "is an address, not a name"),
        ("*", ("10.0.0.1",), "fixed meaning"),
    ],
)
def test_add_host_refuses_what_no_lookup_could_find(
    table: HostTable, name: str, addresses: tuple[str, ...], message: str
) -> None:
    """A missing or malformed address, or a name no lookup would reach, is a ValueError."""
    with pytest.raises(ValueError, match=re.escape(message)):
        table.add_host(name, *addresses)


def test_add_host_wants_strings(table: HostTable) -> None:
    """An address or a name that is not a str is a TypeError, not silently an int address."""
    with pytest.raises(TypeError, match="an address is a str"):
        table.add_host("db.test", 167772161)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a host name is a str"):
        table.add_host(b"db.test", "10.0.0.1")  # type: ignore[arg-type]


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

    run_threads(writer, reader, reader)


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
    ],
)
def test_gethostbyname(table: HostTable, name: str | bytes, address: str) -> None:
    """gethostbyname gives the first IPv4 address, CPython's special names included."""
    assert table.gethostbyname(name) == address  # each verified


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("::1", ADDRFAMILY),
        ("fe80::1%1", ADDRFAMILY),
        ("no-such-host.invalid", NONAME),
        ("1.2.3.4 ", NONAME),
    ],
)
def test_gethostbyname_errors(table: HostTable, name: str, error: tuple[int, str]) -> None:
    """An IPv6 literal is EAI_ADDRFAMILY to gethostbyname; an unknown name EAI_NONAME."""
    with pytest.raises(socket.gaierror) as excinfo:
        table.gethostbyname(name)
    assert gai_error(excinfo) == error  # each verified


def test_gethostby_argument_errors(table: HostTable) -> None:
    """gethostbyname/_ex and gethostbyaddr refuse None and NUL bytes with CPython's messages."""
    for function in (table.gethostbyname, table.gethostbyname_ex, table.gethostbyaddr):
        name = function.__name__
        expected = rf"^{name}\(\) argument 1 must be str, bytes or bytearray, not None$"
        with pytest.raises(TypeError, match=expected):
            function(None)  # type: ignore[arg-type]
        expected = rf"^{name}\(\) argument 1 must be encoded string without null bytes, not str$"
        with pytest.raises(TypeError, match=expected):
            function("local\0host")
    # each verified


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
        ("::1", socket.gaierror(*ADDRFAMILY)),
        ("no-such-host.invalid", socket.gaierror(*NONAME)),
    ],
)
def test_gethostbyname_ex_errors(table: HostTable, name: str, error: OSError) -> None:
    """gethostbyname_ex fails as CPython's: gaierror from its first step, herror from its second."""
    with pytest.raises(type(error)) as excinfo:
        table.gethostbyname_ex(name)
    assert excinfo.value.args == error.args  # each verified


# --- gethostbyaddr, getfqdn ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        ("127.0.0.1", ("localhost", [], ["127.0.0.1"])),
        ("localhost", ("localhost", [], ["127.0.0.1"])),
        ("127.1", ("localhost", [], ["127.0.0.1"])),
    ],
)
def test_gethostbyaddr(
    table: HostTable, address: str, entry: tuple[str, list[str], list[str]]
) -> None:
    """gethostbyaddr gives the name that has the address (a name is resolved first)."""
    assert table.gethostbyaddr(address) == entry  # each verified


def test_gethostbyaddr_of_ipv6_loopback_is_localhost(table: HostTable) -> None:
    """::1 belongs to localhost, as with a stock /etc/hosts (not this machine's: herror there)."""
    assert table.gethostbyaddr("::1") == ("localhost", [], ["::1"])


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
    table.add_host("b.test", "10.0.0.9")
    assert table.gethostbyaddr("127.0.0.1") == ("localhost", [], ["127.0.0.1"])
    assert table.gethostbyaddr("10.0.0.9") == ("a.test", [], ["10.0.0.9"])
    assert table.gethostbyaddr("b.test") == ("a.test", [], ["10.0.0.9"])
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
    ("sockaddr", "flags", "answer"),
    [
        (("127.0.0.1", 80), 0, ("localhost", "http")),
        (("127.0.0.1", 80), socket.NI_NUMERICHOST, ("127.0.0.1", "http")),
        (("127.0.0.1", 80), socket.NI_NUMERICSERV, ("localhost", "80")),
        (("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV, ("127.0.0.1", "80")),
        (("127.0.0.1", 12345), 0, ("localhost", "12345")),
        (("127.0.0.1", 53), socket.NI_DGRAM, ("localhost", "domain")),
        (("127.0.0.1", 80), socket.NI_DGRAM, ("localhost", "80")),
        (("127.0.0.1", 123), 0, ("localhost", "123")),
        (("127.0.0.1", 70000), 0, ("localhost", "4464")),
        (("127.1", 80), 0, ("localhost", "http")),
        (("1.2.3.4", 80), 0, ("1.2.3.4", "http")),
        (("::ffff:127.0.0.1", 80), 0, ("::ffff:127.0.0.1", "http")),
        (("::1", 80, 0, 1), socket.NI_NUMERICHOST, ("::1%1", "http")),
        (("fe80::1%1", 80), socket.NI_NUMERICHOST, ("fe80::1", "http")),  # the tuple's scope: 0
        (("::1", 80, 2**33, 0), socket.NI_NUMERICHOST, ("::1", "http")),  # masked to 32 bits
    ],
)
def test_getnameinfo(
    table: HostTable,
    services: None,
    sockaddr: tuple[str, int] | tuple[str, int, int, int],
    flags: int,
    answer: tuple[str, str],
) -> None:
    """getnameinfo gives the name and service of a sockaddr, or the numbers where unknown."""
    assert table.getnameinfo(sockaddr, flags) == answer  # each verified


def test_getnameinfo_of_ipv6_loopback_is_localhost(table: HostTable, services: None) -> None:
    """::1 is localhost to getnameinfo (this machine's /etc/hosts has no ::1: '::1' there)."""
    assert table.getnameinfo(("::1", 80, 0, 0), 0) == ("localhost", "http")


def test_getnameinfo_writes_scope_ids_as_numbers(table: HostTable) -> None:
    """A link-local address's scope id is written as a number (not as Linux: an interface name)."""
    # The real one gives 'fe80::1%lo' for scope 1 here.
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    assert table.getnameinfo(("fe80::1", 80, 0, 1), flags) == ("fe80::1%1", "80")


@pytest.mark.parametrize(
    ("sockaddr", "flags", "error"),
    [
        (("1.2.3.4", 80), socket.NI_NAMEREQD, socket.gaierror(*NONAME)),
        (("127.0.0.1", 80), socket.NI_NAMEREQD | socket.NI_NUMERICHOST, socket.gaierror(*NONAME)),
        (("localhost", 80), 0, socket.gaierror(*NONAME)),
        (("", 80), 0, socket.gaierror(*NONAME)),
        (("127.0.0.1", -1), 0, socket.gaierror(*SERVICE)),
        (("127.0.0.1", 80), 256, socket.gaierror(*BADFLAGS)),
        (("*", 80), 0, OSError("sockaddr resolved to multiple addresses")),
        (("127.0.0.1", 80, 0, 0), 0, OSError("IPv4 sockaddr must be 2 tuple")),
        (("127.0.0.1",), 0, TypeError("getnameinfo(): illegal sockaddr argument")),
        ((b"127.0.0.1", 80), 0, TypeError("getnameinfo(): illegal sockaddr argument")),
        (["127.0.0.1", 80], 0, TypeError("getnameinfo() argument 1 must be a tuple")),
        (("127.0.0.1", "80"), 0, TypeError("'str' object cannot be interpreted as an integer")),
        (("127.0.0.1\0", 80), 0, ValueError("embedded null character")),
        (("::1", 80, 2**20, 0), 0, OverflowError("getnameinfo(): flowinfo must be 0-1048575.")),
        (("127.0.0.1", 2**31), 0, OverflowError("signed integer is greater than maximum")),
    ],
)
def test_getnameinfo_errors(
    table: HostTable, sockaddr: object, flags: int, error: Exception
) -> None:
    """getnameinfo fails as CPython's, type and message, for each kind of bad argument."""
    with pytest.raises(type(error)) as excinfo:
        table.getnameinfo(sockaddr, flags)  # type: ignore[arg-type]
    assert excinfo.value.args == error.args  # each verified


# --- properties ----------------------------------------------------------------------------------

FAMILY = {4: AF_INET, 6: AF_INET6}


def written(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """An address as the C library writes it (inet_ntop), as it appears in real sockaddrs."""
    return socket.inet_ntop(FAMILY[address.version], address.packed)


@given(address=st.ip_addresses(), port=st.integers(0, 65535))
def test_every_address_resolves_to_itself(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    """Every IPv4/IPv6 literal gives itself, in its family, in a sockaddr of that family's shape."""
    entries = HostTable().getaddrinfo(str(address), port)
    assert [(entry[0], entry[1], entry[2]) for entry in entries] == [
        (FAMILY[address.version], STREAM, 6),
        (FAMILY[address.version], DGRAM, 17),
        (FAMILY[address.version], RAW, 0),
    ]
    expected = (written(address), port) if address.version == 4 else (written(address), port, 0, 0)
    assert {entry[4] for entry in entries} == {expected}


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
    wanted = [written(a) for a in addresses if FAMILY[a.version] == family]
    if not wanted:
        with pytest.raises(socket.gaierror) as excinfo:
            table.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
        assert gai_error(excinfo) == NONAME
        return
    entries = table.getaddrinfo(name, 80, family, socket.SOCK_STREAM)
    assert {entry[0] for entry in entries} == {family}
    assert [entry[4][0] for entry in entries] == wanted


def glibc_reads(text: str) -> str | None:
    """What the C library's parsers make of ``text``: inet_aton first, then inet_pton (IPv6)."""
    try:
        return socket.inet_ntop(AF_INET, socket.inet_aton(text))
    except OSError:
        pass
    try:
        return socket.inet_ntop(AF_INET6, socket.inet_pton(AF_INET6, text))
    except OSError:
        return None


@given(
    text=st.one_of(
        st.text(alphabet="0123456789abcdefxX.:", max_size=40),
        st.ip_addresses().map(lambda a: a.exploded),
    )
)
def test_numeric_hosts_are_what_glibc_reads_as_addresses(text: str) -> None:
    """A host is an address exactly when glibc's inet_aton or inet_pton reads it, as that one."""
    expected = glibc_reads(text)
    host = text.encode("ascii")  # bytes go to the C library as they are (a str is IDNA-encoded)
    flags = socket.AI_NUMERICHOST
    if expected is None:
        with pytest.raises(socket.gaierror) as excinfo:
            HostTable().getaddrinfo(host, 0, 0, socket.SOCK_STREAM, 0, flags)
        assert gai_error(excinfo) == NONAME
        return
    entries = HostTable().getaddrinfo(host, 0, 0, socket.SOCK_STREAM, 0, flags)
    assert [entry[4][0] for entry in entries] == [expected]


@given(address=st.ip_addresses(), port=st.integers(0, 65535))
def test_getnameinfo_numeric_is_the_address_and_port(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int
) -> None:
    """With NI_NUMERICHOST|NI_NUMERICSERV getnameinfo writes the address as inet_ntop, the port."""
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    sockaddr = (str(address), port) if address.version == 4 else (str(address), port, 0, 0)
    assert HostTable().getnameinfo(sockaddr, flags) == (written(address), str(port))
