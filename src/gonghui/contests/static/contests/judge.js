/* The judge's marking page, made to survive the venue's Wi-Fi.

   Every mark (or correction) gets its own idempotency key (crypto.randomUUID) and goes
   into a queue kept in localStorage BEFORE it is sent. The queue is sent in order, now,
   when the browser says it is back online, and on a retry timer. An item leaves the queue
   only when the server answered for it: 201 recorded or 200 duplicate (the same key was
   stored already: a resend after a lost answer is never counted twice), or a definitive
   refusal (a 4xx with a message, shown to the judge with ✗). A network error, a 5xx, an
   expired login (401) or a CSRF failure keeps it queued (⏳): never lost.

   A correction of a cell with an item still in the queue (its mark, or an earlier
   correction not yet confirmed) waits for it: it names that item's key and is sent once
   its id is known, so that it corrects the latest mark (a correction of one already
   corrected would be refused). */
(function () {
  "use strict";

  var RETRY_MS = 10000;
  var root = document.getElementById("judge");
  if (!root) {
    return;
  }
  var stage = root.dataset.stage;
  var store = "gonghui.judge." + root.dataset.judge + ".stage." + stage;
  var QUEUE = store + ".queue";
  var REFUSED = store + ".refused";
  var IDS = store + ".ids";
  var net = document.getElementById("net-state");
  var pad = document.getElementById("pad");
  var display = document.getElementById("pad-display");
  var padError = document.getElementById("pad-error");
  var reasonLabel = document.getElementById("pad-reason-label");
  var reasonInput = document.getElementById("pad-reason");
  var padTitle = document.getElementById("pad-title");
  var current = null; // the aspect element the pad is open for
  var typed = "";
  var sending = false;
  var more = false; // something was queued while a flush was running

  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function save(name, value) {
    window.localStorage.setItem(name, JSON.stringify(value));
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function cell(entrant, aspect) {
    return root.querySelector(
      '.entrant[data-entrant="' + entrant + '"] .aspect[data-aspect="' + aspect + '"]'
    );
  }

  function show(item, state, text) {
    var el = cell(item.entrant, item.aspect);
    if (!el) {
      return;
    }
    var value = el.querySelector(".a-value");
    var label = el.querySelector(".a-state");
    var button = el.querySelector("button[data-open]");
    if (state !== "refused") {
      value.textContent = item.value;
    }
    label.className = "a-state " + state;
    label.textContent = text;
    if (button && state !== "refused") {
      button.textContent = "更正";
    }
  }

  function status() {
    var queue = load(QUEUE, []);
    if (!navigator.onLine && queue.length) {
      net.className = "net-state offline";
      net.textContent = "网络已断开：" + queue.length + " 条评分保存在本机，恢复网络后自动发送";
    } else if (queue.length) {
      net.className = "net-state offline";
      net.textContent = queue.length + " 条评分等待发送……";
    } else {
      net.className = "net-state";
      net.textContent = "";
    }
  }

  function render() {
    load(REFUSED, []).forEach(function (item) {
      show(item, "refused", "✗ 未被接受：" + item.message);
    });
    load(QUEUE, []).forEach(function (item) {
      show(item, "queued", "⏳ 待发送");
    });
    status();
  }

  function message(body) {
    if (body && body.fields) {
      var parts = Object.keys(body.fields).map(function (k) {
        return body.fields[k];
      });
      if (parts.length) {
        return parts.join("；");
      }
    }
    return (body && body.message) || "提交被拒绝";
  }

  function request(item) {
    var ids = load(IDS, {});
    var url = root.dataset.marksApi;
    var body = { stage: Number(stage), entrant: item.entrant, aspect: item.aspect, value: item.value, key: item.key };
    if (item.kind === "correct") {
      var markId = item.markId || ids[item.after];
      if (!markId) {
        var waiting = load(QUEUE, []).some(function (q) {
          return q.key === item.after;
        });
        if (!waiting) {
          // The mark it corrects was refused: so is the correction.
          return Promise.resolve({ refusedBefore: true });
        }
        return null; // the mark it corrects is not sent yet
      }
      url = root.dataset.correctApi.replace("/0/", "/" + markId + "/");
      body = { value: item.value, reason: item.reason, key: item.key };
    }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body),
    });
  }

  function settle(item, outcome) {
    var queue = load(QUEUE, []).filter(function (q) {
      return q.key !== item.key;
    });
    save(QUEUE, queue);
    var refused = load(REFUSED, []).filter(function (r) {
      return !(r.entrant === item.entrant && r.aspect === item.aspect);
    });
    if (outcome.ok) {
      var ids = load(IDS, {});
      ids[item.key] = outcome.id;
      save(IDS, ids);
      var el = cell(item.entrant, item.aspect);
      if (el) {
        el.dataset.markId = outcome.id;
        el.dataset.value = item.value;
        if (el.dataset.pendingKey === item.key) {
          delete el.dataset.pendingKey; // nothing later of this cell is waiting
        }
      }
      show(item, "sent", outcome.duplicate ? "✓ 已发送（此前已收到）" : "✓ 已发送");
    } else {
      item.message = outcome.message;
      refused.push(item);
      var cellEl = cell(item.entrant, item.aspect);
      if (cellEl) {
        // Back to what the server holds: the refused value never counted.
        if (cellEl.dataset.pendingKey === item.key) {
          delete cellEl.dataset.pendingKey;
        }
        cellEl.querySelector(".a-value").textContent = cellEl.dataset.value || "—";
        var button = cellEl.querySelector("button[data-open]");
        if (button) {
          button.textContent = cellEl.dataset.markId || cellEl.dataset.pendingKey ? "更正" : "评分";
        }
      }
      show(item, "refused", "✗ 未被接受：" + outcome.message);
    }
    save(REFUSED, refused);
  }

  function flush() {
    if (sending) {
      more = true;
      return Promise.resolve();
    }
    sending = true;
    more = false;
    var queue = load(QUEUE, []);
    var i = 0;

    function next() {
      if (i >= queue.length) {
        return Promise.resolve();
      }
      var item = queue[i++];
      var sent = request(item);
      if (!sent) {
        return next();
      }
      return sent
        .then(function (response) {
          if (response.refusedBefore) {
            settle(item, { ok: false, message: "所更正的评分未被接受" });
            return next();
          }
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (response.status === 200 || response.status === 201) {
                settle(item, { ok: true, id: body.id, duplicate: body.status === "duplicate" });
                return next();
              }
              var again =
                response.status >= 500 ||
                response.status === 401 ||
                response.status === 408 ||
                response.status === 429 ||
                body.code === "csrf_failed" ||
                !body.message;
              if (again) {
                if (response.status === 401 || body.code === "csrf_failed") {
                  net.className = "net-state offline";
                  net.textContent = "登录已过期：评分保存在本机，请重新登录后打开本页，将自动发送";
                }
                throw new Error("retry later");
              }
              settle(item, { ok: false, message: message(body) });
              return next();
            });
        });
    }

    return next()
      .catch(function () {
        /* kept queued: the timer, the online event or the next mark sends it again */
      })
      .then(function () {
        sending = false;
        render();
        if (more && navigator.onLine) {
          flush();
        }
      });
  }

  function enqueue(item) {
    var queue = load(QUEUE, []);
    queue.push(item);
    save(QUEUE, queue); // on the device before it is sent
    var el = cell(item.entrant, item.aspect);
    if (el) {
      el.dataset.pendingKey = item.key; // the cell's latest item: a correction chains on it
    }
    show(item, "queued", "⏳ 待发送");
    status();
    flush();
  }

  // --- The number pad ---

  function openPad(el) {
    current = el;
    typed = "";
    var correcting = Boolean(el.dataset.markId || el.dataset.pendingKey);
    padTitle.textContent =
      "参赛号 " + ("00" + el.closest(".entrant").dataset.entrant).slice(-3) + " · " + el.dataset.name +
      "（满分 " + el.dataset.max + "）" + (correcting ? " · 更正" : "");
    reasonLabel.classList.toggle("hidden", !correcting);
    reasonInput.value = "";
    padError.textContent = "";
    display.textContent = "0";
    pad.classList.remove("hidden");
  }

  function closePad() {
    pad.classList.add("hidden");
    current = null;
  }

  function press(k) {
    if (k === "back") {
      typed = typed.slice(0, -1);
    } else if (k === ".") {
      if (typed.indexOf(".") < 0) {
        typed = (typed || "0") + ".";
      }
    } else if (typed.length < 8) {
      typed = typed === "0" ? k : typed + k;
    }
    display.textContent = typed || "0";
    padError.textContent = "";
  }

  function send() {
    var el = current;
    var value = typed.replace(/\.$/, "") || "0";
    if (Number(value) > Number(el.dataset.max)) {
      padError.textContent = "分数应在 0–" + el.dataset.max + " 之间";
      return;
    }
    var entrant = Number(el.closest(".entrant").dataset.entrant);
    var item = { key: newKey(), entrant: entrant, aspect: el.dataset.aspect, value: value, kind: "mark" };
    if (el.dataset.markId || el.dataset.pendingKey) {
      var reason = reasonInput.value.trim();
      if (!reason) {
        padError.textContent = "更正须说明原因";
        return;
      }
      item.kind = "correct";
      item.reason = reason;
      // After the cell's latest queued item if there is one, else the mark the server holds.
      item.after = el.dataset.pendingKey || null;
      item.markId = item.after ? null : Number(el.dataset.markId);
    }
    closePad();
    enqueue(item);
  }

  root.addEventListener("click", function (event) {
    var open = event.target.closest("button[data-open]");
    if (open) {
      openPad(open.closest(".aspect"));
    }
  });
  pad.addEventListener("click", function (event) {
    var key = event.target.closest("button[data-key]");
    if (key) {
      press(key.dataset.key);
    } else if (event.target.closest("button[data-cancel]")) {
      closePad();
    } else if (event.target.closest("button[data-send]")) {
      send();
    }
  });

  // Items waiting from an earlier visit keep their pending keys, the latest of each cell
  // last (a correction made now chains on it).
  load(QUEUE, []).forEach(function (item) {
    var el = cell(item.entrant, item.aspect);
    if (el) {
      el.dataset.pendingKey = item.key;
    }
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", status);
  window.setInterval(function () {
    if (load(QUEUE, []).length) {
      flush();
    }
  }, RETRY_MS);
  render();
  flush();
})();
