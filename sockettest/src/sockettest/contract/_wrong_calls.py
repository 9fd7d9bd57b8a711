"""The wrong-call table: wrong arguments and Linux's answer to each, checked in one check.

A wrong argument to a real socket fails at once, before any system call; a fake that takes it
instead blocks, or returns data, and hides the bug. Each row was found by running the call on a
real loopback socket, which the contract's loopback run keeps doing.
"""

from __future__ import annotations

import errno
import io
import math
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sockettest._types import Address
from sockettest.contract._harness import (
    HOST,
    SHORT,
    TIMEOUT,
    Harness,
    expect,
    expect_errno,
    harness,
    recv_exactly,
    register,
)


@dataclass(frozen=True)
class WrongCall:
    """One call that Linux refuses (or takes, where a fake might not), with its answer: a row of
    :data:`WRONG_CALLS`, which :func:`check_wrong_calls_answer_as_linux` runs.

    Attributes:
        on: what it is called on: ``"fresh"`` (a new socket), ``"fresh AF_INET6"``,
            ``"connected"`` (a client with its server), ``"listener"``, ``"closed"``,
            ``"factory"`` (the socket factory itself, as ``__call__``), or a ``makefile``
            object of a connected socket: ``"rb file"``, ``"wb file"``, ``"r file"``,
            ``"raw file"`` (``"rb"``, unbuffered).
        method, args: the call; ``ADDRESS`` and ``PORT`` in ``args`` stand for a
            listener's, ``FILE`` for a fresh binary file.
        raises: the exception type Linux answers with (exactly that type); ``None``: it returns.
        errno: the errno it carries, where it has one.
    """

    on: str
    method: str
    args: tuple[Any, ...]
    raises: type[BaseException] | None
    errno: int | None = None

    @property
    def call(self) -> str:
        """The call as written: ``recv(4.0)``, ``setsockopt(SOL_SOCKET, SO_LINGER, b'ab')``."""
        method = "factory" if self.method == "__call__" else self.method
        return f"{method}({', '.join(map(repr, self.args))})"

    def make(self, target: Any, address: Address) -> object:
        """Call it on ``target``, with a listener's ``address`` for ``ADDRESS``."""
        args = tuple(_fill(arg, address) for arg in self.args)
        return getattr(target, self.method)(*args)


class _Arg:
    """An argument of a wrong call filled in when it runs, and named in the call's text."""

    def __init__(self, name: str, make: Callable[[Address], object]) -> None:
        self.name = name
        self.make = make

    def __repr__(self) -> str:
        return self.name


class _SocketConstants:
    """``S.SO_LINGER``: the constant of :mod:`socket`, named so in the call's text."""

    def __getattr__(self, name: str) -> _Arg:
        return _Arg(name, lambda address: getattr(socket, name))


S = _SocketConstants()
ADDRESS = _Arg("address", lambda address: address)
PORT = _Arg("port", lambda address: address[1])
FILE = _Arg("file", lambda address: io.BytesIO(b"ab"))
TEXT_FILE = _Arg("text_file", lambda address: io.StringIO("x"))
STRIDED = _Arg("memoryview(bytearray(8))[::2]", lambda address: memoryview(bytearray(8))[::2])
"""A buffer that is not contiguous: refused by every call that takes a buffer."""


def _fill(arg: object, address: Address) -> object:
    if isinstance(arg, _Arg):
        return arg.make(address)
    if isinstance(arg, tuple | list):
        return type(arg)(_fill(item, address) for item in arg)
    return arg


_ANY_FLAG = sys.version_info >= (3, 12)
"""Python 3.12 takes ``setblocking``'s flag as any object's truth; 3.11 wants an int."""


def _rows(on: str, *groups: tuple[Any, ...]) -> tuple[WrongCall, ...]:
    """The rows of the calls made on ``on``, from groups of a method, Linux's answer to them
    (an exception type, an (exception type, errno) pair, or ``None``: the call returns), and
    the argument tuples of the calls that get that answer."""
    return tuple(
        WrongCall(on, method, args, *(answer if isinstance(answer, tuple) else (answer,)))
        for method, answer, *calls in groups
        for args in calls
    )


WRONG_CALLS: tuple[WrongCall, ...] = (
    *_rows(
        "connected",
        ("recv", TypeError, (8 / 2,), ("1",), (None,), (1, "x"), (1, 1.0), (), (1, 0, 0)),
        ("recv", ValueError, (-1,)),
        ("recv", OverflowError, (2**63,), (1, 2**40)),
        ("recv_into", TypeError, (b"abc",), (memoryview(b"abc"),), ("abc",), (None,)),
        ("recv_into", TypeError, (bytearray(4), 1.0), (bytearray(4), 1, "x")),
        ("recv_into", ValueError, (bytearray(4), -1), (bytearray(4), 5)),
        ("recv_into", OverflowError, (bytearray(4), 2**63)),
        ("send", TypeError, ("str",), (1,), (None,), ([1],), (b"x", "x")),
        ("send", OverflowError, (b"x", 2**40)),
        ("send", BufferError, (STRIDED,)),
        ("sendall", BufferError, (STRIDED,)),
        ("sendto", BufferError, (STRIDED, ADDRESS)),
        ("sendmsg", BufferError, ([STRIDED],)),
        ("recv_into", TypeError, (STRIDED,)),
        ("recvmsg", ValueError, (1, 2**31)),
        ("recvmsg_into", OverflowError, (None, 2**63)),
        ("recvmsg_into", ValueError, ([bytearray(2)], 2**31)),
        # CPython converts a timeout to 64-bit nanoseconds before it looks at its sign
        ("settimeout", OverflowError, (-(2**63),), (-1e10,), (-9223372037,), (9223372037,)),
        ("settimeout", OverflowError, (9223372036.854776,)),
        ("settimeout", ValueError, (-9223372036.854776,), (-9223372036,)),
        ("settimeout", None, (9.21e9,), (9223372036,), (9223372036.854774,), (-0.0,)),
        # the address is resolved before the socket's state is looked at
        ("connect", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 0),)),
        ("connect_ex", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 0),)),
        ("sendall", TypeError, ("str",), (1,), (b"x", "x"), (b"x", 1.0)),
        ("shutdown", TypeError, ("x",), (1.0,), (None,), ()),
        ("shutdown", (OSError, errno.EINVAL), (7,), (-1,)),
        ("shutdown", OverflowError, (2**40,)),
        ("settimeout", ValueError, (-1,), (math.nan,)),
        ("settimeout", TypeError, ("x",), ()),
        ("settimeout", OverflowError, (math.inf,), (2**70,)),
        ("makefile", ValueError, ("x",), ("rt",)),
        ("makefile", TypeError, (1,)),
        ("getpeername", TypeError, (1,)),
        ("fileno", TypeError, (1,)),
        ("recvfrom", TypeError, (1.0,)),
        ("recvfrom", ValueError, (-1,)),
        ("recvfrom_into", TypeError, (b"abc",)),
        ("recvmsg", ValueError, (-1,), (1, -1)),
        ("recvmsg", TypeError, ("x",), (1, 1.0), (1, 0, "x")),
        ("sendto", TypeError, ("x", ADDRESS), (b"x", "y"), (b"x", "y", "z"), (b"x",)),
        ("sendto", OverflowError, (b"x", (HOST, 70000))),
        ("sendto", None, (b"x", ADDRESS), (b"x", 0, ADDRESS)),
        ("sendmsg", TypeError, ("x",), (b"x",), (["x"],), ([b"x"], None), ([b"x"], [1])),
        ("sendmsg", TypeError, ([b"x"], [], "x"), ([b"x"], [], 0, "a")),
        ("sendmsg", None, ([b"x"], [], 0, ADDRESS)),
        ("set_inheritable", TypeError, ("x",), (None,)),
        ("set_inheritable", None, (2,)),
        ("sendfile", TypeError, (TEXT_FILE,), (FILE, 0, "x"), (FILE, "x")),
        ("sendfile", ValueError, (FILE, 0, 0), (FILE, -1)),
        ("connect_ex", TypeError, ("x",)),
        ("connect_ex", None, (ADDRESS,)),
        ("listen", TypeError, ("1",)),
        # with a timeout CPython waits for readiness first: a connection has nothing to read
        ("accept", TimeoutError, ()),
    ),
    *_rows(
        "fresh",
        ("listen", TypeError, ("1",), (1.5,), (None,)),
        ("listen", OverflowError, (2**40,)),
        ("listen", None, (-1,)),
        ("setblocking", None if _ANY_FLAG else TypeError, ("x",), (None,), (2.5,), ([],)),
        ("setblocking", None if _ANY_FLAG else OverflowError, (2**70,)),
        ("setblocking", TypeError, ()),
        ("bind", TypeError, ("x",), ([HOST, 0],), ((HOST,),), ((HOST, 0, 0),), ((HOST, "80"),)),
        ("bind", TypeError, ((HOST, 0.0),), ((1, 0),), ((None, 0),), (("127.0.0.1\x00", 0),)),
        # "\xe9..b": IDNA cannot encode it ("encoding of hostname failed")
        ("bind", TypeError, (("\udcff", 0),), (("\xe9..b", 0),)),
        ("bind", OverflowError, ((HOST, 70000),), ((HOST, -1),), ((HOST, 2**70),)),
        ("bind", None, ((HOST, True),), ((b"127.0.0.1", 0),), ((bytearray(b"127.0.0.1"), 0),)),
        ("bind", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 0),)),
        # the host is resolved before the port's range is checked, not before its type
        ("bind", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 70000),), (("::1", -1),)),
        ("bind", OverflowError, (("::1", 2**40),)),
        ("sendto", (socket.gaierror, socket.EAI_ADDRFAMILY), (b"x", ("::1", 70000))),
        ("connect", TypeError, ((HOST,),), ((HOST, None),)),
        ("connect", OverflowError, ((HOST, 70000),)),
        ("connect_ex", TypeError, ((None, 1),), ("x",)),
        ("connect_ex", OverflowError, ((HOST, 70000),)),
        # connect itself with this one: pytest-socket's host guard cannot read the host
        ("connect_ex", None, ((b"127.0.0.1", PORT),)),
        (
            "setsockopt",
            (OSError, errno.EINVAL),
            (S.SOL_SOCKET, S.SO_LINGER, b"ab"),
            (S.SOL_SOCKET, S.SO_LINGER, 1),
            (S.SOL_SOCKET, S.SO_REUSEADDR, b""),
            (S.SOL_SOCKET, S.SO_RCVBUF, b""),
            (S.SOL_SOCKET, S.SO_RCVTIMEO, 1),
            (S.IPPROTO_TCP, S.TCP_NODELAY, b""),
        ),
        (
            "setsockopt",
            TypeError,
            (S.SOL_SOCKET, S.SO_REUSEADDR, "1"),
            (S.SOL_SOCKET, S.SO_REUSEADDR, 1.0),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None),
            (S.SOL_SOCKET, S.SO_REUSEADDR, 2**40),
            (S.SOL_SOCKET, S.SO_REUSEADDR, 1, 4),
            (S.SOL_SOCKET, S.SO_REUSEADDR),
            ("x", S.SO_REUSEADDR, 1),
            (S.SOL_SOCKET, "x", 1),
        ),
        (
            # the system call refuses a negative length (optlen is unsigned in Python, an int
            # in Linux), and an int-valued level one shorter than an int, before all else
            "setsockopt",
            (OSError, errno.EINVAL),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None, 0),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None, 3),
            (S.SOL_SOCKET, S.SO_KEEPALIVE, None, 1),
            (S.SOL_SOCKET, S.SO_TYPE, None, 2),
            (S.SOL_SOCKET, 9999, None, 3),
            (S.IPPROTO_TCP, S.TCP_NODELAY, None, 3),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None, -1),
            (S.IPPROTO_IP, 9999, None, 2**32 - 1),
            (9999, 1, None, -1),
        ),
        (
            "setsockopt",
            (OSError, errno.EFAULT),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None, 4),
            (S.SOL_SOCKET, S.SO_REUSEADDR, None, 8),
            (S.SOL_SOCKET, 9999, None, 4),
            (S.IPPROTO_TCP, S.TCP_NODELAY, None, 4),
            (S.IPPROTO_IP, S.IP_TOS, None, 4),
        ),
        (
            "setsockopt",
            (OSError, errno.ENOPROTOOPT),
            (S.SOL_SOCKET, 9999, 1),
            (9999, 1, 1),
            (S.IPPROTO_TCP, 9999, 1),
            (S.IPPROTO_IPV6, S.IPV6_V6ONLY, 1),
            (S.SOL_SOCKET, S.SO_TYPE, 1),
            (S.IPPROTO_IP, 9999, 1),
            (S.IPPROTO_IP, 9999, None, 4),
        ),
        (
            # the int options Linux bounds: 1-255 or -1 (the default), 1-32767, 1-127
            "setsockopt",
            (OSError, errno.EINVAL),
            *((S.IPPROTO_IP, S.IP_TTL, value) for value in (0, 256, -2, b"")),
            (S.IPPROTO_IP, S.IP_TTL, struct.pack("i", 300)),  # four bytes: an int, not a char
            *((S.IPPROTO_TCP, S.TCP_KEEPIDLE, value) for value in (0, 32768)),
            *((S.IPPROTO_TCP, S.TCP_KEEPINTVL, value) for value in (0, 32768)),
            *((S.IPPROTO_TCP, S.TCP_KEEPCNT, value) for value in (0, 128)),
            *((S.IPPROTO_TCP, S.TCP_SYNCNT, value) for value in (0, 128)),
            (S.IPPROTO_TCP, S.TCP_USER_TIMEOUT, -1),
        ),
        ("setsockopt", (OSError, errno.ENOPROTOOPT), (S.SOL_SOCKET, S.SO_SNDLOWAT, 1)),
        (
            "setsockopt",
            None,
            *((S.IPPROTO_IP, S.IP_TTL, value) for value in (-1, 1, 255)),
            (S.IPPROTO_IP, S.IP_TOS, b""),  # IPv4 reads no byte as 0
            *((S.IPPROTO_TCP, S.TCP_KEEPIDLE, value) for value in (1, 32767)),
            *((S.IPPROTO_TCP, S.TCP_KEEPINTVL, value) for value in (1, 32767)),
            *((S.IPPROTO_TCP, S.TCP_KEEPCNT, value) for value in (1, 127)),
            *((S.IPPROTO_TCP, S.TCP_SYNCNT, value) for value in (1, 127)),
            (S.IPPROTO_TCP, S.TCP_USER_TIMEOUT, 0),
            (S.SOL_SOCKET, S.SO_RCVBUF, b"\x00\x01\x00\x00"),
            (S.IPPROTO_IP, S.IP_TOS, b"\x01"),
            (S.SOL_SOCKET, S.SO_LINGER, bytes(8)),
        ),
        ("getsockopt", TypeError, ("x", 1), (S.SOL_SOCKET,), (S.SOL_SOCKET, S.SO_TYPE, "x")),
        ("getsockopt", OverflowError, (2**40, 1)),
        ("getsockopt", (OSError, errno.ENOPROTOOPT), (S.SOL_SOCKET, 9999), (S.IPPROTO_TCP, 9999)),
        ("getsockopt", (OSError, errno.ENOPROTOOPT), (S.IPPROTO_IP, 9999)),
        ("getsockopt", (OSError, errno.EOPNOTSUPP), (9999, 1), (S.IPPROTO_IPV6, S.IPV6_V6ONLY)),
        ("getsockopt", OSError, (S.SOL_SOCKET, S.SO_TYPE, -1), (S.SOL_SOCKET, S.SO_TYPE, 2000)),
        ("getsockopt", None, (S.SOL_SOCKET, S.SO_TYPE, 0), (S.SOL_SOCKET, S.SO_TYPE, 1)),
        ("getsockopt", None, (S.SOL_SOCKET, S.SO_TYPE, 1024)),
        ("shutdown", TypeError, ("x",)),
        ("shutdown", (OSError, errno.EINVAL), (7,)),
        ("shutdown", (OSError, errno.ENOTCONN), (S.SHUT_RD,)),
        ("accept", (OSError, errno.EINVAL), ()),
        ("recvfrom", (OSError, errno.ENOTCONN), (1,)),
        ("recv", (OSError, errno.EINVAL), (8, S.MSG_OOB)),
        ("sendto", (BrokenPipeError, errno.EPIPE), (b"x", ADDRESS)),
    ),
    *_rows(
        "listener",
        # with a timeout CPython waits for readiness first, which a listener never has to send
        # and has to read only once a connection waits
        ("accept", TypeError, (1,)),
        ("listen", TypeError, ("1",)),
        ("recv", TimeoutError, (1,)),
        ("recvfrom", TimeoutError, (1,)),
        ("send", TimeoutError, (b"x",)),
        ("sendall", TimeoutError, (b"x",)),
    ),
    *_rows(
        "closed",
        ("recv", TypeError, ("x",)),
        ("recv", ValueError, (-1,)),
        ("recv_into", TypeError, (b"abc",), (bytearray(4), 0, "x")),
        ("recv_into", ValueError, (bytearray(4), -1), (bytearray(4), 5)),
        ("recv_into", None, (bytearray(0),)),
        ("recv_into", (OSError, errno.EBADF), (bytearray(4),)),
        ("recvfrom_into", TypeError, (b"abc",), (bytearray(4), 0, "x")),
        ("recvfrom_into", ValueError, (bytearray(4), -1), (bytearray(4), 5)),
        ("recvfrom_into", (OSError, errno.EBADF), (bytearray(0),), (bytearray(4),)),
        ("send", TypeError, ("x",)),
        ("sendall", TypeError, (1,)),
        ("listen", TypeError, ("1",)),
        ("shutdown", TypeError, ("x",)),
        ("settimeout", TypeError, ("x",)),
        ("setblocking", (OSError, errno.EBADF) if _ANY_FLAG else TypeError, ("x",)),
        ("setsockopt", TypeError, ("x", 1, 1)),
        ("getsockopt", OSError, (S.SOL_SOCKET, S.SO_TYPE, -1)),
        ("bind", TypeError, ((HOST, "80"),)),
        ("recvfrom", (OSError, errno.EBADF), (0,)),
        ("recvmsg", (OSError, errno.EBADF), (0,)),
        ("get_inheritable", (OSError, errno.EBADF), ()),
        ("set_inheritable", TypeError, ("x",)),
        ("dup", (OSError, errno.EBADF), ()),
        ("detach", None, ()),
        ("sendfile", (OSError, errno.EBADF), (FILE,)),
        ("sendfile", ValueError, (FILE, -1)),
        ("connect_ex", TypeError, ("x",)),
        ("connect_ex", None, ((HOST, 1),)),
        ("connect", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 0),)),
        ("connect_ex", (socket.gaierror, socket.EAI_ADDRFAMILY), (("::1", 0),)),
        ("getsockname", (OSError, errno.EBADF), ()),
        ("getsockname", TypeError, (1,)),
        ("close", TypeError, (1,)),
        ("gettimeout", TypeError, (1,)),
        ("getblocking", TypeError, (1,)),
    ),
    *_rows(
        "fresh AF_INET6",
        ("bind", OverflowError, (("::1", 0, 2**20),), (("::1", 0, -1),)),
        ("bind", None, (("::1", 0, 2**20 - 1),)),  # the largest flowinfo
        ("bind", TypeError, (("::1",),), (("::1", 0, 0, 0, 0),)),
        ("bind", TypeError, (("::1", 0, "x"),), (("::1", 0, 0, "x"),)),
        ("bind", (socket.gaierror, socket.EAI_ADDRFAMILY), ((HOST, 0),)),
        ("bind", (socket.gaierror, socket.EAI_ADDRFAMILY), ((HOST, 70000),), ((HOST, 0, 2**20),)),
        ("connect_ex", OverflowError, (("::1", 70000),)),
        ("getsockopt", (OSError, errno.ENOPROTOOPT), (9999, 1), (S.IPPROTO_IPV6, 9999)),
        ("getsockopt", None, (S.IPPROTO_IP, S.IP_TOS)),
        ("setsockopt", (OSError, errno.ENOPROTOOPT), (9999, 1, 1), (S.IPPROTO_IPV6, 9999, 1)),
        (
            "setsockopt",
            (OSError, errno.EINVAL),
            (S.IPPROTO_IPV6, S.IPV6_V6ONLY, b"\x01"),
            (S.IPPROTO_IPV6, S.IPV6_V6ONLY, None, 3),
            (S.IPPROTO_IPV6, S.IPV6_V6ONLY, None, -1),
        ),
        ("setsockopt", (OSError, errno.ENOPROTOOPT), (S.IPPROTO_IPV6, 9999, None, 3)),
        ("setsockopt", None, (S.IPPROTO_IPV6, S.IPV6_V6ONLY, None, 4)),
        ("setsockopt", (OSError, errno.EINVAL), (S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS, 256)),
        ("setsockopt", (OSError, errno.EINVAL), (S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS, -2)),
        ("setsockopt", None, (S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS, 0)),
        ("setsockopt", None, (S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS, -1)),
        ("setsockopt", None, (S.IPPROTO_IPV6, S.IPV6_UNICAST_HOPS, 255)),
    ),
    *_rows(
        "factory",
        ("__call__", TypeError, ("x", S.SOCK_STREAM), (S.AF_INET, "x"), (1.0, S.SOCK_STREAM)),
        ("__call__", OverflowError, (2**40, S.SOCK_STREAM)),
        # a type Linux does not have is refused before the family is looked at
        (
            "__call__",
            (OSError, errno.EINVAL),
            (S.AF_INET, 99),
            (99, 99),
            (S.AF_INET, 257),
            (S.AF_INET, 11),
            (S.AF_INET, -2),
        ),
        (
            "__call__",
            (OSError, errno.ESOCKTNOSUPPORT),
            (S.AF_INET, S.SOCK_SEQPACKET),
            (S.AF_INET, 0),
        ),
        ("__call__", (OSError, errno.EAFNOSUPPORT), (99, S.SOCK_STREAM)),
    ),
    *_rows(
        "rb file",
        ("read", TypeError, ("x",)),
        ("readinto", TypeError, (b"abc",)),
        ("write", io.UnsupportedOperation, (b"x",)),
    ),
    *_rows(
        "raw file",
        ("readinto", TypeError, (b"abc",), (memoryview(b"abc"),)),
    ),
    *_rows(
        "wb file",
        ("write", TypeError, ("str",), (1,)),
        ("read", io.UnsupportedOperation, (1,)),
    ),
    *_rows(
        "r file",
        ("write", io.UnsupportedOperation, ("x",)),
        ("read", TypeError, ("x",)),
    ),
)
"""Wrong calls and Linux's answers: each raises exactly this type (and errno) at once, or, with
``raises=None``, returns. Found by running each on a real loopback socket, which the contract's
loopback run keeps doing."""

_FILES: dict[str, tuple[str, dict[str, Any]]] = {
    "rb file": ("rb", {}),
    "raw file": ("rb", {"buffering": 0}),
    "wb file": ("wb", {}),
    "r file": ("r", {"encoding": "utf-8"}),
}
"""The ``makefile`` objects of a connected socket that rows are called on: mode and options."""


def _answer(row: WrongCall, error: BaseException | None, value: object) -> str | None:
    """What is wrong with how a call answered, or ``None``."""
    if error is None:
        if row.raises is None:
            return None
        return f"expected {row.raises.__name__}, but it returned {value!r}"
    if row.raises is None:
        return f"expected it to return, got {error!r}"
    if type(error) is not row.raises:
        return f"expected {row.raises.__name__}, got {error!r}"
    code = getattr(error, "errno", None)
    if row.errno is not None and code != row.errno:
        return f"expected errno {errno.errorcode.get(row.errno, row.errno)}, got {error!r}"
    return None


def _wrong_call(h: Harness, row: WrongCall) -> str | None:
    listener, address = h.listener()
    target: Any
    if row.on == "fresh":
        target = h.socket()
    elif row.on == "fresh AF_INET6":
        target = h.ipv6_socket()
        if target is None:
            return None  # no IPv6 on this host: nothing to compare
    elif row.on == "factory":
        target = h.factory
    elif row.on == "listener":
        target = listener
        target.settimeout(SHORT)
    elif row.on == "closed":
        target = h.socket()
        target.close()
    else:
        target, _ = h.pair()
        target.settimeout(SHORT)  # a call that waits instead of failing at once fails fast
    files: list[Any] = []
    if row.on in _FILES:
        mode, options = _FILES[row.on]
        files.append(target.makefile(mode, **options))
    try:
        value = row.make(files[0] if files else target, address)
    except Exception as error:
        return _answer(row, error, None)
    finally:
        for file in files:
            file.close()
    return _answer(row, None, value)


@register
def check_wrong_calls_answer_as_linux(h: Harness) -> None:
    """Each call of :data:`WRONG_CALLS` answers as on Linux: the same exception type (and errno),
    at once, or a return where Linux takes it. The failure lists every call that differs."""
    wrong: list[str] = []
    for row in WRONG_CALLS:
        with harness(h.factory, "wrong_call") as fresh:  # each call on sockets of its own
            problem = _wrong_call(fresh, row)
        if problem is not None:
            wrong.append(f"  {row.on}: {row.call}: {problem}")
    if wrong:  # raised, not asserted: pytest's rewriting would repeat the list
        listed = "\n".join(wrong)
        raise AssertionError(f"{len(wrong)} of {len(WRONG_CALLS)} wrong calls differ:\n{listed}")


_OOB_READS: dict[str, Callable[[Any], object]] = {
    "recv": lambda sock: sock.recv(8, socket.MSG_OOB),
    "recv_into": lambda sock: sock.recv_into(bytearray(8), 8, socket.MSG_OOB),
    "recvfrom": lambda sock: sock.recvfrom(8, socket.MSG_OOB),
    "recvfrom_into": lambda sock: sock.recvfrom_into(bytearray(8), 8, socket.MSG_OOB),
    "recvmsg": lambda sock: sock.recvmsg(8, 0, socket.MSG_OOB),
}
"""Each call that reads with flags, asking for urgent data (``MSG_OOB``)."""


@register
def check_urgent_read_without_urgent_data_answers_einval(h: Harness) -> None:
    """A read with ``MSG_OOB`` on a connection with no urgent data raises ``EINVAL`` and takes
    none of the bytes waiting, with ``SO_OOBINLINE`` or without, blocking or not; with a
    timeout it first waits, as any read does, until the socket is readable (CPython polls before
    it reads), so with nothing to read it times out."""
    client, server = h.pair()
    server.settimeout(SHORT)
    expect(TimeoutError, lambda: server.recv(8, socket.MSG_OOB), "recv(8, MSG_OOB), no data")
    client.sendall(b"hello")
    for inline in (0, 1):
        server.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, inline)
        for timeout in (TIMEOUT, None, 0.0):  # the first waits until the bytes have come
            server.settimeout(timeout)
            for name, read in _OOB_READS.items():
                what = f"{name} with MSG_OOB (SO_OOBINLINE {inline}, timeout {timeout})"
                expect_errno(errno.EINVAL, partial(read, server), what)
    server.settimeout(TIMEOUT)
    assert recv_exactly(server, 5, "the bytes after the MSG_OOB reads") == b"hello"
    for timeout in (None, 0.0):  # nothing to read: no wait
        server.settimeout(timeout)
        expect_errno(errno.EINVAL, partial(_OOB_READS["recv"], server), "recv(8, MSG_OOB), none")


_FLAGS: tuple[tuple[int, str], ...] = (
    (socket.SOL_SOCKET, "SO_REUSEADDR"),
    (socket.SOL_SOCKET, "SO_KEEPALIVE"),
    (socket.SOL_SOCKET, "SO_BROADCAST"),
    (socket.SOL_SOCKET, "SO_OOBINLINE"),
    (socket.SOL_SOCKET, "SO_DONTROUTE"),
    (socket.IPPROTO_TCP, "TCP_NODELAY"),
    (socket.IPPROTO_TCP, "TCP_CORK"),
)
"""Flag options of an ``AF_INET`` socket, by name (``TCP_CORK`` is Linux's own)."""


@register
def check_flag_options_read_back_one(h: Harness) -> None:
    """A flag option (``SO_REUSEADDR``, ``SO_KEEPALIVE``, ``TCP_NODELAY``, ``IPV6_V6ONLY``, ...)
    set to any value but 0, as an int or as an int's bytes, reads back 1; set to 0, 0."""
    sockets = [(h.socket(), level, name) for level, name in _FLAGS if hasattr(socket, name)]
    only6 = h.ipv6_socket()  # None without IPv6 on this host
    if only6 is not None:
        sockets.append((only6, socket.IPPROTO_IPV6, "IPV6_V6ONLY"))
    for sock, level, name in sockets:
        option = getattr(socket, name)
        for value in (2, -1, 256, struct.pack("i", 2)):
            sock.setsockopt(level, option, value)
            got = sock.getsockopt(level, option)
            assert got == 1, f"{name} set to {value!r} reads back {got!r}"
        sock.setsockopt(level, option, 0)
        assert sock.getsockopt(level, option) == 0, f"{name} set to 0 reads back not 0"
