// 扫描发货 on a phone.  Scans arrive three ways:
//  - a keyboard-wedge scanner (PDA): characters then Enter/Tab.  Like Odoo's barcode service we
//    buffer keydowns, end a scan on Enter/Tab or a 100 ms gap, need >= 3 characters, ignore
//    modifier keys and keys aimed at a real text field; a hidden inputmode=none field keeps the
//    focus so the phone's soft keyboard stays closed;
//  - the camera: BarcodeDetector where the browser has it, else the vendored ZXing library;
//  - the "type a barcode" box.
// Ship requests carry their own idempotency key and go through a queue in localStorage, so a
// confirm pressed offline is sent when the connection returns, once.
(function () {
  "use strict";
  var app = document.getElementById("scan-app");
  if (!app) return;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var QKEY = "orderhub.scan.queue." + app.getAttribute("data-user");
  var WKEY = "orderhub.scan.warehouse";
  var GAP_MS = 100, MIN_LEN = 3;
  var $ = function (id) { return document.getElementById(id); };
  var wedge = $("wedge");
  var state = { order: null, scans: [], busy: false };

  // ---- the keyboard wedge ----------------------------------------------------------------
  var buffer = "", timer = null;
  function editable(el) {
    if (!el || el === wedge) return false;
    return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      el.isContentEditable;
  }
  function flush() {
    clearTimeout(timer);
    var code = buffer.trim();
    buffer = "";
    if (code.length >= MIN_LEN) onScan(code);
  }
  document.addEventListener("keydown", function (e) {
    if (editable(e.target)) return;
    if (e.key === "Enter" || e.key === "Tab") {
      if (buffer) { e.preventDefault(); flush(); }
      return;
    }
    if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return;
    e.preventDefault();
    buffer += e.key;
    clearTimeout(timer);
    timer = setTimeout(flush, GAP_MS);
  });
  function refocus() {
    if (!editable(document.activeElement)) wedge.focus({ preventScroll: true });
  }
  document.addEventListener("click", function () { setTimeout(refocus, 0); });

  // ---- talking to the server -------------------------------------------------------------
  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }
  function why(r) { return (r.data && (r.data.detail || r.data.error)) || ("HTTP " + r.status); }

  // ---- feedback: red / green screens, sound, vibration -----------------------------------
  var audio = null;
  function beep(freq, ms) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square"; osc.frequency.value = freq; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + ms / 1000);
    } catch (err) { /* no audio on this device */ }
  }
  function alarm(text, held) {
    beep(220, 500);
    if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
    show("bad", text, held);
  }
  function good(text) {
    beep(880, 120);
    show("good", text, false);
    setTimeout(function () { if ($("result").classList.contains("good")) hide(); }, 1500);
  }
  function show(kind, text, held) {
    var box = $("result");
    box.className = "result " + kind;
    $("result-text").textContent = text;
    $("ask-release").hidden = !held;
    box.hidden = false;
    app.setAttribute("data-last", kind);
  }
  function hide() { $("result").hidden = true; refocus(); }

  // ---- one order ---------------------------------------------------------------------------
  function onScan(code) {
    if (state.busy) return;
    if (!$("result").hidden) hide();
    if (!state.order) return lookup(code);
    var known = state.order.lines.some(function (l) { return l.barcode === code || l.sku === code; });
    if (state.scans.length < state.order.units || known) return item(code);
    $("tracking").value = code;
    if (state.order.single) ship();
  }
  function lookup(code) {
    state.busy = true;
    post("/api/scan/lookup", { code: code }).then(function (r) {
      state.busy = false;
      if (!r.ok) return alarm(why(r));
      if (r.data.held) {
        state.held = r.data;
        return alarm("拦截：" + r.data.holds.join("；"), true);
      }
      load(r.data);
    }, function () {
      state.busy = false;
      alarm("离线：无法查询订单 " + code);
    }).then(recent);
  }
  function load(order) {
    state.order = order; state.scans = [];
    $("order-label").textContent = order.label;
    $("single").hidden = !order.single;
    $("tracking").value = order.tracking_no || "";
    if (order.carrier) $("carrier").value = order.carrier;
    $("exception").href = "/scan/exception?order=" + encodeURIComponent(order.id);
    $("step-order").hidden = true; $("step-items").hidden = false;
    render();
  }
  function reset() {
    state.order = null; state.scans = []; state.held = null;
    $("step-order").hidden = false; $("step-items").hidden = true;
    hide();
  }
  function render() {
    var o = state.order, ul = $("lines"), seen = {};
    state.scans.forEach(function (c) { seen[c] = (seen[c] || 0) + 1; });
    ul.textContent = "";
    o.lines.forEach(function (line) {
      var got = Math.min(line.quantity, (seen[line.barcode] || 0) + (seen[line.sku] || 0));
      var li = document.createElement("li");
      li.className = got >= line.quantity ? "done" : "";
      li.setAttribute("data-sku", line.sku || "");
      var count = document.createElement("span");
      count.className = "count"; count.textContent = got + "/" + line.quantity;
      var title = document.createElement("div"); title.textContent = line.title;
      var code = document.createElement("div"); code.className = "code";
      code.textContent = (line.sku || "") + " · " + (line.barcode || "无条码");
      li.appendChild(count); li.appendChild(title); li.appendChild(code);
      ul.appendChild(li);
    });
    $("progress").textContent = state.scans.length + "/" + o.units;
    $("ship").disabled = state.scans.length < o.units;
  }
  // the same check the server makes, for scans made offline
  function verify(code) {
    var want = 0, seen = 0;
    state.order.lines.forEach(function (l) {
      if (l.barcode === code || l.sku === code) want += l.quantity;
    });
    state.scans.forEach(function (c) { if (c === code) seen += 1; });
    if (!want) return { ok: false, result: "wrong_item", message: "错货：" + code + " 不属于此订单" };
    if (seen >= want) return { ok: false, result: "extra_item", message: "多货：" + code + " 只需 " + want + " 件" };
    return { ok: true, result: "item_ok", message: code + " ✓" };
  }
  function accepted(code) {
    state.scans.push(code);
    render();
    var complete = state.scans.length >= state.order.units;
    if (complete && state.order.single && $("tracking").value) return ship();
    beep(880, 80);
  }
  function item(code) {
    var local = verify(code);
    var body = { order: state.order.id, code: code, seen: state.scans.slice() };
    post("/api/scan/item", body).then(function (r) {
      if (!r.ok) return alarm(why(r));
      if (r.data.ok) accepted(code); else alarm(r.data.message);
    }, function () {
      if (local.ok) return accepted(code);
      enqueue({ kind: "item", path: "/api/scan/item", body: body, label: local.message });
      alarm(local.message);
    }).then(recent);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function ship() {
    var o = state.order;
    if (!o || state.scans.length < o.units) return;
    var warehouse = $("warehouse").value.trim();
    localStorage.setItem(WKEY, warehouse);
    var weight = parseFloat($("weight").value);
    var body = {
      key: uuid(), order: o.id, scans: state.scans.slice(), carrier: $("carrier").value,
      tracking_no: $("tracking").value.trim() || null,
      weight_kg: isNaN(weight) ? null : weight, warehouse: warehouse || null
    };
    enqueue({ kind: "ship", path: "/api/scan/ship", body: body, label: o.label });
    reset();
    replay();
  }

  // ---- the offline queue ---------------------------------------------------------------------
  function queued() {
    try { return JSON.parse(localStorage.getItem(QKEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(QKEY, JSON.stringify(list)); showQueue(); }
  function enqueue(entry) { var list = queued(); list.push(entry); save(list); }
  function drop(key) {
    save(queued().filter(function (e) { return (e.body.key || e.body.code + e.body.seen.length) !== key; }));
  }
  function showQueue() {
    var list = queued(), ul = $("waiting");
    $("waiting-count").textContent = list.length;
    ul.textContent = "";
    list.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = (e.kind === "ship" ? "发货 " : "扫描 ") + e.label;
      ul.appendChild(li);
    });
  }
  var replaying = false;
  function replay() {
    if (replaying) return;
    var list = queued();
    if (!list.length) return;
    replaying = true;
    var e = list[0];
    var key = e.body.key || e.body.code + e.body.seen.length;
    post(e.path, e.body).then(function (r) {
      drop(key);
      replaying = false;
      if (e.kind === "ship") {
        if (r.ok) good("已发货 " + e.label + " " + r.data.carrier + " " + r.data.tracking_no);
        else alarm(e.label + "：" + why(r));
      }
      recent();
      replay();
    }, function () { replaying = false; });
  }
  function online() {
    $("net").hidden = navigator.onLine;
    if (navigator.onLine) replay();
  }
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  setInterval(function () { if (navigator.onLine) replay(); }, 5000);

  function recent() {
    return fetch("/api/scan/recent", { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : [];
    }).then(function (rows) {
      var ul = $("recent");
      ul.textContent = "";
      rows.forEach(function (row) {
        var li = document.createElement("li");
        li.className = row.result;
        li.textContent = row.code + " · " + row.result + (row.detail ? " · " + row.detail : "");
        ul.appendChild(li);
      });
    }, function () { /* offline */ });
  }

  // ---- the camera ------------------------------------------------------------------------------
  var stream = null, zxing = null;
  function stopCamera() {
    if (zxing) { zxing.reset(); zxing = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    $("camera-box").hidden = true;
  }
  function found(text) { stopCamera(); onScan(text); }
  function withDetector(video) {
    var detector = new window.BarcodeDetector();
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; video.play();
      (function tick() {
        if (!stream) return;
        detector.detect(video).then(function (codes) {
          if (codes.length) found(codes[0].rawValue); else requestAnimationFrame(tick);
        }, function () { requestAnimationFrame(tick); });
      })();
    }, function (err) { alarm("摄像头不可用：" + err.message); });
  }
  function withZxing(video) {
    var start = function () {
      zxing = new window.ZXing.BrowserMultiFormatReader();
      zxing.decodeFromVideoDevice(null, video, function (result) {
        if (result) found(result.getText());
      }).catch(function (err) { alarm("摄像头不可用：" + err); });
    };
    if (window.ZXing) return start();
    var s = document.createElement("script");
    s.src = "/static/zxing.min.js"; s.onload = start;
    document.head.appendChild(s);
  }
  $("camera").addEventListener("click", function () {
    if (!$("camera-box").hidden) return stopCamera();
    $("camera-box").hidden = false;
    var video = $("video");
    if ("BarcodeDetector" in window) withDetector(video); else withZxing(video);
  });

  // ---- buttons ---------------------------------------------------------------------------------
  $("manual").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("manual-code").value.trim();
    $("manual-code").value = "";
    if (code) onScan(code);
  });
  $("ship").addEventListener("click", ship);
  $("tracking").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); if (!$("ship").disabled) ship(); }
  });
  $("reset").addEventListener("click", reset);
  $("result-ok").addEventListener("click", function () {
    if ($("result").classList.contains("bad") && state.held) reset(); else hide();
  });
  $("ask-release").addEventListener("click", function () {
    var held = state.held;
    if (!held) return;
    post("/api/approvals", { order: held.id, kind: "ship_held",
                             reason: "扫描拦截，申请放行：" + held.holds.join("；") })
      .then(function (r) {
        if (r.ok) good("已提交主管审批 #" + r.data.id); else alarm(why(r));
        state.held = null;
      }, function () { alarm("离线：无法提交审批"); });
  });
  $("warehouse").value = localStorage.getItem(WKEY) || "";
  showQueue();
  online();
  recent();
  refocus();
})();
