"""KPIs: what the article promises, measured from the stored facts.

Pay-to-ship time, exception response time, mis-shipment rate, orders shipped per person per
day, interceptions, diversions and stock-outs, and the finance close; per platform, shop,
warehouse, person or day, for any period, and two periods side by side.  SQL does the
aggregating (:mod:`.metrics`); :mod:`.periods` turns ``2026-W48`` into shop-time bounds;
:mod:`.digest` writes the weekly WeCom digest.  Definitions: ``docs/kpi.md``.

A package of its own rather than ``fulfilment/metrics.py``: the KPIs read every area's facts
(orders, fulfilment, routing, after-sales, scans, finance) and change none of them.
"""
