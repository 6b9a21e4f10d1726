// The KPI dashboard's charts (Apache ECharts, vendored as echarts.min.js).  The data is the
// JSON of /api/kpi, the same report `orderhub kpi --format json` prints, drawn as it is: no
// figure is computed here.  Clicking a bar or a point opens the orders behind it.
(function () {
  "use strict";
  var box = document.getElementById("kpi-charts");
  if (!box || !window.echarts) return;
  var words = JSON.parse(document.getElementById("kpi-words").textContent);
  var drill = box.getAttribute("data-drill");

  function w(key) { return words[key] || key; }
  function pick(rows, kpi, figure) {
    return rows.map(function (row) { return row[kpi] ? row[kpi][figure] : null; });
  }
  // series ids are "kpi.figure": what the click handler and the tests read back
  function bar(kpi, figure, data, extra) {
    var s = { id: kpi + "." + figure, name: w(kpi + "." + figure), type: "bar", data: data };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }
  function line(kpi, figure, data) {
    return { id: kpi + "." + figure, name: w(kpi + "." + figure), type: "line",
             yAxisIndex: 1, data: data, connectNulls: true };
  }
  function chart(id, option, scope) {
    var el = document.getElementById(id);
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.tooltip = { trigger: "axis" };
    option.legend = { top: 0 };
    option.grid = { left: 48, right: 48, top: 40, bottom: 40 };
    c.setOption(option);
    c.on("click", function (p) {
      var parts = String(p.seriesId || "").split(".");
      if (parts.length !== 2 || !scope) return;
      var extra = scope(p.name);
      if (!extra) return;
      window.location.href = drill + (drill.indexOf("?") < 0 ? "?" : "&") + "kpi=" +
        parts[0] + "&figure=" + parts[1] + "&" + extra;
    });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  function byDay(day) { return "day=" + encodeURIComponent(day); }

  function draw(r) {
    var days = r.days.map(function (d) { return d.day; });
    chart("chart-days", {
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: w("hours") }],
      series: [bar("pay_to_ship", "orders", pick(r.days, "pay_to_ship", "orders")),
               line("pay_to_ship", "median_hours", pick(r.days, "pay_to_ship", "median_hours")),
               line("pay_to_ship", "p90_hours", pick(r.days, "pay_to_ship", "p90_hours"))]
    }, byDay);
    var groups = r.groups || [];
    var keys = groups.map(function (g) { return g.key; });
    var groupSeries = [bar("pay_to_ship", "orders", pick(groups, "pay_to_ship", "orders")),
                       bar("pay_to_ship", "late", pick(groups, "pay_to_ship", "late"))];
    if (groups.length && groups[0].routing) {
      groupSeries.push(bar("routing", "diverted_in", pick(groups, "routing", "diverted_in")),
                       bar("routing", "diverted_out", pick(groups, "routing", "diverted_out")),
                       bar("routing", "stockouts", pick(groups, "routing", "stockouts")));
    }
    chart("chart-groups", {
      xAxis: { type: "category", data: keys },
      yAxis: [{ type: "value", minInterval: 1 }],
      series: groupSeries
    }, function (key) { return "key=" + encodeURIComponent(key); });
    chart("chart-sla", {
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", minInterval: 1 }],
      series: [bar("pay_to_ship", "late", pick(r.days, "pay_to_ship", "late"), { stack: "late" }),
               bar("exception_response", "breached",
                   pick(r.days, "exception_response", "breached"), { stack: "late" }),
               bar("exception_response", "tasks",
                   pick(r.days, "exception_response", "tasks"))]
    }, byDay);
    var figures = [["pay_to_ship", "orders"], ["pay_to_ship", "late"],
                   ["exception_response", "tasks"], ["exception_response", "breached"],
                   ["mis_shipment", "caught_at_scan"], ["mis_shipment", "after_sales"],
                   ["interceptions", "before_release"], ["routing", "diverted_in"],
                   ["routing", "stockouts"]];
    function totals(t) { return figures.map(function (f) { return t[f[0]][f[1]]; }); }
    chart("chart-compare", {
      xAxis: { type: "category", data: figures.map(function (f) { return w(f[0] + "." + f[1]); }),
               axisLabel: { interval: 0, rotate: 20 } },
      yAxis: [{ type: "value", minInterval: 1 }],
      series: [{ id: "period", name: r.period.label, type: "bar", data: totals(r.totals) },
               { id: "compare", name: r.compare.period.label, type: "bar",
                 data: totals(r.compare.totals) }]
    }, null);
    box.setAttribute("data-drawn", "1");
  }

  fetch(box.getAttribute("data-api"), { credentials: "same-origin" })
    .then(function (res) { return res.json(); })
    .then(draw);
})();
