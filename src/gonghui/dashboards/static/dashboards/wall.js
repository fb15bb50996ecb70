/* The wall screen: every data-refresh seconds, fetch the figures again from the screen's
   data address (the token's own, nothing else) and redraw the tiles and charts in place;
   a revoked or expired token turns the screen into its message. */
(function () {
  "use strict";

  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-refresh"), 10) || 60;
  var source = body.getAttribute("data-source");

  function tile(t) {
    var div = document.createElement("div");
    div.className = "tile";
    [["span", "label", t.label], ["strong", "", t.value], ["span", "note", t.note]].forEach(
      function (part) {
        var el = document.createElement(part[0]);
        if (part[1]) {
          el.className = part[1];
        }
        el.textContent = part[2];
        div.appendChild(el);
      }
    );
    return div;
  }

  function show(data) {
    var tiles = document.getElementById("wall-tiles");
    tiles.replaceChildren.apply(tiles, data.tiles.map(tile));
    data.charts.forEach(function (c) {
      var el = document.querySelector('div.chart[data-option-id="' + c.id + '"]');
      var chart = el && window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) {
        chart.setOption(c.option, true);
      }
    });
    if (data.refreshed) {
      document.getElementById("wall-refreshed").textContent =
        "数据更新于 " + new Date(data.refreshed).toLocaleString("zh-CN", { hour12: false });
    }
  }

  function poll() {
    fetch(source, { credentials: "omit", cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) {
          window.location.reload(); // the server's page says why (revoked, expired)
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          show(data);
        }
      })
      .catch(function () {
        /* the network is down: keep the figures shown, try again later */
      });
  }

  window.setInterval(poll, seconds * 1000);
})();
