"""The KPI dashboard and the weekly board in Debian's Chromium (Playwright), against a real
``orderhub web`` process on the seeded week of tests/kpi_support.py.

The dashboard's charts are read back from ECharts (``getInstanceByDom(...).getOption()``) and
compared with ``orderhub kpi --format json`` for the same period; a number links to the orders
behind it; the board ranks the people and refreshes itself.  Screenshots go to the test's
temporary folder, or to ``ORDERHUB_SCREENSHOTS``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


sup = _load("web_support")
kpis = _load("kpi_support")
browsing = _load("test_web_browser")

from orderhub.cli import main  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402

pytestmark = pytest.mark.browser
browser = browsing.browser
shots = browsing.shots
PERIOD = ["--week", kpis.WEEK, "--by", "warehouse", "--compare", "2026-W47"]
CHARTS = ("chart-days", "chart-groups", "chart-sla", "chart-compare")
#: the figures of the comparison chart, in static/kpi.js's order
COMPARED = [("pay_to_ship", "orders"), ("pay_to_ship", "late"), ("exception_response", "tasks"),
            ("exception_response", "breached"), ("mis_shipment", "caught_at_scan"),
            ("mis_shipment", "after_sales"), ("interceptions", "before_release"),
            ("routing", "diverted_in"), ("routing", "stockouts")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    root = tmp_path_factory.mktemp("kpi-browser") / "shop"
    db_url = f"sqlite:///{root.parent / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write("\nkpi:\n  ship_deadline_hours: {jd: 20}\n")
    store = OrderStore.open(db_url)
    kpis.seed_week(store.engine)
    store.engine.dispose()
    with sup.console(root, db_url) as base:
        yield base, root, db_url


def cli_json(root: Path, db_url: str) -> dict[str, Any]:
    done = CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "kpi", *PERIOD,
                                     "--format", "json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def chart_options(page: Any) -> dict[str, Any]:
    """Each chart's categories and series (id -> data), as ECharts holds them."""
    return page.evaluate("""ids => Object.fromEntries(ids.map(id => {
        const option = echarts.getInstanceByDom(document.getElementById(id)).getOption();
        return [id, {x: option.xAxis[0].data,
                     series: Object.fromEntries(option.series.map(s => [s.id, s.data]))}];
    }))""", list(CHARTS))


def column(rows: list[dict[str, Any]], kpi: str, figure: str) -> list[Any]:
    return [row[kpi][figure] for row in rows]


def test_dashboard_charts_match_the_cli(site, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    base, root, db_url = site
    expected = cli_json(root, db_url)
    page = browsing.sign_in(browser, base, "supervisor")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/kpi?" + "&".join(["week=2026-W48", "by=warehouse", "compare=2026-W47"]))
    page.wait_for_selector("#kpi-charts[data-drawn='1']")
    got = chart_options(page)
    days = expected["days"]
    assert got["chart-days"]["x"] == [d["day"] for d in days]
    for figure in ("orders", "median_hours", "p90_hours"):
        assert got["chart-days"]["series"][f"pay_to_ship.{figure}"] == \
            column(days, "pay_to_ship", figure)
    assert sum(got["chart-days"]["series"]["pay_to_ship.orders"]) == 6  # not an empty chart
    groups = expected["groups"]
    assert got["chart-groups"]["x"] == [g["key"] for g in groups] and groups
    for series, data in got["chart-groups"]["series"].items():
        kpi, figure = series.split(".")
        assert data == column(groups, kpi, figure), series
    assert set(got["chart-groups"]["series"]) >= {"pay_to_ship.late", "routing.diverted_out"}
    sla = got["chart-sla"]["series"]
    assert sla["pay_to_ship.late"] == column(days, "pay_to_ship", "late")
    assert sla["exception_response.breached"] == column(days, "exception_response", "breached")
    assert sum(sla["pay_to_ship.late"]) == 2
    compared = got["chart-compare"]["series"]
    assert compared["period"] == [expected["totals"][k][f] for k, f in COMPARED]
    assert compared["compare"] == [expected["compare"]["totals"][k][f] for k, f in COMPARED]
    assert errors == []
    page.wait_for_timeout(300)  # the canvases have painted
    page.locator("#kpi-charts").screenshot(path=str(shots / "kpi-charts.png"))
    page.screenshot(path=str(shots / "kpi.png"), full_page=True)
    browsing.not_blank(shots / "kpi-charts.png")
    browsing.not_blank(shots / "kpi.png")
    page.close()


def test_a_number_opens_the_orders_behind_it(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = browsing.sign_in(browser, base, "analyst")
    page.goto("/kpi?week=2026-W48&by=warehouse&compare=2026-W47")
    late = page.locator("#kpi-totals tr[data-figure='late'] a.drill")
    assert late.inner_text() == "2"
    late.click()
    page.wait_for_selector("#order-hits")
    listed = page.eval_on_selector_all("#order-hits tbody tr td:first-child a",
                                       "els => els.map(e => e.textContent)")
    assert sorted(listed) == ["jd:NO4", "taobao:NO2"]  # 24 h over jd's 20, 54 h over 48
    page.goto("/kpi?week=2026-W48&by=warehouse&compare=2026-W47")
    page.locator("#kpi-groups tr[data-key='GZ'] a.drill").first.click()
    page.wait_for_selector("#order-hits")
    gz = page.eval_on_selector_all("#order-hits tbody tr td:first-child a",
                                   "els => els.map(e => e.textContent)")
    assert sorted(gz) == ["jd:NO4", "pdd:NO3", "pdd:NO7"]  # first parcels from GZ
    page.close()


def test_the_board_ranks_people_and_refreshes_itself(site, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = browsing.sign_in(browser, base, "warehouse")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/board?week=2026-W48&refresh=5")
    shipped = page.eval_on_selector_all(
        "#rank-shipped li", "els => els.map(e => [e.querySelector('.who').textContent, "
        "e.querySelector('.val').firstChild.textContent])")
    assert shipped == [["alice", "3"], ["bob", "2"], ["carol", "1"]]
    handled = page.eval_on_selector_all("#rank-handled li .who", "els => els.map(e => "
                                        "e.textContent)")
    assert handled == ["dave", "erin"]  # dave answered T1 and T3, erin T2
    assert page.inner_text("#rank-fastest li:first-child .who") == "dave"
    assert "本周光荣榜" in page.inner_text("h1")
    page.screenshot(path=str(shots / "board.png"))
    with page.expect_request(lambda r: "/board?" in r.url and r.headers.get("hx-request")
                             == "true", timeout=15000):
        pass  # htmx polls the ranks by itself
    page.click("#lang")
    page.wait_for_load_state("networkidle")
    assert "Most orders shipped" in page.inner_text("#rank-shipped h2")
    assert page.url.endswith("/board?week=2026-W48")
    page.screenshot(path=str(shots / "board-en.png"))
    for png in ("board.png", "board-en.png"):
        lit(shots / png)
    page.close()


def lit(path: Path) -> None:
    """A dark screen with light text on it: many colours and a fair share of light pixels."""
    from PIL import Image

    image = Image.open(path).convert("L")
    histogram = image.histogram()
    light = sum(histogram[128:]) / (image.width * image.height)
    assert len([n for n in histogram if n]) > 20, f"{path} looks blank"
    assert light > 0.005, f"{path} has almost no text ({light:.2%} light pixels)"


def test_roles_without_the_dashboard_get_403(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = browsing.sign_in(browser, base, "warehouse")
    assert page.goto("/kpi").status == 403
    assert page.goto("/api/kpi").status == 403
    assert page.goto("/kpi/orders?kpi=pay_to_ship&figure=late").status == 403
    page.close()
    page = browsing.sign_in(browser, base, "finance")
    assert page.goto("/board").status == 403
    page.close()
