/* Lists (every table.data with its pager): the page-size choice applies at once, and a 列
   menu hides or shows columns. The choice is kept per user and per list on the server
   (POST to body[data-list-columns], the list named by body[data-list], columns by their
   header text) and applied here as the page loads: web/base.html keeps the tables hidden
   (html.cols-pending) until then. No inline script: the site's CSP allows 'self' only. */
(function () {
  "use strict";

  var body = document.body;
  var saveUrl = body.getAttribute("data-list-columns");
  var listName = body.getAttribute("data-list");
  var stored = document.getElementById("list-columns");
  var hidden = stored ? JSON.parse(stored.textContent) : [];

  function headerText(th) {
    return th.textContent.replace(/\s+/g, " ").trim().replace(/\s*[▲▼]$/, "");
  }

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  // Each cell's column, counting colspans; a cell spanning columns (a note) is left alone.
  function apply(table, names) {
    var rows = table.querySelectorAll("tr");
    for (var r = 0; r < rows.length; r++) {
      var col = 0;
      var cells = rows[r].children;
      for (var c = 0; c < cells.length; c++) {
        var span = cells[c].colSpan || 1;
        if (span === 1) {
          cells[c].classList.toggle("col-hidden", hidden.indexOf(names[col]) >= 0);
        }
        col += span;
      }
    }
  }

  function save() {
    var data = new FormData();
    data.append("list", listName);
    hidden.forEach(function (h) { data.append("hidden", h); });
    fetch(saveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
  }

  function menu(table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), headerText);
    var named = names.filter(function (n) { return n; });
    if (named.length < 2) {
      apply(table, names);
      return;
    }
    var box = document.createElement("div");
    box.className = "cols";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn secondary";
    button.textContent = "列";
    button.title = "选择显示的列";
    button.setAttribute("aria-expanded", "false");
    var list = document.createElement("div");
    list.className = "menu";
    list.hidden = true;
    named.forEach(function (name) {
      var label = document.createElement("label");
      var check = document.createElement("input");
      check.type = "checkbox";
      check.checked = hidden.indexOf(name) < 0;
      check.addEventListener("change", function () {
        var shown = list.querySelectorAll("input:checked").length;
        if (!check.checked && shown === 0) {
          check.checked = true; // one column at least
          return;
        }
        hidden = hidden.filter(function (h) { return h !== name; });
        if (!check.checked) {
          hidden.push(name);
        }
        document.querySelectorAll("table.data").forEach(function (t) {
          apply(t, Array.prototype.map.call(t.querySelectorAll("thead th"), headerText));
        });
        save();
      });
      label.appendChild(check);
      label.appendChild(document.createTextNode(name));
      list.appendChild(label);
    });
    button.addEventListener("click", function () {
      list.hidden = !list.hidden;
      button.setAttribute("aria-expanded", String(!list.hidden));
    });
    document.addEventListener("click", function (event) {
      if (!box.contains(event.target)) {
        list.hidden = true;
        button.setAttribute("aria-expanded", "false");
      }
    });
    box.appendChild(button);
    box.appendChild(list);
    var wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(box, wrap);
    apply(table, names);
  }

  if (saveUrl && listName) {
    document.querySelectorAll("table.data").forEach(menu);
  }
  document.documentElement.classList.remove("cols-pending");

  // The page size applies when chosen (from the first page: the old page may not exist).
  document.querySelectorAll(".pager select[data-size]").forEach(function (select) {
    select.addEventListener("change", function () {
      var page = select.form.querySelector("input[name=page]");
      if (page) {
        page.value = "1";
      }
      select.form.submit();
    });
  });
})();
