"""``orderhub waybills take|retry|print|reprint|cancel|list|waves``: e-waybills by wave."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import EXIT_REJECTED, App, exit_with, pass_app
from ._output import FORMAT_OPTION, echo_json, local, note, table

STATUSES = ("requested", "issued", "failed", "cancelled")


@click.group("waybills")
def waybills_group() -> None:
    """Electronic waybills (电子面单): take numbers by wave, print, cancel.

    \b
    Examples:
      orderhub waybills take --warehouse SH                  a wave of SH's ready orders
      orderhub waybills take --warehouse SH --platform pdd --single-item --wave PDD-1
      orderhub waybills print PDD-1 --pdf pdd-1.pdf           labels + pick list + slips
      orderhub waybills print PDD-1 --component               via the platforms' components
      orderhub waybills cancel pdd:240101-123456789           give the number back
      orderhub waybills scan 78123456789012                   ship the scanned parcel
    """


def _waybills(app: App):  # type: ignore[no-untyped-def]
    from ..waybills.service import Waybills

    return Waybills.of(app.workspace)


@waybills_group.command("take")
@click.option("--warehouse", required=True, metavar="CODE", help="Warehouse code, e.g. SH.")
@click.option("--wave", metavar="NAME", help="Wave name (default: WAREHOUSE-date-time). "
                                             "An existing wave takes its failed orders again.")
@click.option("--platform", type=click.Choice(["taobao", "pdd", "jd", "douyin"]))
@click.option("--shop", metavar="SHOP_ID", help="Only this platform shop id.")
@click.option("--carrier", metavar="CODE", help="Only accounts of this carrier (YTO, YUNDA...).")
@click.option("--sku", metavar="SKU", help="Only orders containing this merchant SKU.")
@click.option("--single-item", is_flag=True, help="Only 一单一件 orders (one unit).")
@click.option("--limit", type=int, help="At most this many orders.")
@FORMAT_OPTION
@pass_app
def take_command(app: App, warehouse: str, wave: str | None, platform: str | None,
                 shop: str | None, carrier: str | None, sku: str | None, single_item: bool,
                 limit: int | None, fmt: str) -> None:
    """Take waybill numbers for a warehouse's ready orders, in batches per platform.

    Orders on hold are skipped and listed. Orders that got no number are listed with the
    platform's reason (exit code 10); `orderhub waybills retry WAVE` tries them again.

    \b
    Examples:
      orderhub waybills take --warehouse SH
      orderhub waybills take --warehouse SH --platform douyin --single-item --wave DY-AM
    """
    from ..waybills.waves import WaveFilter

    wb = _waybills(app)
    try:
        result = wb.take(warehouse, wave=wave, filters=WaveFilter(
            platform=platform, shop=shop, carrier=carrier, sku=sku, single_item=single_item,
            limit=limit))
    finally:
        wb.close()
    _report(result, fmt)


@waybills_group.command("retry")
@click.argument("wave")
@FORMAT_OPTION
@pass_app
def retry_command(app: App, wave: str, fmt: str) -> None:
    """Take numbers again for a wave's orders that failed (same request keys: no duplicates).

    \b
    Examples:
      orderhub waybills retry DY-AM
    """
    wb = _waybills(app)
    try:
        _report(wb.retry(wave), fmt)
    finally:
        wb.close()


def _report(result, fmt: str) -> None:  # type: ignore[no-untyped-def]
    for h in result.held:
        note(f"[yellow]held[/yellow] {h['order']}: {h['reason']}")
    for s in result.skipped:
        note(f"[yellow]skipped[/yellow] {s['order']}: {s['reason']}")
    for f in result.failed:
        note(f"[red]failed[/red] {f.order}: {f.reason}" + (f" [code {f.code}]" if f.code else ""))
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        table(f"wave {result.wave} ({result.warehouse})",
              ["selected", "issued", "already issued", "failed", "held", "skipped"],
              [[result.selected, len(result.issued), len(result.already), len(result.failed),
                len(result.held), len(result.skipped)]])
    if result.failed:
        exit_with(EXIT_REJECTED)


@waybills_group.command("print")
@click.argument("wave")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Render labels here (plus FILE-picklist.pdf and FILE-slips.pdf).")
@click.option("--size", type=click.Choice(["100x180", "76x130"]),
              help="Label size (default: the warehouse's label_size).")
@click.option("--component", is_flag=True,
              help="Send to the platforms' print components on this PC (local WebSocket).")
@click.option("--component-url", "urls", multiple=True, metavar="KIND=URL",
              help="Another address for a component, e.g. cainiao=ws://127.0.0.1:13528.")
@click.option("--jobs", is_flag=True, help="Print the components' print jobs as JSON.")
@click.option("--printer", default="", help="Printer name for the components ('' = default).")
@FORMAT_OPTION
@pass_app
def print_command(app: App, wave: str, pdf: Path | None, size: str | None, component: bool,
                  urls: tuple[str, ...], jobs: bool, printer: str, fmt: str) -> None:
    """Print a wave: PDF labels with the pick list and packing slips, or through the
    platforms' print components (encrypted print data is passed through untouched).

    \b
    Examples:
      orderhub waybills print SH-20261111-090000 --pdf wave.pdf
      orderhub waybills print SH-20261111-090000 --component --printer KM-118
    """
    if not (pdf or component or jobs):
        raise click.UsageError("say how to print: --pdf FILE, --component or --jobs")
    wb = _waybills(app)
    try:
        if pdf:
            info = wb.print_pdf(wave, pdf, size=size)
            echo_json(info) if fmt == "json" else note(
                f"{info['count']} label(s): {info['labels']}; pick list {info['pick_list']}; "
                f"packing slips {info['packing_slips']}")
        if jobs:
            echo_json([{"component": j.component, "url": j.url, "task_id": j.task_id,
                        "codes": j.codes, "message": j.message}
                       for j in wb.print_jobs(wave, printer=printer)])
        if component:
            given = dict(u.split("=", 1) for u in urls if "=" in u)
            outcomes = wb.print_with_components(wave, urls=given, printer=printer)
            for o in outcomes:
                for code, why in o.failed.items():
                    note(f"[red]not printed[/red] {code}: {why}")
            printed = sum(len(o.printed) for o in outcomes)
            failed = sum(len(o.failed) for o in outcomes)
            echo_json({"printed": printed, "failed": failed}) if fmt == "json" else note(
                f"printed {printed}, failed {failed}")
            if failed:
                exit_with(EXIT_REJECTED)
    finally:
        wb.close()


@waybills_group.command("reprint")
@click.argument("order")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--size", type=click.Choice(["100x180", "76x130"]))
@pass_app
def reprint_command(app: App, order: str, pdf: Path, size: str | None) -> None:
    """One order's label again (ORDER: internal ID, PLATFORM:NUMBER or waybill code).

    \b
    Examples:
      orderhub waybills reprint pdd:240101-123456789 --pdf one.pdf
    """
    wb = _waybills(app)
    try:
        info = wb.reprint(order, pdf, size=size)
    finally:
        wb.close()
    note(f"label: {info['labels']}")


@waybills_group.command("cancel")
@click.argument("order")
@FORMAT_OPTION
@pass_app
def cancel_command(app: App, order: str, fmt: str) -> None:
    """Cancel an order's waybill at the platform (ORDER: internal ID, PLATFORM:NUMBER or
    waybill code). The platform's refusal (already collected, shipped...) is shown as is.

    \b
    Examples:
      orderhub waybills cancel pdd:240101-123456789
      orderhub waybills cancel 78123456789012
    """
    wb = _waybills(app)
    try:
        codes = wb.cancel(order)
    finally:
        wb.close()
    if fmt == "json":
        echo_json({"cancelled": codes})
    else:
        note(f"cancelled {', '.join(codes)}" if codes else "no issued waybill to cancel")


@waybills_group.command("scan")
@click.argument("barcode")
@click.option("--person", default="orderhub", show_default=True, help="Who scanned.")
@FORMAT_OPTION
@pass_app
def scan_command(app: App, barcode: str, person: str, fmt: str) -> None:
    """Ship the order whose waybill label was scanned (or an order number), with its waybill's
    carrier and number; the platform write-back is queued. Scanning twice changes nothing.

    \b
    Examples:
      orderhub waybills scan 78123456789012 --person packer-1
    """
    from ..waybills.scan import ship_scanned

    shipment = ship_scanned(app.workspace, barcode, person=person)
    if fmt == "json":
        echo_json(shipment.as_json())
    else:
        note(f"{'shipped' if shipment.created else 'already shipped'}: order "
             f"{shipment.order_id} {shipment.carrier} {shipment.tracking_no} ({shipment.stage})")


@waybills_group.command("list")
@click.option("--wave", metavar="NAME")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--limit", type=int, default=100, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(app: App, wave: str | None, status: str | None, limit: int, fmt: str) -> None:
    """Waybills: order, number, sort code, status, printed, the platform's reason.

    \b
    Examples:
      orderhub waybills list --wave DY-AM
      orderhub waybills list --status failed --format json
    """
    wb = _waybills(app)
    rows = wb.list(wave=wave, status=status, limit=limit)
    if fmt == "json":
        for r in rows:
            echo_json(r.public())
        return
    tz = app.workspace.config.timezone
    table(f"{len(rows)} waybill(s)",
          ["order", "wave", "carrier", "waybill", "sort code", "大头笔", "status", "printed",
           "reason"],
          [[r.order_label, r.wave, r.carrier, r.waybill_code, r.sort_code, r.short_address,
            r.status, local(r.printed_at, tz), r.error] for r in rows])


@waybills_group.command("waves")
@FORMAT_OPTION
@pass_app
def waves_command(app: App, fmt: str) -> None:
    """Recent waves, newest first, with their counts and held orders.

    \b
    Examples:
      orderhub waybills waves --format json
    """
    from ..waybills.service import summary_by_status

    wb = _waybills(app)
    out = []
    for w in wb.rows.waves():
        counts = summary_by_status(wb.rows.rows(wave=w.name))
        out.append({"wave": w.name, "warehouse": w.warehouse, "filters": w.filters,
                    "created_at": w.created_at, "counts": counts, "skipped": w.skipped})
    if fmt == "json":
        echo_json(out)
        return
    tz = app.workspace.config.timezone
    table(f"{len(out)} wave(s)", ["wave", "warehouse", "created", "issued", "failed",
                                  "cancelled", "held/skipped"],
          [[w["wave"], w["warehouse"], local(w["created_at"], tz),
            w["counts"].get("issued", 0), w["counts"].get("failed", 0),
            w["counts"].get("cancelled", 0), len(w["skipped"])] for w in out])


COMMANDS = [waybills_group]
