// A page's automatic requests (polls) are no activity: they carry X-Gonghui-Poll: 1, so an
// idle session still ends (web/sessions.py). An htmx element polling with hx-trigger="every
// …" gets the header here; a script's loop fetches through gonghuiPoll. A poll answered 401
// (the session has ended) takes the page to the sign-in page, one answered 403 with an
// address (the password has expired) to that page: htmx follows HX-Redirect, and
// gonghuiPoll the address in the JSON answer.
(function () {
  "use strict";
  var HEADER = "X-Gonghui-Poll";
  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.elt.getAttribute("hx-trigger") || "";
    if (/(^|,)\s*every\s/.test(trigger)) event.detail.headers[HEADER] = "1";
  });
  window.gonghuiPoll = function (url, init) {
    var options = Object.assign({}, init);
    options.headers = Object.assign({}, options.headers);
    options.headers[HEADER] = "1";
    return fetch(url, options).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        response.clone().json().then(function (body) {
          if (body.redirect) window.location.assign(body.redirect);
        }).catch(function () {});
      }
      return response;
    });
  };
})();
