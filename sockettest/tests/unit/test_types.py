"""The kit has one type for an address, one for a socket and one for a socket factory, defined
in one module and used by every other."""

import ast
import importlib
import inspect
import pkgutil
import re

import sockettest
from sockettest import _types

ONE_HOME = {("sockettest._types", name) for name in ("Address", "Socket", "SocketFactory")}

MIGHT_DEFINE_ONE = re.compile(r"Protocol|tuple\[\s*Any|Callable\[\s*\[\s*int")
"""What a module's source must spell to define one of the three: the rest need no parsing."""


def _is_alias_of_an_address_or_a_factory(value: ast.expr) -> bool:
    """``tuple[Any, ...]`` (an address) or ``Callable[[int, int], ...]`` (a factory)."""
    text = ast.unparse(value).replace(" ", "")
    return text == "tuple[Any,...]" or text.startswith("Callable[[int,int]")


def _is_socket_or_factory_protocol(node: ast.ClassDef) -> bool:
    """A Protocol with a ``recv`` (a socket) or a ``__call__`` (a factory)."""
    if not any(ast.unparse(base).endswith("Protocol") for base in node.bases):
        return False
    methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
    return bool(methods & {"recv", "__call__"})


def _socket_types_defined() -> set[tuple[str, str]]:
    """Each module-level type of the kit that describes an address, a socket or a socket
    factory, as (module, name)."""
    names = [info.name for info in pkgutil.walk_packages(sockettest.__path__, "sockettest.")]
    found: set[tuple[str, str]] = set()
    for module_name in ["sockettest", *names]:
        source = inspect.getsource(importlib.import_module(module_name))
        if not MIGHT_DEFINE_ONE.search(source):  # parsing every module costs a tenth of a second
            continue
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and _is_socket_or_factory_protocol(node):
                found.add((module_name, node.name))
            elif isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if _is_alias_of_an_address_or_a_factory(node.value):
                    found |= {(module_name, ast.unparse(target)) for target in targets}
    return found


def test_address_socket_and_socket_factory_are_each_defined_once_in_one_module() -> None:
    """No module of the kit defines an address alias, a socket protocol or a factory type of
    its own: the three are sockettest._types's, and nothing else is one."""
    assert _socket_types_defined() == ONE_HOME


def test_the_three_types_are_exported_under_their_own_names() -> None:
    """``sockettest.Address``, ``Socket`` and ``SocketFactory`` are the types of the one home."""
    assert {name for _, name in ONE_HOME} <= set(sockettest.__all__)
    assert sockettest.Address is _types.Address
    assert sockettest.Socket is _types.Socket
    assert sockettest.SocketFactory is _types.SocketFactory
