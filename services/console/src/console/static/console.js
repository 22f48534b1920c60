// The console's only script (the CSP allows no inline code): CSRF on HTMX requests, charts, small conveniences.
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  // A chart is a <div data-chart='{ECharts option}'>; it redraws when its box changes size (a phone turned).
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(el.getAttribute("data-chart")));
      el.dataset.drawn = "1";
      if (window.ResizeObserver) new ResizeObserver(function () { chart.resize(); }).observe(el);
      else window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function wire(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    root.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (e) { if (history.length > 1) { e.preventDefault(); history.back(); } });
    });
    root.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
    // A second tap while the first submit is on its way sends nothing more (the Idempotency-Key covers retries).
    root.querySelectorAll("form[method=post]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (e.defaultPrevented) return;
        if (f.dataset.sent) { e.preventDefault(); return; }
        f.dataset.sent = "1";
        f.querySelectorAll("button[type=submit]").forEach(function (b) { b.classList.add("busy"); });
        setTimeout(function () { delete f.dataset.sent; }, 15000);
      });
    });
    // 诉求 rows: "添加一条" copies the template row with fresh indexes.
    root.querySelectorAll("[data-add-row]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var list = document.getElementById(btn.getAttribute("data-add-row"));
        var tpl = document.getElementById(btn.getAttribute("data-template"));
        var n = list.querySelectorAll("[data-row]").length;
        var html = tpl.innerHTML.replace(/__i__/g, String(n)).replace(/__n__/g, String(n + 1));
        list.insertAdjacentHTML("beforeend", html);
        wire(list.lastElementChild);
      });
    });
    root.querySelectorAll("[data-remove-row]").forEach(function (btn) {
      btn.addEventListener("click", function () { btn.closest("[data-row]").remove(); });
    });
    drawCharts(root);
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (e) { wire(e.target); });
})();
