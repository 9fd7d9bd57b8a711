"""The kit's lists of public names are each written once, and what must repeat them cannot drift.

The package's export table feeds ``__all__`` and the lazy imports, but a type checker needs real
imports, so those stay written out under ``TYPE_CHECKING`` and are compared with the table here.
The contract's checks register themselves where they are defined, in the modules of its package.
"""

import ast
import importlib
import inspect
import itertools
import pkgutil
from pathlib import Path

import pytest

import sockettest
from sockettest import contract
from sockettest.contract import CHECKS, Check


def _type_checking_imports() -> dict[str, str]:
    """Each name ``sockettest/__init__.py`` imports under ``if TYPE_CHECKING:``, and the module
    (relative to the package) it imports it from."""
    tree = ast.parse(Path(inspect.getfile(sockettest)).read_text(encoding="utf-8"))
    blocks = [
        statement
        for statement in tree.body
        if isinstance(statement, ast.If) and ast.unparse(statement.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, "one `if TYPE_CHECKING:` block of imports"
    imported: dict[str, str] = {}
    for statement in blocks[0].body:
        assert isinstance(statement, ast.ImportFrom), ast.unparse(statement)
        assert statement.module is not None
        for alias in statement.names:
            assert alias.asname == alias.name, f"{alias.name} is re-exported as itself"
            home = statement.module.removeprefix("sockettest").removeprefix(".") or alias.name
            assert alias.name not in imported, f"{alias.name} is imported twice"
            imported[alias.name] = home
    return imported


def test_type_checking_imports_are_the_export_table() -> None:
    """The names a type checker sees, each from its module, are exactly the export table's."""
    assert _type_checking_imports() == sockettest._EXPORTS


def test_all_lists_the_export_table_once_in_its_order() -> None:
    """``__all__`` is the export table's names, in its reading order, each once."""
    assert sockettest.__all__ == list(sockettest._EXPORTS)
    assert len(set(sockettest.__all__)) == len(sockettest.__all__)


@pytest.mark.parametrize("name", sockettest.__all__)
def test_each_public_name_is_the_object_its_home_module_defines(name: str) -> None:
    """Each public name loads from the module the table gives (a submodule is itself)."""
    home = importlib.import_module(f"sockettest.{sockettest._EXPORTS[name]}")
    expected = home if home.__name__ == f"sockettest.{name}" else vars(home)[name]
    assert getattr(sockettest, name) is expected


def test_a_name_not_exported_is_an_attribute_error_naming_it() -> None:
    """A name outside the table raises AttributeError naming it, even one a home module has."""
    with pytest.raises(AttributeError, match=r"module 'sockettest' has no attribute 'HOST'"):
        sockettest.HOST  # type: ignore[attr-defined]  # noqa: B018 (the lookup is the test)


def _defined_checks() -> dict[str, list[Check]]:
    """The ``check_*`` functions each module of the contract package defines, in the order of
    their definitions, by module name."""
    helpers = {"check_id", "check_socket_contract"}
    modules = [contract] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(contract.__path__, f"{contract.__name__}.")
    ]
    found: dict[str, list[Check]] = {}
    for module in modules:
        source = inspect.getsource(module)
        checks = [
            value
            for name, value in vars(module).items()
            if name.startswith("check_") and name not in helpers and callable(value)
        ]
        checks = [check for check in checks if check.__module__ == module.__name__]
        checks.sort(key=lambda check: source.index(f"\ndef {check.__name__}("))
        if checks:
            found[module.__name__] = checks
    return found


def test_every_check_is_registered_in_checks_once_in_definition_order() -> None:
    """Each ``check_*`` function a module of the contract defines is in CHECKS once, the checks
    of a module together and in the order of their definitions."""
    runs = [list(run) for _, run in itertools.groupby(CHECKS, key=lambda check: check.__module__)]
    assert {run[0].__module__: run for run in runs} == _defined_checks()
    assert len(runs) == len(_defined_checks()), "each module's checks run together"


def test_all_names_every_check_in_the_order_of_checks_each_the_packages_own() -> None:
    """``__all__`` names the checks of CHECKS, in its order, once each, and each name is that
    check as ``from sockettest.contract import ...`` gives it."""
    helpers = {"check_id", "check_socket_contract"}
    exported = [name for name in contract.__all__ if name.startswith("check_")]
    assert [name for name in exported if name not in helpers] == [c.__name__ for c in CHECKS]
    assert len(set(contract.__all__)) == len(contract.__all__)
    assert all(getattr(contract, check.__name__) is check for check in CHECKS)


def test_a_name_the_contract_does_not_have_is_an_attribute_error_naming_it() -> None:
    """A name that is no check of CHECKS raises AttributeError naming it."""
    with pytest.raises(AttributeError, match=r"'sockettest.contract' has no attribute 'check_x'"):
        contract.check_x  # noqa: B018 (the lookup is the test)
