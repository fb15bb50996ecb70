/* The claim button on a member's phone. One idempotency key per press: a retry after a
   network error (or a server hiccup) sends the same key, so it gets the same answer and
   never a second item. The member pass rides in a header; the session cookie is not sent
   (credentials: "omit"), so a claim never touches the session. */
(function () {
  "use strict";

  var RETRIES = 3;

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

  function wait(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  function setup(box) {
    var verdict = box.querySelector(".verdict");
    var buttons = box.querySelectorAll("button[data-action]");
    var waitlist = box.querySelector('button[data-action="waitlist"]');

    function show(ok, text) {
      verdict.className = "verdict " + (ok ? "ok" : "bad");
      verdict.textContent = text;
    }

    function enable(on) {
      Array.prototype.forEach.call(buttons, function (b) {
        b.disabled = !on;
      });
    }

    function send(url, key, attempt) {
      var headers = { "Content-Type": "application/json" };
      headers[box.dataset.passHeader] = box.dataset.pass;
      var chosen = box.querySelector('select[name="quantity"]');
      var body = JSON.stringify({ key: key, quantity: Number(chosen ? chosen.value : 1) });
      return fetch(url, { method: "POST", headers: headers, body: body, credentials: "omit" })
        .then(function (response) {
          if (response.status >= 500 && attempt < RETRIES) {
            throw new Error("server " + response.status);
          }
          return response.json().then(function (json) {
            return { status: response.status, body: json };
          });
        })
        .catch(function (err) {
          if (attempt >= RETRIES) {
            throw err;
          }
          return wait(400 * (attempt + 1)).then(function () {
            return send(url, key, attempt + 1);
          });
        });
    }

    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var key = newKey();
        var url = button.dataset.action === "waitlist" ? box.dataset.waitlistApi : box.dataset.api;
        enable(false);
        show(true, "正在提交……");
        send(url, key, 0)
          .then(function (result) {
            var body = result.body || {};
            var claim = body.claim;
            if (claim && (result.status < 300 || body.code === "already_claimed")) {
              show(true, body.message);
              window.location.href = box.dataset.claimUrl.replace("/0/", "/" + claim.id + "/");
              return;
            }
            if (result.status === 401) {
              show(false, "页面已过期，请刷新后重试");
              return;
            }
            show(false, body.message || "提交失败，请重试");
            if (body.code === "sold_out" && waitlist) {
              waitlist.classList.remove("hidden");
              waitlist.disabled = false;
            } else if (["not_open", "throttled", "conflict", "not_enough"].indexOf(body.code) >= 0) {
              enable(true);
            }
          })
          .catch(function () {
            show(false, "网络不稳定，请稍后重试（重试不会重复领取）");
            enable(true);
          });
      });
    });
  }

  document.querySelectorAll(".claim-box").forEach(setup);
})();
