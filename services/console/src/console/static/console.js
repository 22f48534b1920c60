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
        // A counter, not the row count: after a middle row is removed the count would reuse a name still on the page.
        var n = Math.max(Number(list.dataset.next || 0), list.querySelectorAll("[data-row]").length);
        list.dataset.next = String(n + 1);
        var html = tpl.innerHTML.replace(/__i__/g, String(n)).replace(/__n__/g, String(n + 1));
        list.insertAdjacentHTML("beforeend", html);
        wire(list.lastElementChild);
      });
    });
    root.querySelectorAll("[data-remove-row]").forEach(function (btn) {
      btn.addEventListener("click", function () { btn.closest("[data-row]").remove(); });
    });
    // 到岗签到: the phone's position into the form's hidden fields (WGS-84, as the service wants it).
    root.querySelectorAll("[data-geolocate]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var box = btn.closest("[data-check-in]"), said = box.querySelector("[data-check-in-status]");
        if (!navigator.geolocation) { said.textContent = "此浏览器无法定位，可不签到直接提交。"; return; }
        said.textContent = "正在定位…";
        navigator.geolocation.getCurrentPosition(function (p) {
          box.querySelector("input[name=check_in_lat]").value = p.coords.latitude.toFixed(6);
          box.querySelector("input[name=check_in_lng]").value = p.coords.longitude.toFixed(6);
          said.textContent = "已定位（精度约 " + Math.round(p.coords.accuracy) + " 米），提交时一并签到。";
        }, function () { said.textContent = "未能定位（未授权或无信号），可不签到直接提交。"; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    });
    drawCharts(root);
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (e) { wire(e.target); });
})();

// 走访登记 (visits): Enter in a search or date box does not send the whole form.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches("input[data-no-enter]")) e.preventDefault();
  });
})();

// 走访登记 (visits): the 带队 radio and the visitor's checkbox agree — leading means going; the first ticked leads.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var box = e.target.closest && e.target.closest("[data-visitors]");
    if (!box) return;
    var row = e.target.closest(".visitor");
    if (!row) return;
    var go = row.querySelector('input[type=checkbox]'), lead = row.querySelector('input[type=radio]');
    if (e.target === lead && lead.checked) go.checked = true;
    if (e.target === go && !go.checked && lead.checked) lead.checked = false;
    if (e.target === go && go.checked && !box.querySelector('input[type=radio]:checked')) lead.checked = true;
  });
})();

// Repeatable rows in a [data-renumber] list keep indexes 0..n-1 after a 删除, so a later 添加 never reuses a name.
(function () {
  "use strict";
  var INDEXED = /^(f-)?([a-z_]+)-\d+-/;
  function renumber(list) {
    list.querySelectorAll("[data-row]").forEach(function (row, k) {
      row.querySelectorAll("[name],[id],label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v && INDEXED.test(v)) el.setAttribute(attr, v.replace(INDEXED, "$1$2-" + k + "-"));
        });
      });
      row.querySelectorAll("[data-row-number]").forEach(function (n) { n.textContent = String(k + 1); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-renumber]").forEach(function (list) {
      new MutationObserver(function () { renumber(list); }).observe(list, { childList: true });
    });
  });
})();
