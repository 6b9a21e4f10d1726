"""One click, by wave: take the numbers, print waybills, pick list and packing slips.

:class:`Waybills` is the Python API the CLI and the console's button call::

    wb = Waybills.of(workspace)
    result = wb.take("SH", filters=WaveFilter(platform="douyin", single_item=True))
    wb.print_pdf(result.wave, Path("wave.pdf"))      # labels + pick list + packing slips
    jobs = wb.print_jobs(result.wave)                 # or: print-component tasks for the page
    wb.cancel("taobao:2601573729663813588")           # give a number back

Numbers are taken in batches of what each platform allows, several calls at once per account;
a failed order keeps its row (status ``failed``, the platform's reason) and is taken again by
:meth:`Waybills.retry` with the same request key.
"""

from __future__ import annotations

import builtins
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..connectors.shops import ShopConfig, find_shop
from ..errors import NotFound, OrderhubError
from ..model import Order
from .component import PrintJob, PrintOutcome
from .config import WarehouseWaybills, WaybillsConfig
from .providers import Parcel, Provider, Taken, provider_class
from .store import CANCELLED, FAILED, ISSUED, WaybillRow, WaybillStore
from .waves import HoldCheck, WaveFilter, fulfilment_holds, ready_orders


class WaybillError(OrderhubError):
    """A waybill request that cannot be carried out as asked (config, unknown wave)."""


@dataclass
class Failure:
    """An order that got no number, with the platform's reason; ``retry`` takes it again."""

    order: str
    order_id: str
    reason: str
    code: str | None = None
    retryable: bool = True


@dataclass
class WaveResult:
    wave: str
    warehouse: str
    selected: int = 0
    issued: list[WaybillRow] = field(default_factory=list)
    already: list[WaybillRow] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    held: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"wave": self.wave, "warehouse": self.warehouse, "selected": self.selected,
                "issued": len(self.issued), "already_issued": len(self.already),
                "failed": [f.__dict__ for f in self.failed], "held": self.held,
                "skipped": self.skipped}


class Waybills:
    """Waybills of one workspace: its store, the ``waybills:`` config and the shops."""

    def __init__(self, store: Any, config: WaybillsConfig, shops: Sequence[ShopConfig], *,
                 holds: HoldCheck | None = None, root: Path | None = None) -> None:
        self.store = store
        self.config = config
        self.shops = list(shops)
        self.holds = holds or fulfilment_holds(store.engine)
        self.root = root or Path(".")
        self.rows = WaybillStore(store.engine)
        self._providers: dict[tuple[str, str], Provider] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, workspace: Any, *, holds: HoldCheck | None = None) -> Waybills:
        return cls(workspace.store, workspace.config.waybills, workspace.config.shops,
                   holds=holds, root=workspace.root)

    # -- accounts --------------------------------------------------------------------------

    def warehouse(self, code: str) -> WarehouseWaybills:
        try:
            return self.config.warehouses[code]
        except KeyError:
            known = ", ".join(self.config.warehouses) or "none configured"
            raise WaybillError(f"warehouse {code!r} has no waybills: section in orderhub.yaml "
                               f"(warehouses with one: {known})") from None

    def provider(self, warehouse: str, platform: str, carrier: str | None = None
                 ) -> Provider | None:
        """The provider for ``platform`` orders shipped from ``warehouse`` (None: no account)."""
        wh = self.warehouse(warehouse)
        with self._lock:
            cached = self._providers.get((warehouse, platform))
            if cached is not None and (carrier is None or cached.account.carrier == carrier):
                return cached
            for account in wh.accounts:
                if account.platform == platform and carrier in (None, account.carrier):
                    from ..connectors.pull import make_client

                    shop = find_shop(self.shops, account.shop)
                    made = provider_class(platform)(make_client(shop), account, wh.sender)
                    self._providers[(warehouse, platform)] = made
                    return made
        return None

    def close(self) -> None:
        for p in self._providers.values():
            p.client.close()

    # -- taking numbers --------------------------------------------------------------------

    def take(self, warehouse: str, *, wave: str | None = None,
             filters: WaveFilter | None = None, now: datetime | None = None) -> WaveResult:
        """Take numbers for the warehouse's ready orders (or, for an existing wave, for its
        orders still without one)."""
        filters = filters or WaveFilter()
        at = now or datetime.now(UTC)
        name = wave or f"{warehouse}-{at.strftime('%Y%m%d-%H%M%S')}"
        old = self.rows.wave(name)
        if old is not None:
            warehouse = old.warehouse
            candidates = self._open_orders(name)
        else:
            candidates = [o for o in ready_orders(self.store.engine, warehouse)
                          if filters.matches(o)]
        self.warehouse(warehouse)
        result = WaveResult(name, warehouse)
        chosen = self._choose(candidates, warehouse, filters, result)
        if filters.limit:
            chosen = chosen[:filters.limit]
        result.selected = len(chosen)
        self.rows.save_wave(name, warehouse, filters.to_dict(),
                            result.held + result.skipped, now=at)
        if not chosen:
            return result
        claimed = self.rows.claim([(o, p.account.shop) for o, p in chosen],
                                  warehouse=warehouse, wave=name, now=at)
        by_id = {str(o.id): (o, p) for o, p in chosen}
        todo = [r for r in claimed if r.status != ISSUED]
        result.already = [r for r in claimed if r.status == ISSUED]
        self.rows.record(self._take_all(todo, by_id), now=at)
        for r in self.rows.rows(wave=name):
            if r.order_id not in by_id:
                continue
            if r.status == ISSUED and r not in result.already:
                result.issued.append(r)
            elif r.status == FAILED:
                result.failed.append(Failure(r.order_label, r.order_id, r.error or "unknown",
                                             r.error_code))
        return result

    def one_click(self, warehouse: str, *, filters: WaveFilter | None = None,
                  wave: str | None = None, printer: str = "",
                  pdf: Path | None = None) -> dict[str, Any]:
        """The console's button: take a wave's numbers, then its print jobs for the page's
        print components (and, with ``pdf``, the labels, pick list and packing slips)."""
        result = self.take(warehouse, wave=wave, filters=filters)
        out: dict[str, Any] = {"wave": result.to_dict(), "jobs": [], "pdf": None}
        if result.issued or result.already:
            out["jobs"] = [{"component": j.component, "url": j.url, "task_id": j.task_id,
                            "codes": j.codes, "message": j.message}
                           for j in self.print_jobs(result.wave, printer=printer)]
            if pdf is not None:
                out["pdf"] = self.print_pdf(result.wave, pdf)
        return out

    def retry(self, wave: str) -> WaveResult:
        """Take numbers again for the wave's orders that failed."""
        if self.rows.wave(wave) is None:
            raise NotFound(f"no wave {wave!r} (see `orderhub waybills waves`)")
        return self.take("", wave=wave)

    def _open_orders(self, wave: str) -> list[Order]:
        rows = [r for r in self.rows.rows(wave=wave) if r.status != ISSUED]
        found = self.orders_of(rows)
        return [found[r.order_id] for r in rows if r.order_id in found]

    def _choose(self, candidates: list[Order], warehouse: str, filters: WaveFilter,
                result: WaveResult) -> list[tuple[Order, Provider]]:
        held = self.holds([o.id or "" for o in candidates]) if candidates else {}
        chosen = []
        for o in candidates:
            if o.id in held:
                result.held.append({"order": o.label, "order_id": o.id or "",
                                    "reason": held[o.id or ""]})
                continue
            provider = self.provider(warehouse, o.platform.value, filters.carrier)
            if provider is None:
                if filters.carrier is None:
                    result.skipped.append({"order": o.label, "order_id": o.id or "",
                                           "reason": f"no waybill account for {o.platform.value}"
                                                     f" orders in {warehouse}"})
                continue
            chosen.append((o, provider))
        return chosen

    def _take_all(self, rows: list[WaybillRow], by_id: dict[str, tuple[Order, Provider]]
                  ) -> list[tuple[int, str, Taken]]:
        groups: dict[int, tuple[Provider, list[WaybillRow]]] = {}
        for r in rows:
            provider = by_id[r.order_id][1]
            groups.setdefault(id(provider), (provider, []))[1].append(r)
        jobs = []
        for provider, members in groups.values():
            size = provider.batch_size
            jobs += [(provider, members[i:i + size]) for i in range(0, len(members), size)]
        workers = sum(p.account.concurrency for p, _ in groups.values()) or 1

        def run(job: tuple[Provider, list[WaybillRow]]) -> list[tuple[int, str, Taken]]:
            provider, batch = job
            parcels = [Parcel(r.request_key, by_id[r.order_id][0], r.package) for r in batch]
            answers = {t.key: t for t in provider.take(parcels)}
            return [(r.id, provider.account.carrier,
                     answers.get(r.request_key) or Taken(r.request_key, error="no answer"))
                    for r in batch]

        with ThreadPoolExecutor(min(workers, len(jobs))) as pool:
            return [a for done in pool.map(run, jobs) for a in done]

    # -- cancelling ------------------------------------------------------------------------

    def cancel(self, ref: str) -> list[str]:
        """Cancel the issued waybills of an order (internal ID, ``PLATFORM:NUMBER``, or a
        waybill code) at the platform; returns the codes cancelled.  Already cancelled ones are
        not sent again."""
        rows = self._rows_of(ref)
        done = []
        for r in rows:
            if r.status != ISSUED or not r.waybill_code:
                continue
            provider = self.provider(r.warehouse, r.platform, r.carrier)
            if provider is None:
                raise WaybillError(f"no {r.platform} account for carrier {r.carrier} in "
                                   f"{r.warehouse} to cancel {r.waybill_code}")
            provider.cancel(r.waybill_code)
            self.rows.cancelled(r)
            done.append(r.waybill_code)
        return done

    def intercept(self, order_id: str, reason: str = "") -> list[str]:
        """The interception hook: an order stopped after its number was taken gives the number
        back at the platform (once; a second call finds nothing issued)."""
        return self.cancel(order_id)

    # -- printing as PDF -------------------------------------------------------------------

    def print_pdf(self, wave: str, out: Path, *, size: str | None = None,
                  rows: Sequence[WaybillRow] | None = None) -> dict[str, Any]:
        """Render the wave's labels (or ``rows``), pick list and packing slips as PDF and mark
        the waybills printed.  Returns the files written."""
        from .labels import load_locations, render_wave

        found = self.rows.wave(wave)
        if found is None:
            raise NotFound(f"no wave {wave!r} (see `orderhub waybills waves`)")
        chosen = list(rows) if rows is not None else self.wave_rows(wave)
        if not chosen:
            raise WaybillError(f"wave {wave!r} has no issued waybill to print")
        wh = self.warehouse(found.warehouse)
        locations = load_locations(self.root / wh.locations) if wh.locations else {}
        info = render_wave(chosen, self.orders_of(chosen), wh.sender, out, wave=wave,
                           warehouse=found.warehouse, locations=locations,
                           size=size or wh.label_size)
        self.rows.printed([r.waybill_code for r in chosen if r.waybill_code])
        self.start_picking([r.order_id for r in chosen], f"wave {wave} printed")
        return info

    def reprint(self, ref: str, out: Path, *, size: str | None = None) -> dict[str, Any]:
        """One order's label again (by order reference or waybill code)."""
        rows = [r for r in self._rows_of(ref) if r.status == ISSUED]
        if not rows:
            raise NotFound(f"order {ref!r} has no issued waybill")
        return self.print_pdf(rows[0].wave or "", out, size=size, rows=rows)

    def _rows_of(self, ref: str) -> list[WaybillRow]:
        rows = self.rows.rows(code=ref) if ":" not in ref else []
        return rows or self.rows.rows(order_id=self.store.get(ref).id)

    # -- printing through the platforms' components ---------------------------------------

    def print_jobs(self, wave: str, *, printer: str = "", per_task: int = 50,
                   rows: Sequence[WaybillRow] | None = None) -> list[PrintJob]:
        """Print tasks for the wave's waybills, one component per source platform, the print
        data passed through as the platform gave it.  The browser page sends them to the
        component on the packer's PC and reports back through :meth:`record_print`."""
        from .component import COMPONENT_OF, content, print_job

        chosen = self._with_print_data(list(rows) if rows is not None else self.wave_rows(wave))
        groups: dict[str, list[WaybillRow]] = defaultdict(list)
        for r in chosen:
            if r.print_data:
                groups[r.platform].append(r)
        jobs = []
        for platform, members in groups.items():
            kind = COMPONENT_OF[platform]
            provider = self.provider(members[0].warehouse, platform, members[0].carrier)
            sender = self.warehouse(members[0].warehouse).sender
            extra: dict[str, str] = {}
            if provider is not None and kind == "douyin":
                extra["shop_key_params"] = provider.shop_key_params()  # type: ignore[attr-defined]
            if provider is not None and kind == "pdd":
                extra["user_id"] = provider.client.shop.shop_id
            for i in range(0, len(members), per_task):
                part = members[i:i + per_task]
                job = print_job(kind, part, [content(kind, r, sender, **extra) for r in part],
                                printer=printer)
                self.rows.sent_to_printer([r.id for r in part], job.task_id)
                jobs.append(job)
        return jobs

    def _with_print_data(self, rows: list[WaybillRow]) -> list[WaybillRow]:
        """Fetch print data for numbers taken without it (JD pullData or Douyin waybillApply
        failed at the time); rows that still have none are left out of the print jobs."""
        missing: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
        for r in rows:
            if not r.print_data and r.waybill_code:
                missing[(r.warehouse, r.platform, r.carrier)][r.waybill_code] = \
                    r.order_label.split(":", 1)[1]
        if not missing:
            return rows
        for (warehouse, platform, carrier), codes in missing.items():
            provider = self.provider(warehouse, platform, carrier)
            found = provider.fetch_print_data(codes) if provider else {}
            for r in rows:
                if r.waybill_code in found:
                    self.rows.set_print_data(r.id, found[r.waybill_code])
        by_id = {r.id: r for r in self.rows.rows(wave=rows[0].wave)} if rows[0].wave else {}
        return [by_id.get(r.id, r) for r in rows]

    def record_print(self, outcome: PrintOutcome) -> int:
        """Mark the documents a component reported printed (their orders move to
        ``picking``); returns how many."""
        if not outcome.printed:
            return 0
        done = self.rows.printed(outcome.printed, task=outcome.task_id)
        ids = {r.order_id for code in outcome.printed for r in self.rows.rows(code=code)}
        self.start_picking(sorted(ids), f"print task {outcome.task_id} printed")
        return done

    def start_picking(self, order_ids: Sequence[str], why: str) -> int:
        """Move the orders that are ``released`` to ``picking`` (their labels and pick list
        are out); returns how many moved."""
        from ..fulfilment import stages

        now = datetime.now(UTC)
        actor = stages.Actor("system", "waybills")
        moved = 0
        with self.store.engine.begin() as conn:
            found = stages.stages_of(conn, order_ids)
            for order_id, (stage, _) in found.items():
                if stage == "released":
                    stages.move(conn, order_id, "picking", actor, why, now, current=stage)
                    moved += 1
        return moved

    def print_with_components(self, wave: str, *, urls: dict[str, str] | None = None,
                              printer: str = "") -> list[PrintOutcome]:
        """Send the wave's print tasks to the components (default: their local ports) and
        record what they report."""
        from .component import ComponentClient

        outcomes = []
        for job in self.print_jobs(wave, printer=printer):
            with ComponentClient((urls or {}).get(job.component) or job.url) as client:
                outcome = client.print(job)
            self.record_print(outcome)
            outcomes.append(outcome)
        return outcomes

    # -- listing ---------------------------------------------------------------------------

    def wave_rows(self, wave: str) -> list[WaybillRow]:
        if self.rows.wave(wave) is None:
            raise NotFound(f"no wave {wave!r} (see `orderhub waybills waves`)")
        return [r for r in self.rows.rows(wave=wave) if r.status == ISSUED]

    def orders_of(self, rows: Sequence[WaybillRow]) -> dict[str, Order]:
        """The rows' orders by id, read a chunk at a time."""
        from sqlalchemy import select

        from ..store.schema import orders

        ids = sorted({r.order_id for r in rows})
        out: dict[str, Order] = {}
        with self.store.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for row in conn.execute(select(orders.c.id, orders.c.doc)
                                        .where(orders.c.id.in_(ids[i:i + 500]))):
                    order = Order.model_validate_json(row.doc)
                    order.id = row.id
                    out[row.id] = order
        return out

    # last in the class: a method named ``list`` hides the builtin in annotations below it
    def list(self, *, wave: str | None = None, status: str | None = None,
             limit: int | None = None) -> builtins.list[WaybillRow]:
        """Waybill rows, oldest first (``orderhub waybills list``)."""
        return self.rows.rows(wave=wave, status=status, limit=limit)


def summary_by_status(rows: Sequence[WaybillRow]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r.status] += 1
    return dict(out)


__all__ = ["CANCELLED", "Failure", "WaveFilter", "WaveResult", "WaybillError", "Waybills"]
