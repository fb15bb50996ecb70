// The venue screen: fetch a fresh check-in code and the count every few seconds.
(function () {
  var box = document.getElementById("checkin-screen");
  if (!box) return;
  var url = box.dataset.codeUrl;
  var every = parseInt(box.dataset.rotate, 10) * 1000;
  function refresh() {
    gonghuiPoll(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (code) {
        if (!code) return;
        document.getElementById("qr").innerHTML = code.svg;
        document.getElementById("qr").dataset.url = code.url;
        document.getElementById("present").textContent = code.present;
        document.getElementById("seated").textContent = code.seated;
      })
      .catch(function () {});
  }
  setInterval(refresh, every);
})();
