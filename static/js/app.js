/*
 * Momentum: small glue for every page. No framework; every page works without it.
 *
 * Live elapsed time: any element with class "js-elapsed" and data-start="<RFC 3339>"
 * shows the time since data-start as H:MM:SS (0:53:27), updated every
 * second. The server renders the same format (the `elapsed` filter) as the no-JS
 * fallback. One interval serves the whole
 * document and looks the elements up on each tick, so elements that htmx swaps in
 * later tick too, without any per-element listener or timer.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.app) {
    // Loaded again (e.g. a boosted navigation re-ran the script): keep one ticker.
    M.app.startTicker();
    return;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** Seconds -> "H:MM:SS" (0:53:27): the server's `elapsed` format. */
  function formatElapsed(totalSeconds) {
    var s = Math.max(0, Math.floor(totalSeconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return h + ':' + pad(m) + ':' + pad(s % 60);
  }

  /** Update every display; return the ms until the next second boundary of any of them. */
  function tick() {
    var now = Date.now();
    var next = 1000;
    var els = document.querySelectorAll('.js-elapsed[data-start]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var start = Date.parse(el.getAttribute('data-start'));
      if (isNaN(start)) continue;
      var ms = Math.max(0, now - start);
      var text = formatElapsed(ms / 1000);
      if (el.textContent !== text) el.textContent = text;
      next = Math.min(next, 1000 - (ms % 1000));
    }
    return next;
  }

  // A timeout chain aligned on the displayed seconds (a free-running 1 s interval
  // drifts against them and shows some seconds twice, others not at all).
  var timeoutId = null;
  function loop() {
    timeoutId = window.setTimeout(loop, tick() + 15);
  }
  function startTicker() {
    if (timeoutId !== null) window.clearTimeout(timeoutId);
    loop();
  }

  // Upload progress of the import form (htmx fires xhr:progress on the form). A file,
  // not an inline script: the Content-Security-Policy allows none (CONTRACT section 6).
  document.addEventListener('htmx:xhr:progress', function (evt) {
    var bar = document.getElementById('upload-progress');
    if (!bar || !evt.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((100 * evt.detail.loaded) / evt.detail.total);
  });

  M.app = { formatElapsed: formatElapsed, tick: tick, startTicker: startTicker };

  // A swapped-in timer shows the right value at once, and the loop re-aligns on it.
  document.addEventListener('htmx:afterSwap', startTicker);

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', startTicker, { once: true });
  } else {
    startTicker();
  }
})();
