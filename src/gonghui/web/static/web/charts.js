/* Draws Apache ECharts charts without inline script (the site's CSP allows scripts from
   'self' only). A page writes the option with Django's json_script and an empty div:

     {{ option|json_script:"chart-year" }}
     <div class="chart" data-option-id="chart-year"></div>

   and loads web/echarts.min.js, then this file (both with defer). Fragments swapped in by
   htmx are drawn too. */
(function () {
  "use strict";

  var FALLBACK_HEIGHT = 360; // px, when no stylesheet gives the chart a height

  function draw(root) {
    if (typeof window.echarts === "undefined") {
      return;
    }
    var scope = root && root.querySelectorAll ? root : document;
    var nodes = scope.querySelectorAll("div.chart[data-option-id]");
    if (scope.matches && scope.matches("div.chart[data-option-id]")) {
      nodes = [scope].concat(Array.prototype.slice.call(nodes));
    }
    Array.prototype.forEach.call(nodes, function (el) {
      var source = document.getElementById(el.getAttribute("data-option-id"));
      if (!source) {
        return;
      }
      var option;
      try {
        option = JSON.parse(source.textContent);
      } catch (err) {
        console.error("chart option " + el.getAttribute("data-option-id") + ": " + err);
        return;
      }
      if (!el.clientHeight) {
        el.style.height = FALLBACK_HEIGHT + "px"; // CSSOM, which the CSP allows
      }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option, true);
    });
  }

  function resizeAll() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    Array.prototype.forEach.call(
      document.querySelectorAll("div.chart[data-option-id]"),
      function (el) {
        var chart = window.echarts.getInstanceByDom(el);
        if (chart) {
          chart.resize();
        }
      }
    );
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(resizeAll, 150);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      draw(document);
    });
  } else {
    draw(document);
  }
})();
