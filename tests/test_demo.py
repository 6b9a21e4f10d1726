"""The main job on the bundled examples: what a new user sees from `orderhub demo`."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orderhub.cli import main
from orderhub.commands.demo import risk_check
from orderhub.config import Workspace
from orderhub.connectors.ingest import read_orders
from orderhub.synth.examples import SNAPSHOT

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_examples_normalize_with_exactly_the_planted_rejects() -> None:
    files = sorted((EXAMPLES / "orders").glob("*.json"))
    orders, rejects = read_orders(files)
    assert {o.platform.value for o in orders} == {"taobao", "jd", "pdd", "douyin"}
    assert len(orders) == 4 * 127  # 124 valid + 3 exact duplicates per platform
    reasons = sorted((Path(r.file or "").stem, r.reason.split(":")[0].split(" (")[0])
                     for r in rejects)
    kinds = ["missing required platform_order_no", "not a date-time", "not an amount",
             "unknown status"]
    for platform in ("taobao", "jd", "pdd"):
        assert [r for p, r in reasons if p == platform] == sorted(kinds)
    douyin = sorted(r for p, r in reasons if p == "douyin")
    assert douyin == sorted(["missing required platform_order_no", "not a unix time",
                             "not an amount in fen", "unknown status"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """One run of `orderhub demo` shared by the tests below (it takes a few seconds)."""
    ws = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(main, ["-w", str(ws), "demo"])
    assert result.exit_code == 0, result.output
    return ws, result


def test_demo_risk_check_fires_the_three_article_rules(demo: tuple[Path, Result]) -> None:
    ws, result = demo
    assert "5. Risk check" in result.stderr
    hits = dict(re.findall(r"│ (\w+)\s+│ \S+\s+│ (\d+)\s+│", result.stdout))
    for rule in ("high_risk_refund", "vague_address", "purchase_limit"):
        assert int(hits[rule]) > 0, rule
    # the article's 10-minute line: 10m00s is held, 10m01s is not
    assert re.search(r"taobao:2601573729663813588\s+│ 10m00s\s+│ fires", result.stdout)
    assert re.search(r"taobao:4744319385258851338\s+│ 10m01s\s+│ no", result.stdout)


def test_risk_check_api_decides_the_planted_orders_and_writes_nothing(
        demo: tuple[Path, Result]) -> None:
    workspace = Workspace.load(demo[0])
    events = len(workspace.store.events())
    check = risk_check(workspace)
    refunds = check.hit_orders("high_risk_refund")
    assert "taobao:2601573729663813588" in refunds  # refund after 10m00s
    assert "taobao:4744319385258851338" not in refunds  # after 10m01s
    assert "taobao:3516558023263706861" in check.hit_orders("vague_address")
    # 4 orders of one phone that day: history means "before this order", so the 4th is
    # over the limit and the 1st is not
    assert "taobao:4782883504150158585" in check.hit_orders("purchase_limit")
    assert "taobao:3826112925724742383" not in check.hit_orders("purchase_limit")
    assert len(workspace.store.events()) == events
    workspace.store.engine.dispose()


def test_demo_shows_four_platforms_rejects_and_idempotent_reingest(
        demo: tuple[Path, Result]) -> None:
    runner = CliRunner()
    ws, result = demo
    assert "rejected" in result.stderr and "not an amount: 'abc'" in result.stderr
    listed = runner.invoke(main, ["-w", str(ws), "orders", "list", "--limit", "5000",
                                  "--format", "json"])
    orders = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {o["platform"] for o in orders} == {"taobao", "jd", "pdd", "douyin"}
    # the samples, and what step 5 pulled from the simulated platforms (placed in the last hours)
    samples = [o for o in orders if datetime.fromisoformat(o["created_at"]) <= SNAPSHOT]
    assert len(samples) == 4 * 124
    pulled = [o for o in orders if o not in samples]
    assert {o["platform"] for o in pulled} == {"taobao", "jd", "pdd", "douyin"}
    assert all(f"sim-{p}" in result.stdout for p in ("taobao", "jd", "pdd", "douyin"))
    again = runner.invoke(main, ["-w", str(ws), "ingest", str(ws / "samples" / "orders"),
                                 "--format", "json"])
    assert again.exit_code == 10  # the planted malformed records are rejected again
    assert json.loads(again.stdout) == {"new": 0, "updated": 0, "unchanged": 4 * 127 + 60,
                                        "rejected": 16}
    shipped = runner.invoke(main, ["-w", str(ws), "orders", "show", "jd:316073913214",
                                   "--format", "json"])
    doc = json.loads(shipped.stdout)
    assert doc["status"] == "shipped" and doc["tracking_no"]
    assert [e["type"] for e in doc["events"]][-2:] == ["shipped", "tracking_updated"]


def test_demo_routes_the_paid_orders_with_the_sample_stock(demo: tuple[Path, Result]) -> None:
    _, result = demo
    assert "6. Route" in result.stderr
    rows = dict(re.findall(r"│ (SH-COLD|SH|GZ|BJ|CD|WH)\s+│ \S+\s+│ (\d+)\s+│", result.stdout))
    assert set(rows) == {"SH-COLD", "SH", "GZ", "BJ", "CD", "WH"}
    assert all(int(n) > 0 for n in rows.values())
    assert "stock.csv" in result.stdout and "0 without a warehouse" in result.stdout


def test_demo_prints_the_console_url_and_a_working_demo_login(
        demo: tuple[Path, Result]) -> None:
    from orderhub.commands.demo import DEMO_PASSWORD, DEMO_USER
    from orderhub.web.users import UserStore

    ws, result = demo
    assert "http://127.0.0.1:8350/" in result.stderr
    assert f"{DEMO_USER} / {DEMO_PASSWORD}" in result.stderr
    user = UserStore(Workspace.load(ws).store.engine).verify(DEMO_USER, DEMO_PASSWORD)
    assert user is not None and user.role == "admin"
