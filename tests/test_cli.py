"""The command line: every command is reachable, help teaches, and modules load lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

from click.testing import CliRunner

from orderhub.cli import COMMANDS, main


def test_the_lazy_command_table_matches_the_command_modules() -> None:
    modules = {module for module, _, _ in COMMANDS.values()}
    registered = {}
    for module in modules:
        for command in importlib.import_module(module).COMMANDS:
            registered[command.name] = module
    assert registered == {name: module for name, (module, _, _) in COMMANDS.items()}
    for name, (module, attr, _) in COMMANDS.items():
        assert getattr(importlib.import_module(module), attr).name == name


def test_help_lists_every_command_and_each_command_has_help() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in top.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output, name


def test_help_does_not_import_the_command_modules() -> None:
    code = ("import sys\nfrom orderhub.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('orderhub.commands.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()[-1]
    assert out == "[]"
