"""Reports more than one command prints: an ingest's and a pull's summary (``orderhub ingest``,
``orderhub pull`` and ``orderhub demo``), a dry run's routes (``orderhub dry-run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._output import echo_json, flag, local, table

if TYPE_CHECKING:  # each command imports only what it runs (cli.py, COMMANDS)
    from ..connectors.ingest import IngestSummary
    from ..connectors.pull import PullSummary
    from ..engine.routing.runtime import RouteResult


def ingest_report(summary: IngestSummary, fmt: str) -> None:
    """What ``orderhub ingest`` (and the demo's ingest step) prints: each reject with its file,
    record and reason, then the counts."""
    for r in summary.rejects:
        file = r.file or ""
        if file in summary.unknown:
            flag("source unknown", "red", r.reason)
            continue
        if file in summary.unreadable and r.record is None:
            flag("unreadable", "red", f"{file}: {r.reason}")
            continue
        unit = "row" if file.endswith((".csv", ".xlsx", ".tsv", ".txt")) else (
            "line" if file.endswith((".jsonl", ".ndjson")) else "record")
        where = f"{file}, {unit} {r.record}" if r.record is not None else file
        what = f" order {r.platform_order_no}" if r.platform_order_no else ""
        field = f" field {r.field}:" if r.field else ""
        flag("rejected", "red", f"{where}:{what}{field} {r.reason}")
    for path in summary.empty:
        flag("no records", "yellow", f"in {path} (a header and nothing else?)")
    if fmt == "json":
        echo_json(summary.counts())
        return
    c = summary.counts()
    table(f"ingested {summary.files} file(s)", ["new", "updated", "unchanged", "rejected"],
          [[c["new"], c["updated"], c["unchanged"], c["rejected"]]])


def pull_report(summaries: list[PullSummary], fmt: str, tz: str) -> None:
    """What ``orderhub pull`` (and the demo's pull step) prints: rejects and failures, then a
    row per shop."""
    for s in summaries:
        for r in s.rejects:
            flag("rejected", "red", f"{s.shop} order {r.platform_order_no}: "
                 f"{'field ' + r.field + ': ' if r.field else ''}{r.reason}")
        if s.error:
            flag("failed", "red", str(s.error))
    if fmt == "json":
        echo_json([s.counts() for s in summaries])
        return
    table("pulled", ["shop", "platform", "new", "updated", "unchanged", "rejected", "pages",
                     "requests", "retries", "up to"],
          [[s.shop, s.platform, s.new, s.updated, s.unchanged, s.rejected, s.pages, s.requests,
            s.retries, "failed" if s.error else local(s.position, tz)] for s in summaries])


def routes_table(routes: list[RouteResult]) -> None:
    """The routes of a dry run (``orderhub dry-run`` with flows)."""
    table(f"routing: {len(routes)} order(s) (nothing was written)",
          ["order", "flow", "warehouse", "carrier", "path", "reasons"],
          [[r.order, r.flow, r.warehouse or "", r.carrier or "", " → ".join(r.path),
            "\n".join(r.reasons)] for r in routes])
