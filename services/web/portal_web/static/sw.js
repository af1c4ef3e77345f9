/* The portal's service worker: shows a push notification (the text the portal sent: its first line is the title)
   and, when it is tapped, opens the home page, where the notification waits with its links. */
"use strict";

self.addEventListener("push", function (event) {
  var lines = (event.data ? event.data.text() : "").split(/\r?\n/);
  var title = lines.shift() || "Portail famille";
  event.waitUntil(self.registration.showNotification(title, {
    body: lines.join("\n").trim(),
    lang: "fr",
    data: {url: "/"}
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
