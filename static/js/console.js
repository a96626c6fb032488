// The staff console: tells the server this agent is still here, and reloads the page when
// what it shows changed (a chat or call offered to the agent pops up that way).
(function () {
  "use strict";
  var root = document.querySelector("[data-console-poll]");
  if (!root) { return; }
  var signature = root.getAttribute("data-signature");
  function poll() {
    fetch(root.getAttribute("data-console-poll"), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      if (signature !== null && data.signature !== signature) { window.location.reload(); }
      signature = data.signature;
    }).catch(function () { /* try again on the next round */ })
      .then(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
