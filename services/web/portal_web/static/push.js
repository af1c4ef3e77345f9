/* "Recevoir les notifications sur ce navigateur": asks the browser for its permission, registers the service
   worker (/sw.js, which shows what arrives), subscribes with the portal's VAPID key and hands the subscription
   to the portal. Shown only where the browser can do all of it; without this script nothing is offered. */
(function () {
  "use strict";
  var box = document.querySelector("[data-webpush-key]");
  if (!box || !window.fetch || !("serviceWorker" in navigator) || !("PushManager" in window) ||
      !("Notification" in window)) { return; }
  var button = box.querySelector("button");
  var status = box.querySelector(".webpush-status");
  box.hidden = false;

  function Refusal(message) { this.message = message; }  // a message for parents, as opposed to a browser error

  function keyBytes(text) {  // base64url -> bytes, as applicationServerKey wants them
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function subscribe(registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      return existing || registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.webpushKey)
      });
    });
  }

  function save(subscription) {
    return window.fetch(box.dataset.save, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf},
      body: JSON.stringify({subscription: subscription.toJSON()})
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Refusal(answer.detail || box.dataset.failed); }
        window.location.assign(answer.next);
      });
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "";
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Refusal(box.dataset.denied); }
      return navigator.serviceWorker.register(box.dataset.worker, {scope: "/"});
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(subscribe).then(save).catch(function (error) {
      status.textContent = error instanceof Refusal ? error.message : box.dataset.failed;
      button.disabled = false;
    });
  });
}());
