"""The command line: ``python -m game demo | serve | play``.

Errors reach the user as one line on stderr and a non-zero exit status, never a traceback:
2 for bad arguments, 1 for anything else that went wrong (port in use, connection refused).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # built in, already loaded: no time to import

# First of all: until main() takes over, Ctrl-C ends the process by the signal itself, not by
# a KeyboardInterrupt traceback from the middle of an import.
_signal.signal(_signal.SIGINT, _signal.SIG_DFL)

import argparse
import contextlib
import functools
import io
import logging
import math
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, NoReturn

from game.client import Client
from game.errors import GameError, ResponseTimeout
from game.protocol import NAME_PATTERN, End, Error, Result, ServerMessage, Start, Turn, Update, Wait
from game.rules import Board
from game.server import DEFAULT_MAX_CLIENTS, DEFAULT_PORT, DEFAULT_WRITE_TIMEOUT, Server
from game.sockets import check_timeout, format_address

PROG = "python -m game"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def _seconds(text: str) -> float | None:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if seconds < 0 or math.isnan(seconds):
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more, not {text}")
    if seconds == 0:
        return None
    try:
        return check_timeout(seconds, "the timeout")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seconds must be at most {threading.TIMEOUT_MAX:.0f}, or 0 or inf for no limit, "
            f"not {text}"
        ) from None


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return number


def _name(text: str) -> str:
    if not NAME_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"a name is 1-16 of A-Z a-z 0-9 _ -, not {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Tic-tac-toe over TCP.")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    demo = commands.add_parser(
        "demo", help="two bots play a whole game over loopback, then everything stops"
    )
    demo.set_defaults(run=_demo)

    serve = commands.add_parser("serve", help="run a server until Ctrl-C or SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind ('' for all)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="cut off clients silent this long (0: never; default 300)",
    )
    serve.add_argument(
        "--write-timeout",
        type=_seconds,
        default=DEFAULT_WRITE_TIMEOUT,
        metavar="SECONDS",
        help=f"cut off clients that read nothing this long (0: never; default "
        f"{DEFAULT_WRITE_TIMEOUT:g})",
    )
    serve.add_argument("--max-clients", type=_positive, default=DEFAULT_MAX_CLIENTS, metavar="N")
    serve.set_defaults(run=_serve)

    play = commands.add_parser("play", help="play in this terminal against someone else")
    play.add_argument("--host", default=_PLAY_HOST)
    play.add_argument("--port", type=_port, default=DEFAULT_PORT)
    play.add_argument("--name", type=_name, required=True, help="1-16 of A-Z a-z 0-9 _ -")
    play.set_defaults(run=_play)

    for command in (demo, serve, play):
        command.add_argument(
            "--asyncio",
            action="store_true",
            help="the asyncio shell (AsyncServer, AsyncClient) instead of the threaded one",
        )
    return parser


def _draw(board: Board, indent: str = "    ") -> str:
    return "\n".join(indent + " ".join(row) for row in board.rows())


# demo -----------------------------------------------------------------------------------------


class _Narrator:
    """What the demo prints of alice's game, on either shell."""

    def __init__(self) -> None:
        self.shown = [Board()]

    def __call__(self, message: ServerMessage) -> None:
        if isinstance(message, Start):
            print(f"alice plays {message.mark.value}, bob plays {message.mark.other.value}")
        elif isinstance(message, Update) and message.board != self.shown[-1]:
            before, after = self.shown[-1], message.board
            cell = next(c for c in range(1, 10) if before[c] != after[c])
            print(f"{after[cell]} takes {cell}\n{_draw(after)}")
            self.shown.append(after)


def _demo(args: argparse.Namespace) -> int:
    results = _demo_on_asyncio() if args.asyncio else _demo_on_threads()
    if "bob" not in results:
        raise GameError("the second bot did not finish its game")
    end = results["alice"]
    verdict = {"WIN": "alice wins", "LOSE": "bob wins", "DRAW": "a draw"}[end.result.value]
    print(f"result: {verdict}\nserver stopped cleanly")
    return 0


def _demo_on_threads() -> dict[str, End]:
    server = Server(port=0, idle_timeout=10.0)
    results: dict[str, End] = {}
    with server.running() as (host, port):
        print(f"server listening on {format_address(host, port)}")
        narrate = _Narrator()

        def bot(name: str, watch: bool) -> None:
            with Client(host, port) as client:
                results[name] = client.play(name, on_message=narrate if watch else None)

        bob = threading.Thread(target=bot, args=("bob", False), name="demo-bob")
        bob.start()
        try:
            bot("alice", watch=True)
        finally:
            bob.join(10.0)
    if bob.is_alive():
        raise GameError("the second bot did not finish its game")
    return results


def _demo_on_asyncio() -> dict[str, End]:
    import asyncio  # noqa: PLC0415  # ~70 ms: only for --asyncio

    from game.asyncio_shell import AsyncClient, AsyncServer  # noqa: PLC0415

    async def demo() -> dict[str, End]:
        async with AsyncServer(port=0, idle_timeout=10.0) as server:
            assert server.address is not None
            host, port = server.address
            print(f"server listening on {format_address(host, port)} (asyncio)")
            narrate = _Narrator()

            async def bot(name: str, watch: bool) -> End:
                async with AsyncClient(host, port) as client:
                    return await client.play(name, on_message=narrate if watch else None)

            alice, bob = await asyncio.wait_for(
                asyncio.gather(bot("alice", True), bot("bob", False)), 60.0
            )
        return {"alice": alice, "bob": bob}

    return asyncio.run(demo())


# serve ----------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    with _stop_signals() as wait_for_a_stop_signal:  # first: a stop from now on is clean
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        options = {
            "idle_timeout": args.idle_timeout,
            "write_timeout": args.write_timeout,
            "max_clients": args.max_clients,
        }
        if args.asyncio:
            _serve_on_asyncio(args.host, args.port, options, wait_for_a_stop_signal)
        else:
            server = Server(args.host, args.port, **options)
            with server.running() as (host, port):
                _serving(host, port)
                wait_for_a_stop_signal()
                print("stopping...")
    print("server stopped cleanly")
    return 0


def _serving(host: str, port: int, shell: str = "") -> None:
    """The banner: where, how to play, how to stop, and the shell if it is not the threaded
    one. Printed once listening: the readiness signal a script waits for."""
    where = format_address(host, port)
    near = _LOOPBACK_FOR.get(host, host)
    play = f"{PROG} play" + ("" if near == _PLAY_HOST else f" --host {near}")
    print(
        f"serving tic-tac-toe on {where}; play with `nc {near} {port}` "
        f"or `{play} --port {port} --name NAME`; Ctrl-C stops{shell}",
    )


_PLAY_HOST = "127.0.0.1"
"""Where ``play`` connects without ``--host``."""
_LOOPBACK_FOR = {"0.0.0.0": "127.0.0.1", "::": "::1"}
"""The address that reaches, from this machine, a server bound to every interface (as bound:
``--host ''`` is 0.0.0.0 by then)."""


def _serve_on_asyncio(
    host: str, port: int, options: dict[str, Any], wait_for_a_stop_signal: Callable[[], None]
) -> None:
    """Serve with :class:`game.AsyncServer` until a stop signal. The signal is waited for as
    the threaded server does (see :func:`_stop_signals`), in a worker thread of the loop."""
    import asyncio  # noqa: PLC0415  # ~70 ms: only for --asyncio

    from game.asyncio_shell import AsyncServer  # noqa: PLC0415

    async def serve() -> None:
        async with AsyncServer(host, port, **options) as server:
            assert server.address is not None
            _serving(*server.address, " (asyncio)")
            await asyncio.to_thread(wait_for_a_stop_signal)
            print("stopping...")

    asyncio.run(serve())


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _stop_signals() -> Iterator[Callable[[], None]]:
    """Catch SIGINT and SIGTERM for the block; yield a wait that returns once either arrives.

    The wait must not depend on which thread the kernel hands the signal to. The kernel gives
    a process's signal to any thread that does not block it: a busy server's own threads often
    take it (a thread that starts, or starts another, unblocks signals and so takes one that is
    pending). The interpreter's C handler then runs there and only flags the signal for the
    main thread, which runs the Python handler when it next runs bytecode: a main thread asleep
    in ``Event.wait()`` never does, and the server never stops. So the wait reads the signal's
    number from the wakeup fd, which that C handler writes to in whatever thread it runs. The
    Python handler does nothing: it runs in the main thread at any bytecode, so taking a lock
    there (``Event.set()`` does) could deadlock on one the main thread holds.
    """
    with contextlib.ExitStack() as stack:
        if sys.platform == "win32":  # the wakeup fd must be a socket there
            reader, writer = socket.socketpair()
            stack.enter_context(reader)
            stack.enter_context(writer)
            writer.setblocking(False)
            read, write_end = reader.recv, writer.fileno()
        else:  # a pipe: no socket, so that it works under a socket guard (pytest-socket) too
            read_end, write_end = os.pipe()
            stack.callback(os.close, read_end)
            stack.callback(os.close, write_end)
            os.set_blocking(write_end, False)  # the C handler must never block writing
            read = functools.partial(os.read, read_end)
        # The fd before the handlers: every signal they catch then reaches the wait.
        previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        stack.callback(signal.set_wakeup_fd, previous_fd)
        for sig in _STOP_SIGNALS:
            stack.callback(signal.signal, sig, signal.signal(sig, _ignore))

        def wait() -> None:
            while not any(number in _STOP_SIGNALS for number in read(64)):
                pass  # another signal with a Python handler: not a stop

        yield wait


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The Python handler of a stop signal: the wakeup fd carries the news (see
    :func:`_stop_signals`)."""


# play -----------------------------------------------------------------------------------------


_VERDICTS = {Result.WIN: "you win", Result.LOSE: "you lose", Result.DRAW: "a draw"}

KEEPALIVE = 60.0
"""Seconds ``play`` waits for a message before it sends a ``PING``: the server cuts off a
client that sends no line for its idle timeout (300 s by default), and a player waiting for an
opponent, or for the opponent's move, sends nothing else."""


def _ask_cell() -> int | None:
    """Prompt until the player types a cell 1-9; None if they quit (q, or end of input)."""
    while True:
        try:
            answer = input("your move (1-9, q to quit): ").strip().lower()
        except EOFError:
            print()  # end the prompt's line
            return None
        except (RuntimeError, OSError, ValueError):  # no stdin at all (closed, or not a file)
            print("no input to read moves from")
            return None
        if answer in ("q", "quit"):
            return None
        if len(answer) == 1 and answer in "123456789":
            return int(answer)
        print("type one digit 1-9: cells are numbered row by row from the top left")


class _Player:
    """What the terminal shows of each message, and when to ask for a move: both shells."""

    def __init__(self) -> None:
        self.my_turn = False

    def see(self, message: ServerMessage) -> bool | None:
        """Print ``message``; return True to ask for a move, False once the game is over,
        ``None`` to read on."""
        if isinstance(message, Wait):
            print("waiting for an opponent...")
        elif isinstance(message, Start):
            print(f"you play {message.mark.value} against {message.opponent}")
        elif isinstance(message, Update):
            print(_draw(message.board))
            self.my_turn = False
        elif isinstance(message, Error):
            print(f"server: {message.reason}")
        elif isinstance(message, End):
            forfeit = " (your opponent left)" if message.forfeit else ""
            print(_VERDICTS[message.result] + forfeit)
            return False
        if isinstance(message, Turn) or (isinstance(message, Error) and self.my_turn):
            self.my_turn = True
            return True
        return None


def _next_message(client: Client) -> ServerMessage:
    """The next message, however long it takes: a ``PING`` every :data:`KEEPALIVE` seconds
    without one keeps the server from cutting off a player who is only waiting."""
    while True:
        try:
            return client.next_message(timeout=KEEPALIVE)
        except ResponseTimeout:
            client.ping()


def _play(args: argparse.Namespace) -> int:
    if args.asyncio:
        return _play_on_asyncio(args)
    with Client(args.host, args.port) as client:
        client.hello(args.name)
        print(f"connected to {format_address(args.host, args.port)} as {args.name}")
        player = _Player()
        while (ask := player.see(_next_message(client))) is not False:
            if ask:
                cell = _ask_cell()
                if cell is None:
                    client.quit()
                    print("you left the game")
                    return 0
                client.move(cell)
    return 0


def _play_on_asyncio(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415  # ~70 ms: only for --asyncio

    from game.asyncio_shell import AsyncClient  # noqa: PLC0415

    async def ask_cell() -> int | None:
        """:func:`_ask_cell` in a daemon thread of its own, since input() blocks: not in the
        loop's executor, which asyncio.run joins on the way out, so that a Ctrl-C at the prompt
        waited for a line before play could end."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int | None] = loop.create_future()

        def answered(cell: int | None) -> None:
            if not answer.done():  # not cancelled meanwhile
                answer.set_result(cell)

        def ask() -> None:
            cell = _ask_cell()
            with contextlib.suppress(RuntimeError):  # the loop is closed: play ended meanwhile
                loop.call_soon_threadsafe(answered, cell)

        threading.Thread(target=ask, name="play-input", daemon=True).start()
        return await answer

    async def play() -> None:
        async with AsyncClient(args.host, args.port) as client:

            async def next_message() -> ServerMessage:  # as _next_message, on the loop
                while True:
                    try:
                        return await client.next_message(timeout=KEEPALIVE)
                    except ResponseTimeout:
                        await client.ping()

            await client.hello(args.name)
            print(f"connected to {format_address(args.host, args.port)} as {args.name}")
            player = _Player()
            while (ask := player.see(await next_message())) is not False:
                if ask:
                    cell = await ask_cell()
                    if cell is None:
                        await client.quit()
                        print("you left the game")
                        return
                    await client.move(cell)

    asyncio.run(play())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A line at a time, to a pipe as to a terminal: what serve and play print is a
        # conversation (the banner is a readiness signal), not a report to hand over at exit.
        sys.stdout.reconfigure(line_buffering=True)
    args = _parser().parse_args(argv)
    try:
        if args.run is not _serve:  # serve stops on Ctrl-C itself, first thing: _stop_signals
            signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C: handled below
        status: int = args.run(args)
    except (GameError, OSError, ValueError) as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
