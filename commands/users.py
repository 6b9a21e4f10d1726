"""``orderhub users add|list|disable|enable|passwd|role``: the console's staff accounts."""

from __future__ import annotations

import sys

import click

from ..cli import App, pass_app
from ..web.permissions import ROLE_HELP, ROLES
from ._output import FORMAT_OPTION, echo_json, local, note, table

ROLE_LIST = "\n".join(f"  {role:<10} {text}" for role, text in ROLE_HELP.items())


def _store(app: App):  # type: ignore[no-untyped-def]
    from ..web.users import UserStore

    return UserStore(app.store.engine)


def _password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@click.group("users")
def users_group() -> None:
    """Staff accounts of the web console (orderhub web): one role each.

    \b
    Examples:
      orderhub users add alice --role admin
      orderhub users list
      orderhub users role bob supervisor
    """


@users_group.command("add", help=f"""Add a user with a role; the password is prompted for
(or read from the first line of stdin with --password-stdin) and stored as an argon2 hash.

\b
Roles:
{ROLE_LIST}

\b
Examples:
  orderhub users add alice --role admin
  echo "$PW" | orderhub users add bob --role cs --password-stdin
""")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from stdin.")
@pass_app
def add_command(app: App, name: str, role: str, from_stdin: bool) -> None:
    user = _store(app).add(name, role, _password(from_stdin))
    note(f"user {user.name} added with role {user.role}")


@users_group.command("list")
@FORMAT_OPTION
@pass_app
def list_command(app: App, fmt: str) -> None:
    """Users with their role and whether they are disabled.

    \b
    Examples:
      orderhub users list
    """
    found = _store(app).list()
    if fmt == "json":
        for u in found:
            echo_json({"name": u.name, "role": u.role, "disabled": u.disabled,
                       "created_at": u.created_at.isoformat()})
        return
    tz = app.workspace.config.timezone
    table(f"{len(found)} user(s)", ["name", "role", "disabled", "created"],
          [[u.name, u.role, "yes" if u.disabled else "", local(u.created_at, tz)]
           for u in found])


@users_group.command("disable")
@click.argument("name")
@pass_app
def disable_command(app: App, name: str) -> None:
    """Disable a user: the login stops working and their sessions end at once.

    \b
    Examples:
      orderhub users disable bob
    """
    _store(app).disable(name)
    note(f"user {name} disabled")


@users_group.command("enable")
@click.argument("name")
@pass_app
def enable_command(app: App, name: str) -> None:
    """Enable a disabled user again.

    \b
    Examples:
      orderhub users enable bob
    """
    _store(app).disable(name, False)
    note(f"user {name} enabled")


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from stdin.")
@pass_app
def passwd_command(app: App, name: str, from_stdin: bool) -> None:
    """Set a user's password (their sessions end).

    \b
    Examples:
      orderhub users passwd bob
    """
    _store(app).set_password(name, _password(from_stdin))
    note(f"password of {name} changed")


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_app
def role_command(app: App, name: str, role: str) -> None:
    """Give a user another role (takes effect on their next request).

    \b
    Examples:
      orderhub users role bob supervisor
    """
    _store(app).set_role(name, role)
    note(f"user {name} now has role {role}")


COMMANDS = [users_group]
