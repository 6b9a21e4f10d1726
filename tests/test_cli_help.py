"""Every command's ``--help`` shows examples (the README promises it), and a mistyped command
gets a did-you-mean."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from orderhub.cli import COMMANDS, main


def every_command() -> list[list[str]]:
    """Each command of the table, and each subcommand of a group, as an argv."""
    ctx = click.Context(main)
    found: list[list[str]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        found.append(path)
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])

    for name in sorted(COMMANDS):
        cmd = main.get_command(ctx, name)
        assert cmd is not None, name
        walk(cmd, [name])
    return found


@pytest.mark.parametrize("argv", every_command(), ids=" ".join)
def test_every_help_has_examples(argv: list[str]) -> None:
    result = CliRunner().invoke(main, [*argv, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output, f"`orderhub {' '.join(argv)} --help` has no examples"
    examples = result.output.split("Examples", 1)[1].split("Options:", 1)[0]
    assert "\n    orderhub " in examples  # real command lines, not prose


def test_a_mistyped_command_gets_a_did_you_mean() -> None:
    result = CliRunner().invoke(main, ["ingets", "x.json"])
    assert result.exit_code == 2
    assert "No such command 'ingets'" in result.output
    assert "Did you mean 'ingest'?" in result.output
    nested = CliRunner().invoke(main, ["orders", "lsit"])
    assert nested.exit_code == 2 and "Did you mean 'list'?" in nested.output
