"""The contract's checks register themselves where they are defined: none can be left out of
CHECKS or ``__all__``."""

from sockettest import contract
from sockettest.contract import CHECKS


def test_every_check_is_registered_in_checks_and_exported_in_definition_order() -> None:
    """Each ``check_*`` function the contract defines is in CHECKS once, in the order of the
    definitions, and ``__all__`` names the same checks, in the same order."""
    helpers = {"check_id", "check_socket_contract"}
    defined = [
        value
        for name, value in vars(contract).items()
        if name.startswith("check_") and callable(value) and name not in helpers
    ]
    defined.sort(key=lambda check: check.__code__.co_firstlineno)
    assert list(CHECKS) == defined
    exported = [name for name in contract.__all__ if name.startswith("check_")]
    assert [name for name in exported if name not in helpers] == [c.__name__ for c in CHECKS]
    assert len(set(contract.__all__)) == len(contract.__all__)
