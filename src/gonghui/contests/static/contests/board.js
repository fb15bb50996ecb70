/* The live board keeps itself current: the stream server's events (server-sent events;
   the data is the whole public board, so any event is a complete replay), and when there is
   no stream, polling the board's JSON every second (ETag: an unchanged board costs a 304).
   The staff page takes an event as the signal to fetch its own (true) board.
   Text goes in as text: nothing a board holds is ever parsed as HTML. */
(function () {
  "use strict";
  var root = document.querySelector("[data-board]");
  if (!root) return;
  var mode = root.dataset.mode;
  var version = parseInt(root.dataset.version, 10);
  var etag = null;
  var polling = null;
  var status = root.querySelector("[data-board-status]");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function badge(text, cls) { return el("span", "badge" + (cls ? " " + cls : ""), text); }

  function table(rows, staff, before) {
    var wrap = el("div", "table-wrap");
    var t = el("table", "data board-table");
    var head = el("tr");
    ["名次", "参赛号", "姓名", "工作单位", "成绩", "晋级"].concat(staff ? ["状态"] : []).forEach(
      function (h) { head.appendChild(el("th", "", h)); });
    var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      if (staff && r.locked && !r.revealed) tr.className = "hidden-result";
      var key = r.number + ":" + r.place + ":" + r.score;
      if (before && !before[key]) tr.className += " fresh";
      tr.appendChild(el("td", "place", String(r.place)));
      tr.appendChild(el("td", "", r.number));
      tr.appendChild(el("td", "name", r.name));
      tr.appendChild(el("td", "", r.employer));
      tr.appendChild(el("td", "score", r.score));
      var adv = el("td"); if (r.advanced) adv.appendChild(badge("晋级", "on")); tr.appendChild(adv);
      if (staff) {
        var st = el("td");
        st.appendChild(!r.locked ? badge("未锁定") : r.revealed ? badge("已公布", "on") : badge("待揭晓", "off"));
        tr.appendChild(st);
      }
      body.appendChild(tr);
    });
    t.appendChild(body); wrap.appendChild(t);
    return wrap;
  }

  var seen = null;
  function render(board) {
    var staff = mode === "staff";
    var holder = root.querySelector("[data-board-stages]");
    var keys = {};
    var box = el("div", "board-stages");
    box.setAttribute("data-board-stages", "");
    var lastWithResults = null;
    board.stages.forEach(function (stage) {
      var section = el("section", "board-stage");
      section.appendChild(el("h2", "", stage.name));
      if (stage.results.length) {
        section.appendChild(table(stage.results, staff, seen));
        lastWithResults = section;
      } else {
        section.appendChild(el("p", "muted", "暂无成绩"));
      }
      stage.results.forEach(function (r) { keys[r.number + ":" + r.place + ":" + r.score] = true; });
      box.appendChild(section);
    });
    if (mode === "overlay" && lastWithResults) lastWithResults.classList.add("current");
    holder.replaceWith(box);
    seen = keys;
    var frozen = root.querySelector("[data-board-frozen]");
    if (frozen) frozen.classList.toggle("hidden", !board.frozen);
    var v = root.querySelector("[data-board-version]");
    if (v) v.textContent = String(board.version);
  }

  function apply(board) {
    if (!board || board.version === version) return;
    version = board.version;
    render(board);
  }

  function fetchBoard() {
    var headers = etag ? { "If-None-Match": etag } : {};
    return gonghuiPoll(root.dataset.json, { headers: headers, cache: "no-cache", credentials: "same-origin" })
      .then(function (r) {
        if (r.status !== 200) return null;
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(apply)
      .catch(function () {});
  }

  function poll(on) {
    if (on && !polling) polling = setInterval(fetchBoard, 1000);
    if (!on && polling) { clearInterval(polling); polling = null; }
    if (status) status.textContent = on ? "（轮询更新）" : "（实时推送）";
  }

  // The overlay shows the latest stage with results; the first render marks it.
  if (mode === "overlay") {
    var sections = root.querySelectorAll(".board-stage");
    for (var i = sections.length - 1; i >= 0; i--) {
      if (sections[i].querySelector("table")) { sections[i].classList.add("current"); break; }
    }
  }
  seen = {};
  root.querySelectorAll(".board-table tbody tr").forEach(function (tr) {
    var c = tr.children;
    seen[c[1].textContent + ":" + c[0].textContent + ":" + c[4].textContent] = true;
  });

  if (!window.EventSource || !root.dataset.stream) { poll(true); return; }
  var source = new EventSource(root.dataset.stream + "?since=" + version);
  var opened = false;
  // No stream within three seconds (none running, a proxy in the way): poll meanwhile.
  var fallback = setTimeout(function () { if (!opened) poll(true); }, 3000);
  source.onopen = function () { opened = true; clearTimeout(fallback); poll(false); };
  source.onmessage = function (event) {
    if (mode === "staff") { fetchBoard(); return; }
    try { apply(JSON.parse(event.data)); } catch (e) { fetchBoard(); }
  };
  source.onerror = function () {
    // The browser reconnects by itself (sending Last-Event-ID); poll until it has.
    if (source.readyState !== 1) poll(true);
  };
})();
