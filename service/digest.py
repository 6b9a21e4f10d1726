"""WeCom robots: many messages to one robot become digests, within the robot's rate limit.

A WeCom group robot accepts 20 messages a minute (more are refused with errcode 45009), and a
flow that diverts 100 orders would otherwise post 100 messages.  The dispatcher therefore sends
the markdown messages it leases for one robot as digests (each under WeCom's 4,096-byte markdown
limit) and keeps a per-robot window of recent sends: a digest that would exceed
``per_minute`` is put back, untried, until the window has room.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .outbox import OutboxMessage

#: WeCom's limit on a markdown message's content, in UTF-8 bytes.
WECOM_MAX_BYTES = 4096
_SEPARATOR = "\n\n"


@dataclass
class Digest:
    """One post to a robot: the messages it carries and the body to send."""

    robot: str
    messages: list[OutboxMessage]
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        first = self.messages[0].idempotency_key
        return first if len(self.messages) == 1 else f"{first}+{len(self.messages) - 1}"


class RateLimit:
    """At most ``per_minute`` sends per robot in any 60 seconds (a sliding window)."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}

    def wait(self, robot: str) -> float:
        """Seconds until ``robot`` may be sent to (0: now)."""
        now = self.clock()
        sent = self._sent.setdefault(robot, deque())
        while sent and now - sent[0] >= 60:
            sent.popleft()
        return 0.0 if len(sent) < self.per_minute else 60 - (now - sent[0])

    def note(self, robot: str) -> None:
        self._sent.setdefault(robot, deque()).append(self.clock())


def robot_of(payload: dict[str, Any]) -> str:
    """The robot a WeCom payload goes to: its own webhook (``to``) or the configured one."""
    to = payload.get("to")
    return to if isinstance(to, str) and to.startswith("http") else ""


def markdown_of(payload: dict[str, Any], default_msgtype: str) -> str | None:
    """The markdown text of a payload that can join a digest; None for any other."""
    msgtype = payload.get("msgtype", default_msgtype)
    if msgtype != "markdown":
        return None
    inner = payload.get("markdown")
    if isinstance(inner, dict):
        content = inner.get("content")
        return content if isinstance(content, str) and set(inner) == {"content"} else None
    content = payload.get("content")
    return content if isinstance(content, str) else None


def plan_digests(messages: list[OutboxMessage], default_msgtype: str) -> list[Digest]:
    """Group ``messages`` per robot into digests; a message that cannot merge (text, or too
    big) is a digest of its own, sent as it is."""
    out: list[Digest] = []
    open_: dict[str, tuple[list[OutboxMessage], list[str], int]] = {}

    def close(robot: str) -> None:
        msgs, texts, _ = open_.pop(robot)
        out.append(_digest(robot, msgs, texts))

    for m in messages:
        robot = robot_of(m.payload)
        text = markdown_of(m.payload, default_msgtype)
        if text is None or len(text.encode()) > WECOM_MAX_BYTES:
            out.append(Digest(robot, [m], m.payload))
            continue
        size = len(text.encode()) + len(_SEPARATOR)
        if robot in open_ and open_[robot][2] + size > WECOM_MAX_BYTES - 100:
            close(robot)
        msgs, texts, used = open_.get(robot, ([], [], 0))
        open_[robot] = ([*msgs, m], [*texts, text], used + size)
    for robot in list(open_):
        close(robot)
    return out


def _digest(robot: str, messages: list[OutboxMessage], texts: list[str]) -> Digest:
    if len(messages) == 1:
        return Digest(robot, messages, messages[0].payload)
    content = f"**{len(texts)} 条通知（合并发送）**{_SEPARATOR}" + _SEPARATOR.join(texts)
    payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": content}}
    if robot:
        payload["to"] = robot
    return Digest(robot, messages, payload)
