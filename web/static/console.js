// Pages that poll (the review queue): refresh the list every N seconds, but never while the
// user is typing into it or has ticked rows, so nothing they are doing is thrown away.
(function () {
  document.querySelectorAll("[data-autorefresh]").forEach(function (box) {
    var seconds = parseInt(box.getAttribute("data-autorefresh"), 10) || 15;
    setInterval(function () {
      if (box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") return;
      var busy = Array.prototype.some.call(box.querySelectorAll("input"), function (el) {
        if (el.type === "checkbox") return el.checked;
        return el.type !== "hidden" && el.value !== "";
      });
      if (!busy && window.htmx) window.htmx.trigger(box, "refresh");
    }, seconds * 1000);
  });
})();
