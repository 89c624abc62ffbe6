// Live updates for the Gitlab.Agent UI: polls the page's JSON state endpoint and swaps the content when it changed.
(function () {
  "use strict";
  var main = document.getElementById("content");
  var live = document.getElementById("live");
  if (!main || !main.dataset.stateUrl) { return; }
  var etag = main.dataset.etag;
  var interval = parseInt(main.dataset.refreshMs, 10) || 1500;

  function relativeTimes() {
    var now = Date.now();
    document.querySelectorAll("time[datetime]").forEach(function (t) {
      var s = Math.round((now - Date.parse(t.getAttribute("datetime"))) / 1000);
      var text = s < 0 ? "just now" : s < 60 ? s + " s ago" : s < 3600 ? Math.floor(s / 60) + " min ago"
        : s < 86400 ? Math.floor(s / 3600) + " h ago" : Math.floor(s / 86400) + " d ago";
      var rel = t.querySelector(".rel");
      if (rel) { rel.textContent = " (" + text + ")"; }
    });
  }

  function setLive(ok) {
    if (!live) { return; }
    live.textContent = ok ? "live" : "offline";
    live.className = ok ? "live ok" : "live bad";
  }

  async function tick() {
    try {
      var response = await fetch(main.dataset.stateUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { window.location.href = main.dataset.loginUrl; return; }
      if (response.ok) {
        var state = await response.json();
        if (state.etag !== etag) {
          etag = state.etag;
          main.dataset.etag = etag;
          main.innerHTML = state.html;
        }
        setLive(true);
      } else {
        setLive(false);
      }
    } catch (e) {
      setLive(false);
    }
    relativeTimes();
    window.setTimeout(tick, interval);
  }

  relativeTimes();
  window.setTimeout(tick, interval);
})();
