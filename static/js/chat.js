// Keeps a chat page current without reloading it: polls for new messages every few seconds,
// sends forms in the background, and reloads only when the chat's state changes (accepted,
// ended). Without JavaScript every form still posts and the page shows the same thing.
(function () {
  "use strict";
  var root = document.querySelector("[data-chat-poll]");
  if (!root) { return; }
  var list = root.querySelector("[data-chat-messages]");
  var errorBox = root.querySelector("[data-chat-error]");
  var after = Number(root.getAttribute("data-last-id") || 0);
  var status = root.getAttribute("data-status");
  var every = 3000;

  function show(message) {
    if (document.querySelector('[data-message="' + message.id + '"]')) { return; }
    var item = document.createElement("li");
    item.className = "chat-" + message.sender;
    item.setAttribute("data-message", message.id);
    var who = document.createElement("small");
    who.textContent = message.who + " · " + message.at;
    var text = document.createElement("p");
    text.textContent = message.body;
    if (message.article_url) {
      var link = document.createElement("a");
      link.href = message.article_url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = message.article_title;
      text.appendChild(document.createElement("br"));
      text.appendChild(link);
    }
    item.appendChild(who);
    item.appendChild(text);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function poll() {
    fetch(root.getAttribute("data-chat-poll") + "?after=" + after, {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      data.messages.forEach(function (message) { show(message); after = message.id; });
      var position = document.querySelector("[data-chat-position]");
      if (position && data.position) { position.textContent = data.position; }
      if (data.status !== status) { window.location.reload(); }
    }).catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);

  root.querySelectorAll("form[data-chat-send]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(form.action, {
        method: "POST", body: new FormData(form),
        headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (errorBox) { errorBox.textContent = result.ok ? "" : (result.data.error || ""); }
        if (result.ok) {
          var text = form.querySelector("textarea");
          if (text) { text.value = ""; }
        }
      });
    });
  });
  list.scrollTop = list.scrollHeight;
})();
