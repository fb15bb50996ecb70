/* Drill-down through the union tree: a click on a unit's bar in a chart over a node's
   children opens that unit (its id is in the bar's data as "node"), keeping the other
   filters. Runs after web/charts.js has drawn the charts (both deferred, in order). */
(function () {
  "use strict";

  function open(node) {
    var params = new URLSearchParams(window.location.search);
    params.set("node", node);
    window.location.search = params.toString();
  }

  function bind() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("div.chart.drill"), function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (!chart) {
        return;
      }
      chart.on("click", function (params) {
        if (params.data && params.data.node) {
          open(params.data.node);
        }
      });
      chart.getZr().setCursorStyle("pointer");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
