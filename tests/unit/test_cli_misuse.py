"""The command line misused: each mistake is one line on stderr and a non-zero exit, and the
line says what to change."""

import pytest

from game.__main__ import main
from sockettest import MemoryNetwork


@pytest.mark.parametrize("shell", [[], ["--asyncio"]], ids=["threads", "asyncio"])
@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("8.8.8.8", "Cannot assign requested address"),  # not an address of this machine
        ("no-such-host.invalid", "Name or service not known"),
        ("256.0.0.1", "Name or service not known"),
    ],
)
def test_serve_on_a_host_it_cannot_bind_says_to_check_the_host_not_the_port(
    patched_network: MemoryNetwork,
    capsys: pytest.CaptureFixture[str],
    host: str,
    reason: str,
    shell: list[str],
) -> None:
    """A host that is not this machine's, or no host at all, is exit 1 and one line naming it
    and --host: another --port would not help."""
    assert main(["serve", "--host", host, "--port", "0", *shell]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"python -m game serve: error: cannot listen on {host}:0: {reason}; "
        "check --host: an address or name of this machine, or '' for all of them"
    )
    patched_network.assert_all_closed()
