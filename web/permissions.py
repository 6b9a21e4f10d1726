"""Who may do what: the one permission table the pages, the JSON API and the tests read.

A permission is ``area.verb``; ``*.view`` lets a role open a page and its read API, any other
verb changes something.  Every route names the permission it needs (see
:func:`orderhub.web.app.require`), and the navigation shows only the pages a role may view.
"""

from __future__ import annotations

from typing import Final

ROLES: Final = ("admin", "analyst", "cs", "warehouse", "supervisor", "finance", "viewer")

#: role -> what each role is for (shown by ``orderhub users add --help`` and the docs).
ROLE_HELP: Final = {
    "admin": "everything, including users and dead-letter retry",
    "analyst": "rules and flows: switch, edit, dry-run, what-if",
    "cs": "customer service: the review queue, holds, addresses",
    "warehouse": "scanning and warehouse exceptions",
    "supervisor": "warehouse supervisor: scanning, and approving reship, refund, write-off",
    "finance": "reconciliation and vouchers",
    "viewer": "reads orders, rules, flows and the service; changes nothing",
}

#: permission -> the roles that have it (admin has every permission).
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "orders.view": frozenset(ROLES),
    "orders.address": frozenset({"cs"}),
    "queue.view": frozenset({"cs", "warehouse", "supervisor", "viewer"}),
    "queue.act": frozenset({"cs", "warehouse", "supervisor"}),
    "scan.use": frozenset({"warehouse", "supervisor"}),
    "media.view": frozenset({"cs", "warehouse", "supervisor", "viewer"}),
    "approvals.view": frozenset({"cs", "warehouse", "supervisor"}),
    "approvals.request": frozenset({"cs", "warehouse", "supervisor"}),
    "approvals.decide": frozenset({"supervisor"}),
    "rules.view": frozenset({"analyst", "viewer"}),
    "rules.edit": frozenset({"analyst"}),
    "flows.view": frozenset({"analyst", "viewer"}),
    "flows.whatif": frozenset({"analyst"}),
    "finance.view": frozenset({"finance"}),
    "finance.run": frozenset({"finance"}),
    "service.view": frozenset({"analyst", "viewer"}),
    # the KPI dashboard (and the orders behind its figures); the warehouse TV's weekly board
    "kpi.view": frozenset({"analyst", "supervisor", "finance", "viewer"}),
    "board.view": frozenset({"analyst", "cs", "warehouse", "supervisor", "viewer"}),
    "service.retry": frozenset(),
    "audit.view": frozenset(),
    "users.manage": frozenset(),
}

#: The navigation: (page path, permission to view it, message key of its title), in order.
#: A page whose module is not installed yet (the queue) is skipped by the app.
NAV: Final = (
    ("/scan", "scan.use", "nav.scan"),
    ("/approvals", "approvals.view", "nav.approvals"),
    ("/queue", "queue.view", "nav.queue"),
    ("/orders", "orders.view", "nav.orders"),
    ("/rules", "rules.view", "nav.rules"),
    ("/flows", "flows.view", "nav.flows"),
    ("/finance", "finance.view", "nav.finance"),
    ("/service", "service.view", "nav.service"),
    ("/kpi", "kpi.view", "nav.kpi"),
    ("/board", "board.view", "nav.board"),
    ("/audit", "audit.view", "nav.audit"),
    ("/users", "users.manage", "nav.users"),
)


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` has ``permission``; an unknown permission is nobody's but admin's."""
    if role is None:
        return False
    if role == "admin":
        return True
    return role in PERMISSIONS.get(permission, frozenset())


def permissions_of(role: str) -> set[str]:
    return {p for p in PERMISSIONS if allowed(role, p)}


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role
