"""The memory socket and its network talk through the interface ``_kernel.py`` writes down,
never through each other's private fields: read from the source, so a reach added later fails
here rather than in a review."""

import ast
from pathlib import Path

import sockettest

PACKAGE = Path(sockettest.__file__).parent
SOCKET_MODULES = (
    "_memory_socket.py",
    "_connection.py",
    "_listener.py",
    "_rare_calls.py",
    "_socket_options.py",
)


def private_reaches(module: str) -> set[str]:
    """Each ``x._name`` in ``module`` whose ``x`` is not ``self`` or ``cls``, as source text."""
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    return {
        f"{ast.unparse(node.value)}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    }


def test_the_network_reaches_into_no_private_field() -> None:
    """_network.py uses its sockets' and its kernel's public names only."""
    assert private_reaches("_network.py") == set()


def test_the_socket_reaches_into_no_private_field_of_its_network() -> None:
    """A socket's modules reach other sockets' fields (one class), never the network's."""
    reaches = set().union(*(private_reaches(module) for module in SOCKET_MODULES))
    assert {reach for reach in reaches if "network" in reach or "kernel" in reach} == set()
    assert reaches, "the reader found no reach at all: it reads nothing"
