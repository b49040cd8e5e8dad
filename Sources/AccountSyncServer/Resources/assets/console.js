// account-sync Admin Center: a little progressive JavaScript. Every page works without it.
"use strict";

// Dates are rendered on the server in the admin's time zone: tell it the browser's zone.
(function rememberTimeZone() {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("account_sync_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "account_sync_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Strict";
    }
  } catch (e) { /* the server's zone is used */ }
})();

// Run progress: poll the API and move the bar; open the run's details when it has finished.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-progress-run]");
  if (!box) return;
  var id = box.getAttribute("data-progress-run");
  var bar = box.querySelector("progress");
  var phase = box.querySelector("[data-phase]");
  var done = box.querySelector("[data-done]");
  function poll() {
    fetch("/api/v1/runs/" + id + "/progress", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (snapshot) {
        if (!snapshot) { setTimeout(poll, 1000); return; }
        if (snapshot.phase === "finished") { window.location.assign("/runs/" + id); return; }
        if (phase) phase.textContent = snapshot.phase;
        if (done) done.textContent = snapshot.done + (snapshot.total ? " of " + snapshot.total : "");
        if (bar && snapshot.total) { bar.max = snapshot.total; bar.value = snapshot.done; }
        setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 300);
});

// Forms that need a second thought (delete, revoke) ask before they go.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
