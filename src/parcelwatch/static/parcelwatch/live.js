// Live view: ask the platform to start the camera's stream, then play its HLS playlist with hls.js
// (or natively where the browser plays HLS itself). A clear state is shown while connecting and when the
// camera delivers nothing; "Retry" starts again.
(function () {
  "use strict";
  var holder = document.getElementById("pw-live-text");
  var T = holder ? holder.dataset : {};

  function setState(player, text, retry) {
    var box = player.querySelector(".pw-player-state");
    box.textContent = "";
    box.hidden = !text;
    if (!text) return;
    var p = document.createElement("div");
    p.textContent = text;
    box.appendChild(p);
    if (retry) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm btn-light mt-2";
      b.textContent = T.retry || "Retry";
      b.addEventListener("click", function () { start(player, 0); });
      box.appendChild(b);
    }
    player.classList.toggle("is-offline", !!retry);
  }

  function play(player, playlist) {
    var video = player.querySelector("video");
    if (player._hls) { player._hls.destroy(); player._hls = null; }
    video.addEventListener("playing", function () { setState(player, ""); player.dataset.playing = "1"; });
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({
        enableWorker: false, lowLatencyMode: false, liveSyncDurationCount: 2,
        manifestLoadingMaxRetry: 10, manifestLoadingRetryDelay: 1000, levelLoadingMaxRetry: 6,
        fragLoadingMaxRetry: 6
      });
      player._hls = hls;
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) {
          hls.destroy();
          player._hls = null;
          setState(player, T.offline || "No video", true);
        }
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () { video.play().catch(function () {}); });
      hls.loadSource(playlist);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playlist;
      video.addEventListener("error", function () { setState(player, T.offline || "No video", true); });
      video.play().catch(function () {});
    } else {
      setState(player, T.unsupported || "This browser cannot play live video.", false);
    }
  }

  var MAX_WAITS = 20;

  function start(player, waited) {
    if (player.dataset.enabled !== "1") return;
    waited = waited || 0;
    if (!waited) setState(player, T.connecting || "Connecting…", false);
    fetch(player.dataset.liveStart, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": player.dataset.csrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok || !result.body.playlist) {
        setState(player, result.body.message || T.failed || "Failed", true);
        return;
      }
      if (!result.body.ready) {
        // The gateway is starting the stream: ask again shortly (the first segments take a few seconds).
        if (waited >= MAX_WAITS) { setState(player, T.offline || "No video", true); return; }
        setTimeout(function () { start(player, waited + 1); }, 1000);
        return;
      }
      play(player, result.body.playlist);
    }).catch(function () {
      setState(player, T.failed || "Failed", true);
    });
  }

  document.querySelectorAll(".pw-player").forEach(function (player) { start(player, 0); });
})();
