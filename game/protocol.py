"""The wire protocol, sans-IO: bytes in, messages out; messages in, bytes out.

Nothing here touches a socket, a clock or a thread. :class:`LineBuffer` turns a byte stream,
however it is split, into complete text lines; the ``parse_*`` functions turn a line into a typed
message; every message's :meth:`~Message.encode` turns it back into bytes. The server and the
client are thin loops around these pieces, and the tests can drive them one byte at a time.

Rules of this module (see docs/PROTOCOL.md for the protocol itself):

1. A line is at most :data:`MAX_LINE` bytes including its ``\\n``. The buffer reports an
   over-long line as soon as that many bytes have arrived without one, never later.
2. Command words are case-insensitive; trailing whitespace is stripped; empty lines are skipped.
3. Parsing a message and encoding it again gives the same message: ``parse(m.encode()) == m``.
4. No line the server sends is longer than :data:`MAX_LINE`: an ``ERROR`` that quotes what a
   client sent quotes at most :data:`QUOTE_LIMIT` bytes of it (:func:`quote`), and a reason too
   long for a line is cut (:class:`Error`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from game.errors import LineTooLong, NotUTF8, ProtocolViolation
from game.rules import Board, Mark

__all__ = [
    "GAME",
    "MAX_LINE",
    "NAME_PATTERN",
    "QUOTE_LIMIT",
    "SHUTTING_DOWN",
    "VERSION",
    "Banner",
    "Bye",
    "ClientCommand",
    "End",
    "Error",
    "Hello",
    "LineBuffer",
    "Message",
    "Move",
    "Ping",
    "Pong",
    "Quit",
    "Result",
    "ServerMessage",
    "Start",
    "Turn",
    "Update",
    "Wait",
    "Welcome",
    "check_token",
    "parse_command",
    "parse_message",
    "quote",
]

GAME = "tictactoe"
VERSION = 1
MAX_LINE = 512
"""The longest line either side may send, in bytes, including the ending ``\\n``."""

SHUTTING_DOWN = "server shutting down"
"""The ``ERROR`` reason every client gets when the server stops: not a mistake of theirs, and no
match is forfeited."""

QUOTE_LIMIT = 40
"""The most bytes of a client's input that an ``ERROR`` reason quotes, marker included."""

_CUT = "..."
"""What ends a quote that was shortened."""

_LINE_BREAKING = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Unicode categories a token may not hold: controls (NUL, CR, tab), lone surrogates, and the
line and paragraph separators (U+2028, U+2029; U+0085 is a Cc), which some line readers split on."""


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` quoted for an ``ERROR`` reason, as its ``repr`` cut to at most ``limit`` UTF-8
    bytes: a cut quote ends with ``...`` after its last whole character.

    >>> quote("10")
    "'10'"
    >>> quote("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    """
    return _shorten(repr(text), limit)


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes: if longer, cut after its last whole character
    and ended with ``...``."""
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len(_CUT)].decode("utf-8", errors="ignore") + _CUT


def check_token(token: str) -> None:
    """Raise :class:`ProtocolViolation` unless ``token`` is fit for ``PING``/``PONG``: one line,
    none of the characters that a line reader may split or drop (:data:`_LINE_BREAKING`), no
    trailing whitespace. The server and the client make the same check."""
    for character in token:
        if unicodedata.category(character) in _LINE_BREAKING:
            raise ProtocolViolation(
                f"a PING token may not hold {quote(character)} (a control character or a line "
                "separator)"
            )
    if token != token.rstrip():
        raise ProtocolViolation("a PING token has no trailing whitespace")


NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,16}")
"""What a player's name may be: 1-16 ASCII letters, digits, ``_`` or ``-``."""


class LineBuffer:
    """Reassembles text lines from a byte stream split at arbitrary points.

    Feed it whatever ``recv`` returned; it returns the lines that are now complete, without their
    ``\\n`` or ``\\r\\n`` and without trailing whitespace, skipping empty ones. Bytes after the last
    ``\\n`` wait for the next call; at EOF they are simply dropped (a partial line is no line).
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._max_line = max_line
        self._pending = bytearray()

    @property
    def pending(self) -> bytes:
        """The bytes of the incomplete line received so far."""
        return bytes(self._pending)

    def feed(self, data: bytes) -> list[str]:
        """Add ``data`` and return the complete lines it finished.

        Raises:
            LineTooLong: a line (including its ending) is longer than ``max_line`` bytes, or
                ``max_line`` bytes are pending without an ending.
            NotUTF8: a complete line is not valid UTF-8.

            Either carries, in its ``lines``, the complete lines that ``data`` finished before
            the violation: handle those first, then the error, and the outcome is the same
            however the stream was split.
        """
        if (
            not self._pending
            and 0 < len(data) <= self._max_line
            and data.find(b"\n") == len(data) - 1
        ):
            # The common case, one whole line a read, without copying it into the buffer.
            try:
                line = data[:-1].decode("utf-8").rstrip()
            except UnicodeDecodeError:
                raise NotUTF8("line is not valid UTF-8") from None
            return [line] if line else []
        self._pending += data
        lines: list[str] = []
        while True:
            end = self._pending.find(b"\n")
            if end == -1:
                if len(self._pending) >= self._max_line:
                    raise LineTooLong(f"line longer than {self._max_line} bytes", lines=lines)
                return lines
            if end + 1 > self._max_line:
                raise LineTooLong(f"line longer than {self._max_line} bytes", lines=lines)
            raw = bytes(self._pending[:end])
            del self._pending[: end + 1]
            try:
                line = raw.decode("utf-8").rstrip()
            except UnicodeDecodeError:
                raise NotUTF8("line is not valid UTF-8", lines=lines) from None
            if line:
                lines.append(line)


class Message:
    """A line of the protocol. Subclasses are frozen dataclasses with a fixed command word."""

    WORD: ClassVar[str]

    def arguments(self) -> str:
        """The text after the command word ("" for none)."""
        return ""

    def to_line(self) -> str:
        """The line as sent, without its ending."""
        args = self.arguments()
        return f"{self.WORD} {args}" if args else self.WORD

    def encode(self) -> bytes:
        """The line as bytes on the wire, ending in ``\\n``."""
        return (self.to_line() + "\n").encode("utf-8")


# Client -> server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hello(Message):
    """``HELLO <name>``: join the lobby under ``name``."""

    WORD = "HELLO"
    name: str

    def arguments(self) -> str:
        return self.name


@dataclass(frozen=True)
class Move(Message):
    """``MOVE <cell>``: take a cell, 1-9 row by row from the top left."""

    WORD = "MOVE"
    cell: int

    def arguments(self) -> str:
        return str(self.cell)


@dataclass(frozen=True)
class Ping(Message):
    """``PING [token]``: ask for a ``PONG`` carrying the same token; allowed at any time."""

    WORD = "PING"
    token: str = ""

    def arguments(self) -> str:
        return self.token


@dataclass(frozen=True)
class Quit(Message):
    """``QUIT``: leave; the server answers ``BYE`` and closes."""

    WORD = "QUIT"


ClientCommand: TypeAlias = Hello | Move | Ping | Quit

# Server -> client ---------------------------------------------------------------------------


class Result(enum.Enum):
    """How a game ended, from the receiving player's side."""

    WIN = "WIN"
    LOSE = "LOSE"
    DRAW = "DRAW"


@dataclass(frozen=True)
class Banner(Message):
    """``GAME tictactoe 1``: the first line of every connection."""

    WORD = "GAME"
    game: str = GAME
    version: int = VERSION

    def arguments(self) -> str:
        return f"{self.game} {self.version}"


@dataclass(frozen=True)
class Welcome(Message):
    """``WELCOME <name>``: the answer to ``HELLO``."""

    WORD = "WELCOME"
    name: str

    def arguments(self) -> str:
        return self.name


@dataclass(frozen=True)
class Wait(Message):
    """``WAIT``: nobody else is waiting yet; a ``START`` will follow when someone is."""

    WORD = "WAIT"


@dataclass(frozen=True)
class Start(Message):
    """``START X|O <opponent>``: a match begins; X moves first."""

    WORD = "START"
    mark: Mark
    opponent: str

    def arguments(self) -> str:
        return f"{self.mark.value} {self.opponent}"


@dataclass(frozen=True)
class Update(Message):
    """``BOARD <cells>``: the position after the last move (or the empty board at the start)."""

    WORD = "BOARD"
    board: Board

    def arguments(self) -> str:
        return self.board.cells


@dataclass(frozen=True)
class Turn(Message):
    """``TURN``: it is your move."""

    WORD = "TURN"


@dataclass(frozen=True)
class End(Message):
    """``END WIN|LOSE|DRAW [forfeit]``: the match is over; ``forfeit`` if the opponent left."""

    WORD = "END"
    result: Result
    forfeit: bool = False

    def arguments(self) -> str:
        return f"{self.result.value} forfeit" if self.forfeit else self.result.value


@dataclass(frozen=True)
class Bye(Message):
    """``BYE``: the server is about to close this connection."""

    WORD = "BYE"


@dataclass(frozen=True)
class Pong(Message):
    """``PONG [token]``: the answer to ``PING``, with its token."""

    WORD = "PONG"
    token: str = ""

    def arguments(self) -> str:
        return self.token


@dataclass(frozen=True)
class Error(Message):
    """``ERROR <reason>``: a mistake; fatal ones are followed by a close, not by ``BYE``."""

    WORD = "ERROR"
    reason: str

    def __post_init__(self) -> None:
        # Never a line the peer must reject: a reason too long for one is cut.
        object.__setattr__(self, "reason", _shorten(self.reason, MAX_LINE - len("ERROR \n")))

    def arguments(self) -> str:
        return self.reason


ServerMessage: TypeAlias = (
    Banner | Welcome | Wait | Start | Update | Turn | End | Bye | Pong | Error
)

# Parsing ------------------------------------------------------------------------------------

_COMMANDS = "HELLO, MOVE, PING or QUIT"


def _split(line: str) -> tuple[str, str]:
    """Split a line into its upper-cased command word and the rest, verbatim. Only an ASCII
    word is upper-cased: ``str.upper()`` makes a dotless i (U+0131) an ``I``, and so would take
    ``qu\u0131t`` for QUIT."""
    word, _, rest = line.rstrip().partition(" ")
    return (word.upper() if word.isascii() else word), rest


def _parse_cell(text: str) -> int:
    if len(text) != 1 or text not in "0123456789":
        raise ProtocolViolation(f"a cell is one digit 1-9, not {quote(text)}")
    cell = int(text)
    if cell == 0:
        raise ProtocolViolation("cell 0 is outside 1-9")
    return cell


def _no_arguments(word: str, rest: str) -> None:
    if rest.strip():
        raise ProtocolViolation(f"{word} takes no argument")


def parse_command(line: str) -> ClientCommand:
    """Parse one line a client sent.

    Raises:
        ProtocolViolation: unknown command or bad argument; the message is fit to send back in
            an ``ERROR`` line.
    """
    word, rest = _split(line)
    if word == "HELLO":
        name = rest.strip()
        if not NAME_PATTERN.fullmatch(name):
            raise ProtocolViolation("a name is 1-16 of A-Z a-z 0-9 _ -, as in HELLO alice")
        return Hello(name)
    if word == "MOVE":
        args = rest.split()
        if len(args) != 1:
            raise ProtocolViolation("MOVE takes one cell, 1-9, as in MOVE 5")
        return Move(_parse_cell(args[0]))
    if word == "PING":
        check_token(rest)
        return Ping(rest)
    if word == "QUIT":
        _no_arguments(word, rest)
        return Quit()
    if not word:  # a leading space: quoting the empty word would say nothing
        raise ProtocolViolation(
            f"a line starts with its command word, not a space; try {_COMMANDS}"
        )
    raise ProtocolViolation(f"unknown command {quote(word)}; try {_COMMANDS}")


def parse_message(line: str) -> ServerMessage:
    """Parse one line the server sent.

    Raises:
        ProtocolViolation: the line is not a server message of this protocol.
    """
    word, rest = _split(line)
    args = rest.split(" ")
    try:
        if word == "GAME" and len(args) == 2:
            return Banner(args[0], int(args[1]))
        if word == "WELCOME" and rest:
            return Welcome(rest)
        if word == "START" and len(args) == 2:
            return Start(Mark(args[0]), args[1])
        if word == "BOARD" and len(args) == 1:
            return Update(Board(args[0]))
        if word == "END" and len(args) in (1, 2):
            if len(args) == 2 and args[1] != "forfeit":
                raise ValueError(args[1])
            return End(Result(args[0]), forfeit=len(args) == 2)
        if word == "PONG":
            return Pong(rest)
        if word == "ERROR":
            return Error(rest)
        simple: dict[str, ServerMessage] = {"WAIT": Wait(), "TURN": Turn(), "BYE": Bye()}
        if word in simple and not rest:
            return simple[word]
    except ValueError:
        pass
    raise ProtocolViolation(f"not a message of {GAME} {VERSION}: {line[:64]!r}")
