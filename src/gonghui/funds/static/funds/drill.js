/* Clicking a bar of a report's node chart opens that node's figures: the page writes the
   bars' links with json_script (``data-drill-id`` on the chart), a bar without a link (the
   node's own rows, a node without children) does nothing. Loaded after web/charts.js, so the
   chart is drawn by the time this runs (both deferred, in order). */
(function () {
  "use strict";

  function bind() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    Array.prototype.forEach.call(
      document.querySelectorAll("div.chart[data-drill-id]"),
      function (el) {
        var source = document.getElementById(el.getAttribute("data-drill-id"));
        var chart = window.echarts.getInstanceByDom(el);
        if (!source || !chart) {
          return;
        }
        var links = JSON.parse(source.textContent);
        chart.on("click", function (params) {
          var href = links[params.dataIndex];
          if (href) {
            window.location.assign(href);
          }
        });
      }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
