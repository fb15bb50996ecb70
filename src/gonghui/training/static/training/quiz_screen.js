/* The lecturer's live screen: frames from the stream server (server-sent events, the URL
   carries the screen's token); without a stream within three seconds, the frame's JSON is
   polled every second. Each frame redraws the counts, the score distribution (ECharts) and,
   per question, the correct rate; once the quiz is over (the frame then carries them) each
   option's count with the right ones marked. Text only, never HTML. */
(function () {
  "use strict";
  var root = document.getElementById("screen");
  if (!root) { return; }
  var frame = JSON.parse(document.getElementById("quiz-frame").textContent);
  var offset = Number(root.dataset.now) - Date.now();
  var chart = null;
  var STATES = {draft: "未开始", open: "答题中", closed: "已结束"};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function draw(f) {
    frame = f;
    document.getElementById("answered").textContent = f.answered;
    document.getElementById("attendees").textContent = f.attendees;
    document.getElementById("average").textContent = f.average === null ? "—" : f.average;
    if (window.echarts) {
      chart = chart || window.echarts.init(document.getElementById("chart-distribution"));
      chart.setOption({
        grid: {left: 40, right: 20, top: 20, bottom: 30},
        xAxis: {type: "category", data: f.distribution.map(function (d) { return d.label; })},
        yAxis: {type: "value", minInterval: 1},
        series: [{type: "bar", data: f.distribution.map(function (d) { return d.count; }),
          label: {show: true, position: "top"}, itemStyle: {color: "#c7000b"}}]
      });
    }
    var box = document.getElementById("questions");
    box.textContent = "";
    f.questions.forEach(function (q) {
      var row = el("div", "q-row");
      row.appendChild(el("div", "q-title", q.position + ". " + q.text));
      row.appendChild(el("div", "q-rate", "正确率 " + (q.correct_rate === null ? "—" : q.correct_rate + "%")));
      if (!q.options) { box.appendChild(row); return; }
      var most = Math.max.apply(null, q.options.map(function (o) { return o.count; }).concat([1]));
      q.options.forEach(function (o, i) {
        var line = el("div", "opt" + (o.right ? " right" : ""));
        line.appendChild(el("span", "opt-label", String.fromCharCode(65 + i) + ". " + o.label));
        var bar = el("span", "opt-bar");
        bar.style.width = Math.round(100 * o.count / most) + "%";
        line.appendChild(bar);
        line.appendChild(el("span", "opt-count", String(o.count)));
        row.appendChild(line);
      });
      box.appendChild(row);
    });
  }

  function tick() {
    var clock = document.getElementById("countdown");
    var state = document.getElementById("state");
    state.textContent = STATES[frame.status] || frame.status;
    if (frame.status === "open" && frame.closes_at) {
      var left = Math.max(0, Math.floor((Date.parse(frame.closes_at) - (Date.now() + offset)) / 1000));
      clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) { state.textContent = "时间到"; }
    } else { clock.textContent = "—"; }
  }

  var polling = null;
  function poll() {
    if (polling) { return; }
    polling = setInterval(function () {
      gonghuiPoll(root.dataset.json, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (f) { if (f && f.version !== frame.version) { draw(f); } })
        .catch(function () {});
    }, 1000);
  }

  draw(frame);
  setInterval(tick, 250);
  if (!window.EventSource || !root.dataset.stream || !root.dataset.token) { poll(); return; }
  var url = root.dataset.stream + "?t=" + encodeURIComponent(root.dataset.token) + "&since=" + frame.version;
  var source = new EventSource(url);
  var heard = false;
  source.onmessage = function (e) {
    heard = true;
    if (polling) { clearInterval(polling); polling = null; }
    draw(JSON.parse(e.data));
  };
  source.onopen = function () { heard = true; };
  setTimeout(function () { if (!heard) { poll(); } }, 3000);
  source.onerror = function () { if (source.readyState === 2) { poll(); } };
})();
