/* A member answers a live quiz on the phone: the countdown runs from the server's closes_at
   (corrected by the page's server time), one submit posts the answers with the member pass;
   a network failure retries the same answers (the server answers a retry with the same
   acknowledgement). At zero the answers so far are submitted. Before the start the page
   reloads itself every few seconds; after submitting, once more when the time is up (the
   right answers and explanations are shown only then). */
(function () {
  "use strict";
  var waiting = document.getElementById("waiting");
  if (waiting) {
    setTimeout(function () { location.reload(); }, Number(waiting.dataset.reload) || 3000);
    return;
  }
  var awaiting = document.getElementById("await-key");
  if (awaiting) {
    var left = Number(awaiting.dataset.closes) - Number(awaiting.dataset.now);
    setTimeout(function () { location.reload(); }, Math.max(left, 0) + 2000);
    return;
  }
  var form = document.getElementById("quiz");
  if (!form) { return; }
  var offset = Number(form.dataset.now) - Date.now();
  var closes = Number(form.dataset.closes);
  var clock = document.getElementById("countdown");
  var verdict = form.querySelector(".verdict");
  var button = form.querySelector("button[type=submit]");
  var sent = false;

  function answers() {
    var out = {};
    form.querySelectorAll("fieldset[data-position]").forEach(function (set) {
      var picked = [];
      set.querySelectorAll("input:checked").forEach(function (i) { picked.push(Number(i.value)); });
      if (picked.length) { out[set.dataset.position] = picked; }
    });
    return out;
  }

  function say(text, bad) {
    verdict.textContent = text;
    verdict.classList.remove("hidden");
    verdict.classList.toggle("error", !!bad);
  }

  function post(body, tries) {
    var headers = {"Content-Type": "application/json"};
    headers[form.dataset.passHeader] = form.dataset.pass;
    fetch(form.dataset.api, {method: "POST", headers: headers, body: body, credentials: "omit"})
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (res) {
        if (res[0] === 200) {
          say(res[1].message, false);
          setTimeout(function () { location.reload(); }, 600);
        } else {
          say(res[1].message || "提交未成功", true);
          if (res[0] !== 409 || res[1].code === "conflict") { sent = false; button.disabled = false; }
        }
      })
      .catch(function () {
        if (tries < 5) {
          say("网络不稳定，正在重试……", true);
          setTimeout(function () { post(body, tries + 1); }, 800 * (tries + 1));
        } else { say("网络异常，请稍后再次提交", true); sent = false; button.disabled = false; }
      });
  }

  function submit() {
    if (sent) { return; }
    sent = true;
    button.disabled = true;
    say("正在提交……", false);
    post(JSON.stringify({answers: answers()}), 0);
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  function tick() {
    var left = Math.max(0, Math.floor((closes - (Date.now() + offset)) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left <= 0) { submit(); return; }
    setTimeout(tick, 250);
  }
  tick();
})();
