"""The outbox dispatcher: a thread that leases due messages and delivers them through channels.

A leased batch is delivered ``send_concurrency`` messages at a time (a slow WMS or SMS gateway
then costs its latency once per batch, not once per message); the messages of one order go
one after another, in the order they were written.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx

from .channels import Channel, DeliveryError, build_channels
from .config import ServiceConfig
from .digest import Digest, RateLimit, plan_digests
from .outbox import Backoff, Outbox, OutboxMessage
from .reconnect import Reconnect, is_connection_lost

log = logging.getLogger("orderhub.service.outbox")


class Dispatcher(threading.Thread):
    def __init__(self, outbox: Outbox, config: ServiceConfig,
                 channels: dict[str, Channel] | None = None,
                 count: Callable[[str], None] = lambda _: None,
                 platform_ship: Channel | None = None) -> None:
        super().__init__(name="orderhub-outbox", daemon=True)
        self.outbox = outbox
        self.config = config
        self.client = httpx.Client(timeout=config.send_timeout_seconds)
        self.channels = channels or build_channels(config.channels, self.client, platform_ship)
        #: called with the message (status ``dead``) and the error when a message goes dead,
        #: e.g. to open a task for a person; a failing callback is logged, never fatal
        self.on_dead: list[Callable[[OutboxMessage, DeliveryError], None]] = []
        self.backoff = Backoff(config.backoff_seconds, config.backoff_max_seconds)
        # a send is leased for its timeout plus a margin; after that another dispatcher retries
        self.lease = timedelta(seconds=config.send_timeout_seconds * 2 + 5)
        self.count = count
        #: channels that cannot send anything (no URL configured) -> why; their messages are
        #: left waiting, untried, and this is said once at start, not once per attempt
        self.unconfigured = unconfigured_channels(self.channels)
        self._warned: set[str] = set()
        self._next_check = 0.0
        if self.unconfigured:
            log.info("channels not configured (their messages wait, untried): %s",
                     ", ".join(sorted(self.unconfigured)))
        self.reconnect = Reconnect("outbox", count)
        self.wecom = config.channels.wecom
        self.robot_limit = RateLimit(self.wecom.per_minute)
        self.stop_event = threading.Event()
        self.idle = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    sent = self.step()
                except Exception as exc:  # noqa: BLE001 - database blip: wait and go on
                    if not is_connection_lost(exc):
                        log.exception("outbox dispatcher step failed")
                    else:
                        self.idle.set()
                        self.stop_event.wait(self.reconnect.lost(exc))
                        continue
                    sent = 0
                else:
                    self.reconnect.back()
                    self._warn_unconfigured()
                if sent:
                    self.idle.clear()
                else:
                    self.idle.set()
                    self.stop_event.wait(self.config.poll_seconds)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            self.client.close()
            for channel in self.channels.values():
                close = getattr(channel, "close", None)
                if callable(close):
                    close()

    def _warn_unconfigured(self, every: float = 60.0) -> None:
        """Once per outage of configuration, not per attempt: a warning when messages of an
        unconfigured channel start waiting (checked at most every ``every`` seconds)."""
        now = time.monotonic()
        if not self.unconfigured or now < self._next_check:
            return
        self._next_check = now + every
        for kind, reason in sorted(self.unconfigured.items()):
            waiting = self.outbox.waiting([kind])
            if waiting and kind not in self._warned:
                self._warned.add(kind)
                log.warning("%s: %d %s message(s) wait, untried, until it is configured",
                            reason, waiting, kind,
                            extra={"event": "channel_unconfigured", "kind": kind})
            elif not waiting:
                self._warned.discard(kind)

    def step(self, limit: int = 20) -> int:
        """Deliver one batch of due messages; returns how many were tried."""
        messages = self.outbox.claim_due(limit, datetime.now(UTC), self.lease,
                                         skip_kinds=self.unconfigured)
        robots = [m for m in messages if m.kind == "wecom"]
        if robots:
            self._deliver_to_robots(robots)
        by_order: dict[str | None, list[OutboxMessage]] = {}
        for message in (m for m in messages if m.kind != "wecom"):
            by_order.setdefault(message.order_id or f"#{message.id}", []).append(message)
        groups = list(by_order.values())
        if len(groups) > 1 and self.config.send_concurrency > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.send_concurrency,
                                                thread_name_prefix="orderhub-send")
            list(self._pool.map(self._deliver_in_order, groups))
        else:
            for group in groups:
                self._deliver_in_order(group)
        return len(messages)

    def _deliver_to_robots(self, messages: list[OutboxMessage]) -> None:
        """WeCom messages: digests per robot (see :mod:`.digest`), each within the robot's
        per-minute limit; what does not fit now waits, untried, for the window to open."""
        if self.wecom.digest:
            digests = plan_digests(messages, self.wecom.msgtype)
        else:
            digests = [Digest("", [m], m.payload) for m in messages]
        for digest in digests:
            wait = self.robot_limit.wait(digest.robot)
            if wait > 0 or self.stop_event.is_set():
                until = datetime.now(UTC) + timedelta(seconds=wait)
                for m in digest.messages:
                    self.outbox.postpone(m, until)
                continue
            self.robot_limit.note(digest.robot)
            if len(digest.messages) == 1:
                self.deliver(digest.messages[0])
            else:
                self.deliver_digest(digest)

    def deliver_digest(self, digest: Digest) -> None:
        """Send several messages as one post; they succeed or fail together."""
        channel = self.channels["wecom"]
        try:
            channel.send(digest.payload, digest.key)
        except DeliveryError as exc:
            now = datetime.now(UTC)
            for m in digest.messages:
                status = self.outbox.failed(m, str(exc), now, retryable=exc.retryable,
                                            max_attempts=self.config.max_attempts,
                                            backoff=self.backoff)
                self.count("outbox_dead" if status == "dead" else "outbox_retries")
                if status == "dead":
                    self._dead(dataclasses.replace(m, status="dead", last_error=str(exc)), exc)
            log.warning("wecom digest of %d message(s) failed: %s", len(digest.messages), exc,
                        extra={"event": "outbox", "kind": "wecom",
                               "outbox_ids": [m.id for m in digest.messages]})
            return
        now = datetime.now(UTC)
        for m in digest.messages:
            self.outbox.sent(m, now)
            self.count("outbox_sent")
        self.count("wecom_digests")
        log.debug("wecom digest of %d message(s) sent", len(digest.messages))

    def _deliver_in_order(self, group: list[OutboxMessage]) -> None:
        for message in group:
            if self.stop_event.is_set():
                # give back what we did not try: due again at once for the next start
                self.outbox.release(message, datetime.now(UTC))
            else:
                self.deliver(message)

    def deliver(self, message: OutboxMessage) -> None:
        channel = self.channels.get(message.kind)
        extra = {"event": "outbox", "outbox_id": message.id, "kind": message.kind,
                 "attempt": message.attempts}
        try:
            if channel is None:
                raise DeliveryError(f"no channel {message.kind!r}", retryable=False)
            channel.send(message.payload, message.idempotency_key)
        except DeliveryError as exc:
            status = self.outbox.failed(message, str(exc), datetime.now(UTC),
                                        retryable=exc.retryable,
                                        max_attempts=self.config.max_attempts,
                                        backoff=self.backoff)
            self.count("outbox_dead" if status == "dead" else "outbox_retries")
            level = logging.ERROR if status == "dead" else logging.WARNING
            log.log(level, "outbox %d (%s) attempt %d failed: %s -> %s", message.id,
                    message.kind, message.attempts, exc, status, extra={**extra, "status": status})
            if status == "dead":
                self._dead(dataclasses.replace(message, status="dead", last_error=str(exc)),
                           exc)
            return
        self.outbox.sent(message, datetime.now(UTC))
        self.count("outbox_sent")
        log.debug("outbox %d (%s) sent", message.id, message.kind, extra=extra)

    def _dead(self, message: OutboxMessage, exc: DeliveryError) -> None:
        for callback in list(self.on_dead):
            try:
                callback(message, exc)
            except Exception:  # noqa: BLE001 - one bad callback must not stop delivery
                log.exception("outbox %d: on_dead callback %r failed", message.id, callback)

    def stop(self) -> None:
        self.stop_event.set()


def unconfigured_channels(channels: dict[str, Channel]) -> dict[str, str]:
    """Channel kind -> why it cannot send, for channels that say so (``missing()``)."""
    found = {}
    for kind, channel in channels.items():
        missing = getattr(channel, "missing", None)
        reason = missing() if callable(missing) else None
        if reason:
            found[kind] = reason
    return found
