"""The names sockettest 0.2.0 renamed (its CHANGELOG lists them) are gone, with no alias."""

import pytest

import sockettest
from sockettest import LeakGuard, Transport, _plugin, contract


@pytest.mark.parametrize(
    ("old", "new"),
    [("ServerConnection", "ScriptedConnection"), ("mock_socket_factory", "mock_sockets")],
)
def test_a_renamed_public_name_is_only_importable_by_its_new_name(old: str, new: str) -> None:
    """The new name is exported; the old one is an AttributeError, not an alias."""
    assert new in sockettest.__all__
    assert old not in sockettest.__all__
    with pytest.raises(AttributeError, match=rf"has no attribute '{old}'"):
        getattr(sockettest, old)


@pytest.mark.parametrize(
    ("old", "new"),
    [("fake_client", "fake_client_factory"), ("mock_socket_factory", "mock_sockets")],
)
def test_a_renamed_fixture_is_only_defined_by_its_new_name(old: str, new: str) -> None:
    """The plugin defines the fixture under its new name and nothing under the old one."""
    assert callable(getattr(_plugin, new))
    assert not hasattr(_plugin, old)


@pytest.mark.parametrize("owner", [LeakGuard, Transport])
def test_what_returns_socket_names_is_called_open_socket_names(
    owner: type[LeakGuard] | type[Transport],
) -> None:
    """LeakGuard and Transport name open sockets by open_socket_names; open_sockets, which
    returns sockets, is MemoryNetwork's alone."""
    assert callable(owner.open_socket_names)
    assert not hasattr(owner, "open_sockets")
    assert callable(sockettest.MemoryNetwork.open_sockets)


@pytest.mark.parametrize(
    ("old", "new"), [("StreamSocket", "Socket"), ("StreamSocketFactory", "SocketFactory")]
)
def test_the_contracts_socket_types_are_the_kits_by_their_new_names(old: str, new: str) -> None:
    """The contract's socket types moved to the package under the kit's one name for each; the
    contract exports neither the old name nor the new (one import path per public name)."""
    assert new in sockettest.__all__
    assert old not in contract.__all__
    assert new not in contract.__all__
    with pytest.raises(AttributeError, match=rf"has no attribute '{old}'"):
        getattr(contract, old)
