"""The rest of the socket API: ``makefile``, ``recv_into`` and ``MSG_PEEK``, the calls real code
makes less often (``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg``, ``sendfile``, the
inheritable flag), and socket options."""

from __future__ import annotations

import contextlib
import errno
import io
import socket
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import cast

from sockettest.contract._harness import (
    HOST,
    SHORT,
    TIMEOUT,
    Harness,
    expect,
    expect_eof,
    expect_errno,
    read_all,
    recv_exactly,
    register,
    timely,
)


@register
def check_makefile_rwb_round_trip(h: Harness) -> None:
    """``makefile("rwb")``: written bytes reach the peer after ``flush``; ``readline`` reads
    the peer's reply."""
    client, server = h.pair()
    with client.makefile("rwb") as file:
        file.write(b"ping\n")
        file.flush()
        assert recv_exactly(server, 5, "bytes written and flushed") == b"ping\n"
        server.sendall(b"pong\n")
        line = timely(file.readline, "makefile readline")
        assert line == b"pong\n", f"makefile readline returned {line!r}"


@register
def check_makefile_readline_across_odd_splits(h: Harness) -> None:
    """``makefile("rb").readline`` joins lines sent in pieces that split them anywhere; at EOF
    it returns the unterminated last line, then ``b""``."""
    client, server = h.pair()
    for piece in (b"fi", b"rst\nsec", b"ond\nthi", b"rd"):
        server.sendall(piece)
    server.close()
    with client.makefile("rb") as file:
        lines = [timely(file.readline, "makefile readline") for _ in range(4)]
    assert lines == [b"first\n", b"second\n", b"third", b""], f"readline gave {lines!r}"


@register
def check_makefile_text_mode_readline(h: Harness) -> None:
    """``makefile("r", encoding="utf-8")`` decodes lines, even where a piece splits a
    multi-byte character; at EOF ``readline`` returns ``""``."""
    client, server = h.pair()
    data = "héllo wörld\nzweite Zeile\n".encode()
    for piece in (data[:2], data[2:9], data[9:]):  # data[:2] ends inside "é"
        server.sendall(piece)
    server.close()
    with client.makefile("r", encoding="utf-8") as file:
        lines = [timely(file.readline, "text readline") for _ in range(3)]
    assert lines == ["héllo wörld\n", "zweite Zeile\n", ""], f"readline gave {lines!r}"


@register
def check_makefile_keeps_socket_open_until_file_closed(h: Harness) -> None:
    """Closing a socket that has a file open (``makefile``) leaves the connection open: the
    file still reads and writes, and the peer sees EOF only once the file is closed too."""
    client, server = h.pair()
    with client.makefile("rwb") as file:
        client.close()
        file.write(b"still open\n")
        file.flush()
        assert recv_exactly(server, 11, "written after sock.close()") == b"still open\n"
        server.settimeout(0)
        expect(BlockingIOError, lambda: server.recv(1), "peer recv before the file closed")
        server.settimeout(TIMEOUT)
        server.sendall(b"line\n")
        line = timely(file.readline, "readline after sock.close()")
        assert line == b"line\n", f"readline after sock.close() returned {line!r}"
        file.close()
        expect_eof(server, "recv once the socket and its file are both closed")


@register
def check_makefile_unbuffered_write_goes_straight_through(h: Harness) -> None:
    """``makefile("wb", buffering=0)`` is unbuffered: ``write`` sends at once, no flush."""
    client, server = h.pair()
    with client.makefile("wb", buffering=0) as file:
        written = file.write(b"raw")
        assert written == 3, f"unbuffered write of 3 bytes returned {written!r}"
        assert recv_exactly(server, 3, "unbuffered write, not flushed") == b"raw"


@register
def check_recv_into_fills_buffer(h: Harness) -> None:
    """``recv_into(buffer)`` and ``recv_into(memoryview, nbytes)`` fill the buffer from its
    start, at most ``nbytes`` (default: its length), return the count, leave the rest alone."""
    client, server = h.pair()
    client.sendall(b"abcdefXY")
    buffer = bytearray(10)
    received = 0
    while received < 6:
        view = memoryview(buffer)[received:]
        count = timely(partial(server.recv_into, view, 6 - received), "recv_into")
        assert 0 < count <= 6 - received, f"recv_into(view, {6 - received}) gave {count!r}"
        received += count
    assert buffer == b"abcdef\0\0\0\0", f"recv_into(memoryview, nbytes) filled {buffer!r}"
    whole = bytearray(100)
    count = timely(partial(server.recv_into, whole), "recv_into")
    assert 0 < count <= 2, f"recv_into(bytearray(100)) with 2 bytes waiting gave {count!r}"
    assert whole[:count] == b"XY"[:count], f"recv_into filled {bytes(whole[:count])!r}"
    assert whole[count:] == bytes(100 - count), "recv_into wrote past what it received"


@register
def check_recv_peek_does_not_consume(h: Harness) -> None:
    """``recv(n, MSG_PEEK)`` returns the data waiting without consuming it."""
    client, server = h.pair()
    client.sendall(b"peekaboo")
    peeked = timely(partial(server.recv, 8, socket.MSG_PEEK), "recv with MSG_PEEK")
    assert peeked, "recv(8, MSG_PEEK) returned b'' with data waiting"
    assert b"peekaboo".startswith(peeked), f"recv(8, MSG_PEEK) returned {peeked!r}"
    again = timely(partial(server.recv, 8, socket.MSG_PEEK), "recv with MSG_PEEK")
    assert b"peekaboo".startswith(again), f"a second peek returned {again!r}"
    assert len(again) >= len(peeked), f"a second peek returned less: {again!r}"
    assert recv_exactly(server, 8, "recv after peeking") == b"peekaboo"


@register
def check_recvfrom_and_recvmsg_read_as_recv(h: Harness) -> None:
    """On a connected TCP socket ``recvfrom`` gives ``(data, None)``, ``recvfrom_into``
    ``(count, None)``, ``recvmsg`` ``(data, [], 0, None)`` and ``recvmsg_into``
    ``(count, [], 0, None)``: no sender's address, no ancillary data, no flags. Unconnected,
    they raise ``ENOTCONN``."""
    client, server = h.pair()
    client.sendall(b"abcdefgh")

    def recvfrom(size: int) -> bytes:
        data, address = server.recvfrom(size)
        assert address is None, f"recvfrom gave the address {address!r}, Linux None"
        return bytes(data)

    def recvfrom_into(size: int) -> bytes:
        buffer = bytearray(size)
        count, address = server.recvfrom_into(buffer)
        assert address is None, f"recvfrom_into gave the address {address!r}, Linux None"
        return bytes(buffer[:count])

    def recvmsg(size: int) -> bytes:
        data, ancillary, flags, address = server.recvmsg(size, 64)
        assert (ancillary, flags, address) == ([], 0, None), (
            f"recvmsg gave {(ancillary, flags, address)!r} beside the data, Linux ([], 0, None)"
        )
        return bytes(data)

    def recvmsg_into(size: int) -> bytes:
        first, second = bytearray(1), bytearray(size - 1)
        count, ancillary, flags, address = server.recvmsg_into([first, second])
        assert (ancillary, flags, address) == ([], 0, None), (
            f"recvmsg_into gave {(ancillary, flags, address)!r}, Linux ([], 0, None)"
        )
        return bytes(first + second)[:count]

    received = b"".join(
        read_all(read, 2, name)
        for name, read in (
            ("recvfrom", recvfrom),
            ("recvfrom_into", recvfrom_into),
            ("recvmsg", recvmsg),
            ("recvmsg_into", recvmsg_into),
        )
    )
    assert received == b"abcdefgh", f"the four reads together gave {received!r}"
    lone = h.socket()
    expect_errno(errno.ENOTCONN, lambda: lone.recvfrom(1), "recvfrom unconnected")
    expect_errno(errno.ENOTCONN, lambda: lone.recvmsg(1), "recvmsg unconnected")


@register
def check_zero_length_recvfrom_and_recvmsg_wait_for_data(h: Harness) -> None:
    """``recvfrom(0)`` and ``recvmsg(0)`` wait, as a read does, until there is something to
    read (a timeout: TimeoutError), then return nothing and leave it in place; ``recv(0)``
    returns ``b""`` at once (CPython asks the kernel for nothing)."""
    client, server = h.pair()
    server.settimeout(SHORT)
    assert server.recv(0) == b"", "recv(0) with nothing to read"
    expect(TimeoutError, lambda: server.recvfrom(0), "recvfrom(0) with nothing to read")
    expect(TimeoutError, lambda: server.recvmsg(0), "recvmsg(0) with nothing to read")
    client.sendall(b"ab")
    server.settimeout(TIMEOUT)
    got = timely(lambda: server.recvfrom(0), "recvfrom(0) with data on its way")
    assert got == (b"", None), f"recvfrom(0) with data waiting gave {got!r}"
    message = timely(lambda: server.recvmsg(0), "recvmsg(0) with data waiting")
    assert message == (b"", [], 0, None), f"recvmsg(0) with data waiting gave {message!r}"
    received = recv_exactly(server, 2, "recv after the zero-length reads")
    assert received == b"ab", f"the zero-length reads took data: then recv gave {received!r}"


@register
def check_listener_recv_and_send_wait_for_readiness(h: Harness) -> None:
    """On a listener with a timeout, ``recv`` waits as CPython waits for readiness: it times
    out, or once a connection waits raises ``ENOTCONN``; ``send`` always times out (a listener
    is never writable). Blocking, both fail at once: ``ENOTCONN`` and ``EPIPE``."""
    listener, address = h.listener()
    listener.settimeout(SHORT)
    expect(TimeoutError, lambda: listener.recv(1), "recv on a listener, no connection")
    client = h.socket()
    client.connect(address)
    expect_errno(errno.ENOTCONN, lambda: listener.recv(1), "recv, a connection waiting")
    expect(TimeoutError, lambda: listener.send(b"x"), "send on a listener")
    listener.settimeout(None)
    expect_errno(errno.ENOTCONN, lambda: listener.recv(1), "blocking recv on a listener")
    expect_errno(errno.EPIPE, lambda: listener.send(b"x"), "blocking send", BrokenPipeError)


@register
def check_sendto_and_sendmsg_send_as_send(h: Harness) -> None:
    """On a connected TCP socket ``sendto`` sends as ``send`` and ignores its address (which
    must still be well formed), and ``sendmsg`` sends its buffers joined; unconnected, both
    raise BrokenPipeError (``EPIPE``), as ``send`` does."""
    client, server = h.pair()
    sent = client.sendto(b"ab", (HOST, 1))
    assert sent == 2, f"sendto(b'ab', elsewhere) returned {sent!r}"
    sent = client.sendto(b"cd", 0, (HOST, 1))
    assert sent == 2, f"sendto(b'cd', 0, elsewhere) returned {sent!r}"
    sent = client.sendmsg([b"ef", memoryview(b"gh"), bytearray(b"ij")])
    assert sent == 6, f"sendmsg of three buffers, 6 bytes, returned {sent!r}"
    received = read_all(server.recv, 10, "recv after sendto and sendmsg")
    assert received == b"abcdefghij", f"sendto and sendmsg delivered {received!r}"
    lone = h.socket()
    expect_errno(errno.EPIPE, lambda: lone.sendto(b"x", (HOST, 1)), "sendto", BrokenPipeError)
    expect_errno(errno.EPIPE, lambda: lone.sendmsg([b"x"]), "sendmsg", BrokenPipeError)


@register
def check_sendfile_sends_from_offset_and_moves_file(h: Harness) -> None:
    """``sendfile(file, offset, count)`` sends ``count`` bytes from ``offset`` and leaves the
    file after them; with no count, to the end; a text file or a count of 0 is ValueError."""
    client, server = h.pair()
    file = io.BytesIO(b"0123456789")
    sent = client.sendfile(file, 2, 5)
    assert sent == 5, f"sendfile(file, 2, 5) returned {sent!r}"
    assert file.tell() == 7, f"after sendfile(file, 2, 5) the file is at {file.tell()}"
    sent = client.sendfile(file)
    assert sent == 3, f"sendfile(file) from position 7 of 10 returned {sent!r}"
    received = read_all(server.recv, 8, "recv after sendfile")
    assert received == b"23456789", f"sendfile delivered {received!r}"
    expect(ValueError, lambda: client.sendfile(io.BytesIO(b"x"), 0, 0), "count 0")


@register
def check_sendfile_of_a_regular_file(h: Harness) -> None:
    """A regular file (one with a descriptor) is sent whole, an empty one gives 0, and on a
    closed socket one is ValueError, as CPython's ``os.sendfile`` path answers."""
    with tempfile.TemporaryFile() as file:
        client, server = h.pair()
        file.write(b"regular")
        file.seek(0)
        sent = client.sendfile(file)
        assert sent == 7, f"sendfile of a 7-byte regular file returned {sent!r}"
        received = read_all(server.recv, 7, "recv after sendfile of a regular file")
        assert received == b"regular", f"sendfile of a regular file delivered {received!r}"
        with tempfile.TemporaryFile() as empty:
            sent = client.sendfile(empty)
            assert sent == 0, f"sendfile of an empty regular file returned {sent!r}"
        client.close()
        file.seek(0)
        expect(ValueError, lambda: client.sendfile(file), "sendfile after close")


@register
def check_inheritable_flag(h: Harness) -> None:
    """A new socket is not inheritable (PEP 446); ``set_inheritable`` sets what
    ``get_inheritable`` reads; both raise ``EBADF`` after close."""
    sock = h.socket()
    assert sock.get_inheritable() is False, "a new socket is inheritable"
    sock.set_inheritable(True)
    assert sock.get_inheritable() is True, "set_inheritable(True) did not stick"
    sock.set_inheritable(False)
    assert sock.get_inheritable() is False, "set_inheritable(False) did not stick"
    sock.close()
    expect_errno(errno.EBADF, sock.get_inheritable, "get_inheritable after close")
    expect_errno(errno.EBADF, lambda: sock.set_inheritable(True), "set_inheritable")


@register
def check_closed_socket_zero_length_calls(h: Harness) -> None:
    """On a closed socket ``recv(0)`` returns ``b""`` (Python asks the kernel for nothing), but
    ``send(b"")`` and ``sendall(b"")`` raise OSError ``EBADF``."""
    client, _ = h.pair()
    client.close()
    data = client.recv(0)
    assert data == b"", f"recv(0) on a closed socket returned {data!r}"
    expect_errno(errno.EBADF, lambda: client.send(b""), "send(b'') after close")
    expect_errno(errno.EBADF, lambda: client.sendall(b""), "sendall(b'') after close")


@register
def check_socket_type_and_buffer_options(h: Harness) -> None:
    """``SO_TYPE`` is ``SOCK_STREAM``; ``SO_RCVBUF`` and ``SO_SNDBUF`` start positive, and
    setting one to 32768 reads back 65536 (Linux doubles it for its bookkeeping)."""
    sock = h.socket()
    kind = sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
    assert kind == socket.SOCK_STREAM, f"SO_TYPE is {kind!r}"
    for name, option in (("SO_RCVBUF", socket.SO_RCVBUF), ("SO_SNDBUF", socket.SO_SNDBUF)):
        fresh = sock.getsockopt(socket.SOL_SOCKET, option)
        assert isinstance(fresh, int), f"{name} of a fresh socket: {fresh!r}"
        assert fresh > 0, f"{name} of a fresh socket: {fresh!r}"
        sock.setsockopt(socket.SOL_SOCKET, option, 32768)
        doubled = sock.getsockopt(socket.SOL_SOCKET, option)
        assert doubled == 65536, f"{name} set to 32768 reads back {doubled!r}, not 65536"
    _, server = h.pair()
    kind = server.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
    assert kind == socket.SOCK_STREAM, f"SO_TYPE of an accepted socket is {kind!r}"


@register
def check_an_ipv6_int_option_given_as_bytes_is_a_signed_int(h: Harness) -> None:
    """IPv6 reads an int option's bytes as a signed C int, as Linux's ip6 ``setsockopt`` does:
    the bytes of -1 set what the int -1 sets (the default hop limit), not 4294967295."""
    minus_one = (-1).to_bytes(4, sys.byteorder, signed=True)
    level, option = socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS
    as_int, as_bytes = h.socket(socket.AF_INET6), h.socket(socket.AF_INET6)
    as_int.setsockopt(level, option, -1)
    as_bytes.setsockopt(level, option, minus_one)
    got, expected = as_bytes.getsockopt(level, option), as_int.getsockopt(level, option)
    assert got == expected, f"IPV6_UNICAST_HOPS set from the bytes of -1 reads {got!r}"


_FRESH_OPTIONS = (  # Linux's defaults, and the sysctl each is read from where there is one
    (socket.SOL_SOCKET, "SO_DOMAIN", None, socket.AF_INET),
    (socket.SOL_SOCKET, "SO_PROTOCOL", None, socket.IPPROTO_TCP),
    (socket.SOL_SOCKET, "SO_KEEPALIVE", None, 0),
    (socket.IPPROTO_TCP, "TCP_NODELAY", None, 0),
    (socket.SOL_SOCKET, "SO_RCVLOWAT", None, 1),
    (socket.SOL_SOCKET, "SO_SNDLOWAT", None, 1),
    (socket.IPPROTO_IP, "IP_TTL", "ipv4/ip_default_ttl", 64),
    (socket.IPPROTO_TCP, "TCP_KEEPIDLE", "ipv4/tcp_keepalive_time", 7200),
    (socket.IPPROTO_TCP, "TCP_KEEPINTVL", "ipv4/tcp_keepalive_intvl", 75),
    (socket.IPPROTO_TCP, "TCP_KEEPCNT", "ipv4/tcp_keepalive_probes", 9),
    (socket.IPPROTO_TCP, "TCP_SYNCNT", "ipv4/tcp_syn_retries", 6),
    (socket.IPPROTO_TCP, "TCP_LINGER2", "ipv4/tcp_fin_timeout", 60),
    (socket.IPPROTO_TCP, "TCP_QUICKACK", None, 1),
)


@register
def check_int_options_of_a_fresh_socket_read_as_linux(h: Harness) -> None:
    """A fresh socket reads back Linux's defaults, not 0: its family and protocol, low-water
    marks of 1, the default TTL, the keepalive and SYN retry sysctls; ``IP_TTL`` set reads
    back, and set to -1 reads the default again."""
    sock = h.socket()
    read: dict[str, int] = {}
    for level, name, sysctl, linux_default in _FRESH_OPTIONS:
        if not hasattr(socket, name):
            continue
        default = linux_default
        if sysctl is not None:
            with contextlib.suppress(OSError, ValueError):
                default = int(Path("/proc/sys/net", sysctl).read_text(encoding="ascii"))
        read[name] = got = sock.getsockopt(level, getattr(socket, name))
        assert got == default, f"{name} of a fresh socket reads {got!r}, not {default}"
    for value, expected in ((200, 200), (-1, read["IP_TTL"])):
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, value)
        got = sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL)
        assert got == expected, f"IP_TTL set to {value} reads back {got!r}, not {expected}"


@register
def check_getsockopt_with_a_length_reads_what_linux_copies(h: Harness) -> None:
    """``getsockopt`` with a buffer length gives at most the option's size (an int's 4 bytes,
    ``SO_LINGER``'s 8), not the length asked for; IPv4 answers a short buffer with one byte.
    ``IP_TOS`` keeps a TCP socket's two ECN bits its own, and takes one byte as an int."""
    sock = h.socket()
    ttl = sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL)
    read = cast("Callable[[int, int, int], bytes]", sock.getsockopt)  # the form with a length
    for level, option, buflen, expected in (
        (socket.SOL_SOCKET, socket.SO_REUSEADDR, 8, bytes(4)),
        (socket.SOL_SOCKET, socket.SO_LINGER, 16, bytes(8)),
        (socket.SOL_SOCKET, socket.SO_RCVTIMEO, 32, bytes(16)),  # a struct timeval
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 8, bytes(4)),
        (socket.IPPROTO_IP, socket.IP_TTL, 2, bytes([ttl])),
        (socket.IPPROTO_IP, socket.IP_TOS, 2, bytes(1)),
    ):
        got = read(level, option, buflen)
        assert got == expected, f"getsockopt({level}, {option}, {buflen}) gave {got!r}"
    for value, tos in ((0xFF, 0xFC), (3, 0), (b"\x10", 0x10)):
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, value)
        got = read(socket.IPPROTO_IP, socket.IP_TOS, 4)
        assert got == tos.to_bytes(4, sys.byteorder), f"IP_TOS set to {value!r} reads {got!r}"
