"""Every KPI for a period, in SQL: one grouped query per KPI and grouping (all, the ``--by``
dimension, the day), percentiles in the database.  Definitions: ``docs/kpi.md``.

Each KPI function takes the grouping (``None`` for the whole period, ``day``, ``platform``,
``shop``, ``warehouse``, ``person``) and returns ``{group key: figures}``; a KPI that has no
meaning for a grouping (interceptions per person) returns None and is left out of the groups.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    and_,
    case,
    column,
    func,
    inspect,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    true,
    union_all,
)

from ..connectors.aftersale_store import after_sales
from ..engine.routing.stock import route_decisions
from ..fulfilment.config import FulfilmentConfig
from ..fulfilment.schema import fulfilment_log, fulfilment_orders, tasks
from ..store.schema import orders
from .config import KpiConfig
from .periods import KpiPeriod
from .schema import (
    first_parcels,
    reconciliation_differences,
    reconciliation_reports,
    task_responses,
)
from .sql import Dialect, interpolate

DIMENSIONS = ("platform", "shop", "warehouse", "person")
KPIS = ("pay_to_ship", "exception_response", "mis_shipment", "throughput", "interceptions",
        "routing", "finance")
ALL = "all"
NONE = "-"

#: The scan pages' table (branch ``scan``): wrong or extra items refused at the scan are
#: prevented mis-shipments.  Read when it exists; a light table clause, so the scan area's own
#: definition stays the only one on the metadata.
scan_events = table("scan_events", column("at"), column("person"), column("order_id"),
                    column("result"))
PREVENTED = ("wrong_item", "extra_item")


class Context:
    def __init__(self, conn: Connection, period: KpiPeriod, kpi: KpiConfig,
                 fulfilment: FulfilmentConfig, now: datetime,
                 dims: tuple[str | None, ...] = (None,)) -> None:
        self.conn = conn
        self.period = period
        self.kpi = kpi
        self.fulfilment = fulfilment
        self.now = now
        #: every grouping this run reports (None: the whole period): the KPIs over a million
        #: rows read them all in one pass and add up each grouping's figures here
        self.dims = dims
        self.sql = Dialect(conn, period)
        self.sql.tune()
        self.tables = set(inspect(conn).get_table_names())
        #: figures fetched once for all groupings (see :func:`shipped_summary`)
        self.memo: dict[Any, Any] = {}

    def within(self, col: Any) -> Any:
        return and_(col >= self.period.start, col < self.period.end)


def compute(engine: Engine, period: KpiPeriod, *, by: str | None = None,
            kpi: KpiConfig | None = None, fulfilment: FulfilmentConfig | None = None,
            now: datetime | None = None, days: bool = True) -> dict[str, Any]:
    """All KPIs of ``period``: ``totals``, ``groups`` by ``by``, and ``days``."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}, not {by!r}")
    kpi = kpi or KpiConfig()
    fulfilment = fulfilment or FulfilmentConfig()
    dims = (None, *([by] if by else []), *(["day"] if days else []))
    now = now or datetime.now(UTC)
    with engine.connect() as conn, ThreadPoolExecutor(1) as helper:
        ctx = Context(conn, period, kpi, fulfilment, now, dims)
        if ctx.sql.postgres:
            # the KPIs over a few percent of the orders, and routing, on a second connection
            # (a second server process) while this one reads the shipped orders
            others = helper.submit(_summaries, engine, period, kpi, fulfilment, now, dims)
            shipped_summary(ctx)
            ctx.memo.update(others.result())
        totals = _grouped(ctx, None).get(ALL) or _empty(None)
        result: dict[str, Any] = {"period": period.as_json(), "by": by, "totals": totals}
        if by:
            result["groups"] = [{"key": k, **v} for k, v in sorted(_grouped(ctx, by).items())]
        if days:
            found = _grouped(ctx, "day")
            result["days"] = [{"day": d.isoformat(), **found.get(d.isoformat(), _empty("day"))}
                              for d in period.days()]
        conn.commit()
    return result


def _summaries(engine: Engine, period: KpiPeriod, kpi: KpiConfig,
               fulfilment: FulfilmentConfig, now: datetime,
               dims: tuple[str | None, ...]) -> dict[Any, Any]:
    """The summaries other than the shipped orders', read on a connection of their own."""
    with engine.connect() as conn:
        ctx = Context(conn, period, kpi, fulfilment, now, dims)
        for summary in (task_summary, interception_summary, mis_shipment_summary,
                        routing_summary):
            summary(ctx)
        conn.commit()
    return ctx.memo


def _grouped(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]]:
    parts = {name: FUNCTIONS[name](ctx, dim) for name in KPIS}
    keys = sorted({k for found in parts.values() if found for k in found})
    if dim is None:
        keys = [ALL]
    return {k: {name: (found.get(k) or EMPTY[name]()) for name, found in parts.items()
                if found is not None} for k in keys}


def _empty(dim: str | None) -> dict[str, Any]:
    return {name: EMPTY[name]() for name in KPIS if dim in APPLIES[name]}


def _by(query: Any, g: Any, dim: str | None) -> Any:
    """Group by ``g``, or not at all for the whole period (PostgreSQL refuses a constant)."""
    return query if dim is None else query.group_by(g)


def _key(value: Any) -> str:
    """The group's key; ``-`` for facts without one (a task of no order has no warehouse)."""
    return NONE if value is None else str(value)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 4)


# -- the orders shipped in the period: one pass for pay-to-ship, throughput, mis-shipments ----

#: A cell of the finest grouping the run needs (local day, person, the ``--by`` key): its
#: orders, those paid, those within their deadline.
Cell = tuple[int, int, int]
#: Each grouping's groups' median and p90 seconds from payment to the first parcel.
Percentiles = dict[str | None, dict[Any, list[float | None]]]

_CELL_FLAGS = itemgetter(0, 1, 2, 3)
_KEYS = {"day": 0, "person": 1}


def shipped_summary(ctx: Context) -> dict[str | None, dict[Any, dict[str, Any]]]:
    """For every grouping of the run: each group's shipped orders (first parcel in the period,
    :data:`.schema.first_parcels`), paid ones, those within the deadline, the percentiles of
    their seconds from payment, and the people and person-days that shipped them.

    The groupings add up cells of (local day, person, the ``--by`` key), read in one pass:
    on PostgreSQL one statement (:func:`_shipped_postgres`), on SQLite one fetch counted and
    sorted here (:func:`_shipped_sqlite`)."""
    found = ctx.memo.get("shipped")
    if found is not None:
        return found  # type: ignore[no-any-return]
    fp = first_parcels.c
    by = next((d for d in ctx.dims if d in ("platform", "shop", "warehouse")), None)
    columns = {"day": ctx.sql.day(fp.shipped_at), "person": fp.person,
               "key": fp[by] if by else literal_column("NULL")}
    v = fp.pay_seconds
    within = v <= _deadline_seconds(ctx, fp.platform)
    where = ctx.within(ctx.sql.scanned(fp.shipped_at))
    if ctx.sql.postgres:
        cells, pct = _shipped_postgres(ctx, by, columns, v, within, where)
    else:
        cells, pct = _shipped_sqlite(ctx, columns, v, within, where)
    found = {dim: _add_up(cells, dim, pct[dim]) for dim in ctx.dims}
    ctx.memo["shipped"] = found
    return found


def _shipped_postgres(ctx: Context, by: str | None, columns: dict[str, Any], v: Any,
                      within: Any, where: Any) -> tuple[dict[Any, Cell], Percentiles]:
    """One statement, one scan: the cells counted by a hash aggregate that also gathers each
    cell's paid seconds in an array; each group's percentiles sort only its own seconds
    (no sort of every order by its group first, as a grouped ``percentile_cont`` needs)."""
    grain = [columns["day"].label("d"), columns["person"].label("p"),
             (columns["key"] if by else null()).label("k")]
    cells = select(*grain, func.count().label("n"), func.count(v).label("paid"),
                   func.count(case((within, 1))).label("ok"),
                   func.array_agg(v).filter(v.is_not(None)).label("a")) \
        .where(where).group_by(*grain[:3 if by else 2]).cte("kpi_cells")
    slots = {"day": "d", "person": "p", by: "k"}
    wanted = [dim for dim in ctx.dims if dim is not None]

    def percentiles(condition: Any = None) -> Any:
        inner = cells.alias(f"kpi_c{len(parts)}")
        x = func.unnest(inner.c.a).table_valued("x").render_derived(f"kpi_x{len(parts)}")
        query = select(ctx.sql.percentile_cont(x.c.x, (0.5, 0.9))) \
            .select_from(inner.join(x, true()))
        if condition is not None:
            query = query.where(condition(inner))
        return query.scalar_subquery()

    parts: list[Any] = [select(literal(0).label("kind"), cells.c.d, cells.c.p, cells.c.k,
                               cells.c.n, cells.c.paid, cells.c.ok, null().label("pct"))]
    parts.append(select(literal(-1), null(), null(), null(), null(), null(), null(),
                        percentiles()))
    for i, dim in enumerate(wanted, 1):
        slot = slots[dim]
        group = select(cells.c[slot].label("key")).distinct().subquery(f"kpi_g{i}")
        keys = [group.c.key if name == slot else null() for name in ("d", "p", "k")]
        parts.append(select(literal(i), *keys, null(), null(), null(), percentiles(
            lambda inner, s=slot, g=group: inner.c[s].is_not_distinct_from(g.c.key))))
    cells_found: dict[Any, Cell] = {}
    pct: Percentiles = {dim: {} for dim in ctx.dims}
    for kind, d, p, k, n, paid, ok, found in ctx.conn.execute(union_all(*parts)):
        if kind == 0:
            cells_found[(d, p, k)] = (n, paid, ok)
            continue
        of = None if kind == -1 else wanted[kind - 1]
        key = ALL if of is None else {"d": d, "p": p, "k": k}[slots[of]]
        pct[of][key] = [None if x is None else float(x) for x in found or (None, None)]
    return cells_found, pct


def _shipped_sqlite(ctx: Context, columns: dict[str, Any], v: Any, within: Any,
                    where: Any) -> tuple[dict[Any, Cell], Percentiles]:
    """One fetch of the period's orders (day, person, key, paid and within the deadline,
    seconds), as plain tuples: SQLite's GROUP BY sorts every row, and SQLAlchemy's rows cost
    more than the fetch.  Counted in C (``Counter``), each group's seconds sorted here."""
    # flags: 1 paid, 3 paid and within the deadline, 0 not paid
    flags = case((v.is_(None), 0), (within, 3), else_=1)
    rows = ctx.conn.execute(select(columns["day"], columns["person"], columns["key"], flags,
                                   v).where(where)).cursor.fetchall()  # type: ignore[union-attr]
    cells: dict[Any, Cell] = {}
    for (d, p, k, flag), n in Counter(map(_CELL_FLAGS, rows)).items():
        cell = cells.get((d, p, k), (0, 0, 0))
        cells[(d, p, k)] = (cell[0] + n, cell[1] + (n if flag else 0),
                            cell[2] + (n if flag == 3 else 0))
    paid_rows = [r for r in rows if r[3]]
    pct: Percentiles = {dim: {} for dim in ctx.dims}
    runs: list[float] | None = None
    for dim in ctx.dims:
        if dim is None:
            continue
        at = _KEYS.get(dim, 2)
        values: dict[Any, list[float]] = {}
        for r in paid_rows:
            values.setdefault(r[at], []).append(r[4])
        for k, found in values.items():
            found.sort()
            pct[dim][k] = [interpolate(found, 0.5), interpolate(found, 0.9)]
        # the whole period from these sorted runs: Python's sort merges runs in one pass
        runs = runs or [x for found in values.values() for x in found]
    if runs is None:
        runs = [r[4] for r in paid_rows]
    runs.sort()
    pct[None][ALL] = [interpolate(runs, 0.5), interpolate(runs, 0.9)] if runs else [None, None]
    return cells, pct


def _add_up(cells: dict[Any, Cell], dim: str | None,
            pct: dict[Any, list[float | None]]) -> dict[Any, dict[str, Any]]:
    at = None if dim is None else _KEYS.get(dim, 2)
    groups: dict[Any, dict[str, Any]] = {}
    for cell, (n, paid, ok) in cells.items():
        key = ALL if at is None else cell[at]
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"n": 0, "paid": 0, "within": 0, "by_person": 0,
                               "people": set(), "person_days": set(),
                               "pct": pct.get(key, [None, None])}
        g["n"] += n
        g["paid"] += paid
        g["within"] += ok
        d, p = cell[0], cell[1]
        if p is not None:
            g["by_person"] += n
            g["people"].add(p)
            g["person_days"].add((p, d))
    return groups


def _order_dim(ctx: Context, dim: str | None, when: Any, *, warehouse: Any = None,
               person: Any = None, missing: Any = None) -> Any:
    if dim is None:
        return literal_column(f"'{ALL}'")
    if dim == "day":
        return ctx.sql.day(when)
    found = {"platform": orders.c.platform, "shop": orders.c.shop_id,
             "warehouse": warehouse, "person": person}[dim]
    return missing if found is None else found


#: One grouping (``g``: the dashboard's drill-down) or every grouping of a run (``g0``,
#: ``g1``... for each but the whole period: the run reads the rows once and adds them up).
Dims = str | None | tuple[str | None, ...]


def _groups(ctx: Context, dims: Dims, when: Any, *, warehouse: Any = None,
            person: Any = None) -> list[Any]:
    if not isinstance(dims, tuple):
        return [_order_dim(ctx, dims, when, warehouse=warehouse, person=person).label("g")]
    # a KPI without the grouping (interceptions per person) still reads its rows once
    return [_order_dim(ctx, d, when, warehouse=warehouse, person=person,
                       missing=literal_column("NULL")).label(f"g{i}")
            for i, d in enumerate(d for d in dims if d is not None)]


def _joined_dim(dims: Dims) -> str | None:
    """The grouping of ``dims`` that may need a join (platform, shop, warehouse, person)."""
    if not isinstance(dims, tuple):
        return dims
    return next((d for d in dims if d in DIMENSIONS), None)


def _per_group(ctx: Context, query: Any) -> dict[str | None, dict[Any, list[Any]]]:
    """The rows of ``query`` (group columns of :func:`_groups` for ``ctx.dims``, then the
    figures' columns) sorted into each grouping's groups: for the KPIs over a few percent of
    the orders (tasks, holds, scans, after-sales), one read for the whole run."""
    wanted = [d for d in ctx.dims if d is not None]
    n = len(wanted)
    rows = ctx.conn.execute(query).cursor.fetchall()  # type: ignore[union-attr]
    out: dict[str | None, dict[Any, list[Any]]] = {d: {} for d in ctx.dims}
    if rows:
        out[None][ALL] = [row[n:] for row in rows]
    for i, d in enumerate(wanted):
        groups = out[d]
        for row in rows:
            groups.setdefault(row[i], []).append(row[n:])
    return out


# -- pay to ship --------------------------------------------------------------------------

def _with_orders(source: Any, order_id: Any, dims: Dims, *,
                 warehouse: bool = False) -> Any:
    """``source`` joined to the order (and its fulfilment row) only when the grouping needs
    them: a join over a million rows is most of a query's time."""
    dim = _joined_dim(dims)
    if dim in ("platform", "shop"):
        source = source.outerjoin(orders, orders.c.id == order_id)
    if warehouse and dim == "warehouse":
        source = source.outerjoin(fulfilment_orders, fulfilment_orders.c.order_id == order_id)
    return source


def _deadline_seconds(ctx: Context, platform: Any) -> Any:
    hours = ctx.kpi.ship_deadline_hours
    default = ctx.kpi.default_deadline_hours * 3600
    if not hours:
        return literal(default, Float)
    return case({p: h * 3600 for p, h in hours.items()}, value=platform,
                else_=default)


def pay_to_ship(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]]:
    """Orders whose first parcel left in the period: hours from payment to that parcel."""
    return {_key(k): _ship_figures(g["paid"], g["within"], *g["pct"])
            for k, g in shipped_summary(ctx)[dim].items() if g["paid"]}


def _ship_figures(n: int, within: int, median: float | None,
                  p90: float | None) -> dict[str, Any]:
    return {"orders": n, "median_hours": _hours(median), "p90_hours": _hours(p90),
            "within_deadline": within, "late": n - within,
            "within_deadline_share": _share(within, n)}


def _empty_pay_to_ship() -> dict[str, Any]:
    return {"orders": 0, "median_hours": None, "p90_hours": None, "within_deadline": 0,
            "late": 0, "within_deadline_share": None}


# -- exception response -------------------------------------------------------------------

def _sla_seconds(ctx: Context) -> Any:
    cfg = ctx.fulfilment
    return case({k: q.sla_minutes * 60 for k, q in cfg.queues.items()}, value=tasks.c.queue,
                else_=cfg.default_sla_minutes * 60)


def task_rows(ctx: Context, dim: Dims) -> Any:
    """Tasks opened in the period, one row each: group ``g`` (see :data:`Dims`), ``order_id``,
    seconds to the first action ``v`` (null: nobody yet), the queue's SLA ``sla`` and the
    task's age now ``age``.  The figures count these rows and the dashboard lists their
    orders."""
    fa = task_responses  # each task's first action, kept by a trigger on audit_log
    due = ctx.sql.seconds(tasks.c.created_at, literal(ctx.now.replace(tzinfo=None)))
    g = _groups(ctx, dim, tasks.c.created_at, warehouse=fulfilment_orders.c.warehouse,
                person=fa.c.person)
    return select(*g, tasks.c.order_id,
                  ctx.sql.seconds(tasks.c.created_at, fa.c.at).label("v"),
                  _sla_seconds(ctx).label("sla"), due.label("age")) \
        .select_from(_with_orders(tasks.outerjoin(fa, fa.c.target == ctx.sql.text(tasks.c.id)),
                                  tasks.c.order_id, dim, warehouse=True)) \
        .where(ctx.within(tasks.c.created_at)).subquery()


def task_figures(base: Any) -> dict[str, Any]:
    """Which of :func:`task_rows` each counted figure is."""
    return {"tasks": literal(True), "responded": base.c.v.is_not(None),
            "within_sla": base.c.v <= base.c.sla,
            "breached": or_(base.c.v > base.c.sla,
                            and_(base.c.v.is_(None), base.c.age > base.c.sla))}


def task_summary(ctx: Context) -> dict[str | None, dict[Any, list[Any]]]:
    """Every grouping's tasks: (seconds to the first action, within the SLA, breached)."""
    found = ctx.memo.get("tasks")
    if found is None:
        base = task_rows(ctx, ctx.dims)
        flags = task_figures(base)
        found = ctx.memo["tasks"] = _per_group(ctx, select(
            *[c for c in base.c if c.name.startswith("g")], base.c.v,
            case((flags["within_sla"], 1), else_=0), case((flags["breached"], 1), else_=0)))
    return found  # type: ignore[no-any-return]


def exception_response(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]]:
    """Tasks opened in the period: minutes to the first person's action on them."""
    out = {}
    for g, rows in task_summary(ctx)[dim].items():
        if dim == "person" and g is None:
            continue  # nobody acted yet: no person to credit
        answered = sorted(v for v, _, _ in rows if v is not None)
        within = sum(w for _, w, _ in rows)
        breached = sum(b for _, _, b in rows)
        median, p90 = (interpolate(answered, 0.5), interpolate(answered, 0.9)) if answered \
            else (None, None)
        out[_key(g)] = {"tasks": len(rows), "responded": len(answered),
                        "median_minutes": _minutes(median), "p90_minutes": _minutes(p90),
                        "within_sla": within, "within_sla_share": _share(within, len(rows)),
                        "breached": breached}
    return out


def _empty_exception_response() -> dict[str, Any]:
    return {"tasks": 0, "responded": 0, "median_minutes": None, "p90_minutes": None,
            "within_sla": 0, "within_sla_share": None, "breached": 0}


# -- mis-shipments --------------------------------------------------------------------------

def _reason_match(ctx: Context) -> Any:
    return or_(*[after_sales.c.reason.contains(word, autoescape=True)
                 for word in ctx.kpi.mis_shipment_reasons])


def caught_rows(ctx: Context, dim: Dims) -> Any:
    """Wrong or extra items refused at the scan in the period (group ``g``, ``order_id``), or
    None without the scan pages' table."""
    if "scan_events" not in ctx.tables:
        return None
    g = _groups(ctx, dim, scan_events.c.at, warehouse=fulfilment_orders.c.warehouse,
                person=scan_events.c.person)
    return select(*g, scan_events.c.order_id) \
        .select_from(_with_orders(scan_events, scan_events.c.order_id, dim, warehouse=True)) \
        .where(scan_events.c.result.in_(PREVENTED), ctx.within(scan_events.c.at)).subquery()


def wrong_rows(ctx: Context, dim: Dims) -> Any:
    """After-sales records for wrong or missing items opened in the period: group ``g`` and
    the order's ``id`` (an order may have several)."""
    parcel = first_parcels.c
    g = _groups(ctx, dim, after_sales.c.created_at, warehouse=parcel.warehouse,
                person=parcel.person)
    wrong_orders = select(*g, orders.c.id).select_from(after_sales) \
        .join(orders, and_(orders.c.platform == after_sales.c.platform,
                           orders.c.platform_order_no == after_sales.c.platform_order_no)) \
        .where(_reason_match(ctx), ctx.within(after_sales.c.created_at))
    if _joined_dim(dim) in ("warehouse", "person"):
        wrong_orders = wrong_orders.outerjoin(first_parcels, parcel.order_id == orders.c.id)
    return wrong_orders.subquery("wrong")


def mis_shipment_summary(ctx: Context) -> tuple[dict[str | None, dict[Any, list[Any]]], ...]:
    """Every grouping's wrong items caught at the scan and after-sales orders."""
    found = ctx.memo.get("mis_shipment")
    if found is None:
        c = caught_rows(ctx, ctx.dims)
        found = ctx.memo["mis_shipment"] = (
            {d: {} for d in ctx.dims} if c is None else _per_group(ctx, select(c)),
            _per_group(ctx, select(wrong_rows(ctx, ctx.dims))))
    return found  # type: ignore[no-any-return]


def mis_shipment(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]]:
    """Wrong items caught at the scan and after-sales for wrong or missing items, per order
    shipped in the period."""
    counted = {k: g["n"] for k, g in shipped_summary(ctx)[dim].items()}
    found = mis_shipment_summary(ctx)
    caught = {k: len(rows) for k, rows in found[0][dim].items()}
    wrong = {k: len(set(rows)) for k, rows in found[1][dim].items()}
    out = {}
    for key in set(counted) | set(caught) | set(wrong):
        n, c, m = counted.get(key, 0), caught.get(key, 0), wrong.get(key, 0)
        out[_key(key)] = {"shipped_orders": n, "caught_at_scan": c, "after_sales": m,
                          "rate": _share(m, n), "caught_rate": _share(c, n)}
    return out


def _empty_mis_shipment() -> dict[str, Any]:
    return {"shipped_orders": 0, "caught_at_scan": 0, "after_sales": 0, "rate": None,
            "caught_rate": None}


# -- orders shipped per person per day ---------------------------------------------------------

def throughput(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]]:
    """Orders whose first parcel left in the period, per person and shop-time day."""
    out = {}
    for k, g in shipped_summary(ctx)[dim].items():
        if not g["by_person"]:
            continue
        n, person_days = g["by_person"], len(g["person_days"])
        out[_key(k)] = {"orders_shipped": n, "people": len(g["people"]),
                        "person_days": person_days,
                        "orders_per_person_day": round(n / person_days, 4)}
    return out


def _empty_throughput() -> dict[str, Any]:
    return {"orders_shipped": 0, "people": 0, "person_days": 0, "orders_per_person_day": None}


# -- interceptions ----------------------------------------------------------------------------

def interception_figures() -> dict[str, Any]:
    """Which ``fulfilment_log`` rows each interception figure counts (distinct orders)."""
    log, released = fulfilment_log, fulfilment_log.alias("released")
    to = log.c.data["to"].as_string()
    return {"before_release": and_(
                log.c.kind == "hold", log.c.actor_kind.in_(("rule", "flow")),
                ~select(released.c.id).where(
                    released.c.order_id == log.c.order_id, released.c.kind == "stage",
                    released.c.stage_to == "released", released.c.at <= log.c.at).exists()),
            "after_release": and_(log.c.kind == "intercept", to == "wms"),
            "after_shipping": and_(log.c.kind == "intercept", to == "carrier")}


def interception_rows(ctx: Context, dim: Dims) -> Any:
    """Holds and intercepts logged in the period: group ``g``, ``order_id`` and one flag per
    figure of :func:`interception_figures`."""
    log = fulfilment_log
    g = _groups(ctx, dim, log.c.at, warehouse=fulfilment_orders.c.warehouse)
    return select(*g, log.c.order_id,
                  *[case((cond, 1), else_=0).label(name)
                    for name, cond in interception_figures().items()]) \
        .select_from(_with_orders(log, log.c.order_id, dim, warehouse=True)) \
        .where(ctx.within(log.c.at), log.c.kind.in_(("hold", "intercept"))).subquery()


def interception_summary(ctx: Context) -> dict[str | None, dict[Any, list[Any]]]:
    """Every grouping's holds and intercepts: (order, one flag per figure)."""
    found = ctx.memo.get("interceptions")
    if found is None:
        found = ctx.memo["interceptions"] = _per_group(
            ctx, select(interception_rows(ctx, ctx.dims)))
    return found  # type: ignore[no-any-return]


def interceptions(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]] | None:
    """Orders a rule or flow held before their release; intercepts at the warehouse (after
    release) and with the carrier (after shipping), logged in the period."""
    if dim == "person":
        return None
    out = {}
    for g, rows in interception_summary(ctx)[dim].items():
        orders_of: tuple[set[str], ...] = (set(), set(), set())
        for order, *flags in rows:
            for i, flag in enumerate(flags):
                if flag == 1:
                    orders_of[i].add(order)
        if any(orders_of):
            out[_key(g)] = dict(zip(interception_figures(), map(len, orders_of), strict=True))
    return out


def _empty_interceptions() -> dict[str, Any]:
    return {"before_release": 0, "after_release": 0, "after_shipping": 0}


# -- routing: diversions and stock-outs --------------------------------------------------------

def routing_figures() -> dict[str, Any]:
    """Which ``route_decisions`` rows each routing figure counts."""
    rd = route_decisions
    return {"decisions": literal(True), "diverted_in": rd.c.diverted_from.is_not(None),
            "stockouts": or_(rd.c.result["stockout"].as_boolean(),
                             rd.c.trace.contains("out of stock"))}


def routing_dim(ctx: Context, dim: str | None) -> Any:
    return _order_dim(ctx, dim, route_decisions.c.at, warehouse=route_decisions.c.warehouse)


def routing_summary(ctx: Context) -> dict[str | None, dict[Any, dict[str, int]]]:
    """Each grouping's routing figures, from one pass over the period's decisions grouped
    by every dimension the run reports (and, by warehouse, the warehouse diverted from)."""
    found = ctx.memo.get("routing")
    if found is not None:
        return found  # type: ignore[no-any-return]
    rd = route_decisions
    wanted = [d for d in ctx.dims if d not in (None, "person")]
    # SQLite: not the (warehouse, at) index's order, which looks up each row (see scanned)
    grain = [ctx.sql.scanned(rd.c.warehouse) if d == "warehouse" else routing_dim(ctx, d)
             for d in wanted]
    if "warehouse" in wanted:
        grain.append(ctx.sql.scanned(rd.c.diverted_from))
    query = select(*grain, func.count(), func.count(rd.c.diverted_from),
                   func.count(case((routing_figures()["stockouts"], 1)))) \
        .select_from(_with_orders(rd, rd.c.order_id, next(
            (d for d in wanted if d in ("platform", "shop")), None))) \
        .where(ctx.within(ctx.sql.scanned(rd.c.at)))
    if grain:
        query = query.group_by(*grain)
    found = {dim: {} for dim in ctx.dims if dim != "person"}
    for row in ctx.conn.execute(query):
        n, diverted, stockouts = row[-3:]
        for dim, out in found.items():
            key = ALL if dim is None else row[wanted.index(dim)]
            figures = out.setdefault(key, _empty_routing())
            figures["decisions"] += n
            figures["diverted_in"] += diverted
            figures["stockouts"] += stockouts
            if dim == "warehouse" and row[len(wanted)] is not None:
                out.setdefault(row[len(wanted)], _empty_routing())["diverted_out"] += diverted
            elif dim != "warehouse":
                figures["diverted_out"] += diverted
    ctx.memo["routing"] = found
    return found


def routing(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]] | None:
    """Routing decisions made in the period: how many, diverted, out of stock."""
    if dim == "person":
        return None
    return {_key(k): figures for k, figures in routing_summary(ctx)[dim].items()}


def _empty_routing() -> dict[str, Any]:
    return {"decisions": 0, "diverted_in": 0, "diverted_out": 0, "stockouts": 0}


# -- finance close ----------------------------------------------------------------------------

def finance(ctx: Context, dim: str | None) -> dict[str, dict[str, Any]] | None:
    """Differences found and resolved in the period; hours from a period's end to its first
    report, for periods that ended in the period."""
    if dim not in (None, "day", "platform") or "reconciliation_reports" not in ctx.tables:
        return None if dim not in (None, "day", "platform") else {}
    rd = reconciliation_differences
    out: dict[str, dict[str, Any]] = {}

    def slot(key: Any) -> dict[str, Any]:
        return out.setdefault(_key(key), _empty_finance())

    dims = {None: lambda col: literal_column(f"'{ALL}'"), "platform": lambda col: rd.c.platform,
            "day": ctx.sql.day}
    found_g = dims[dim](rd.c.found_at)
    for g, found, still_open in ctx.conn.execute(_by(
            select(found_g, func.count(), func.count(case((rd.c.resolved_at.is_(None), 1))))
            .where(ctx.within(rd.c.found_at)), found_g, dim)):
        slot(g).update(differences_found=found, differences_open=still_open)
    resolved_g = dims[dim](rd.c.resolved_at)
    for g, n in ctx.conn.execute(_by(select(resolved_g, func.count())
                                     .where(ctx.within(rd.c.resolved_at)), resolved_g, dim)):
        slot(g)["differences_resolved"] = n
    if dim == "platform":
        return out
    rr = reconciliation_reports
    first = select(rr.c.label, rr.c.shop, rr.c.period_end,
                   func.min(rr.c.generated_at).label("at")) \
        .where(ctx.within(rr.c.period_end)) \
        .group_by(rr.c.label, rr.c.shop, rr.c.period_end).subquery()
    g = literal_column(f"'{ALL}'") if dim is None else ctx.sql.day(first.c.period_end)
    base = select(g.label("g"), ctx.sql.seconds(first.c.period_end, first.c.at).label("v")) \
        .subquery()
    counts: dict[str, int] = dict(
        ctx.conn.execute(select(base.c.g, func.count()).group_by(base.c.g)).all())
    pct = ctx.sql.percentiles(base, (0.5, 1.0))
    for g, n in counts.items():
        median, worst = pct.get(g, [None, None])
        slot(g).update(reports=n, median_hours_to_report=_hours(median),
                       max_hours_to_report=_hours(worst))
    return out


def _empty_finance() -> dict[str, Any]:
    return {"differences_found": 0, "differences_open": 0, "differences_resolved": 0,
            "reports": 0, "median_hours_to_report": None, "max_hours_to_report": None}


FUNCTIONS = {"pay_to_ship": pay_to_ship, "exception_response": exception_response,
             "mis_shipment": mis_shipment, "throughput": throughput,
             "interceptions": interceptions, "routing": routing, "finance": finance}
EMPTY = {"pay_to_ship": _empty_pay_to_ship, "exception_response": _empty_exception_response,
         "mis_shipment": _empty_mis_shipment, "throughput": _empty_throughput,
         "interceptions": _empty_interceptions, "routing": _empty_routing,
         "finance": _empty_finance}
#: The groupings each KPI has (None: the whole period).
APPLIES = {name: {None, "day", *DIMENSIONS} for name in KPIS}
APPLIES["interceptions"] = {None, "day", "platform", "shop", "warehouse"}
APPLIES["routing"] = {None, "day", "platform", "shop", "warehouse"}
APPLIES["finance"] = {None, "day", "platform"}
