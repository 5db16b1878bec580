/*
 * Momentum: small glue for every page. No framework; every page works without it.
 *
 * Live elapsed time: any element with class "js-elapsed" and data-start="<RFC 3339>"
 * shows the time since data-start as H:MM:SS (M:SS under an hour), updated every
 * second. The server renders the same format (the `duration` filter) as the no-JS
 * fallback. One interval serves the whole
 * document and looks the elements up on each tick, so elements that htmx swaps in
 * later tick too, without any per-element listener or timer.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.app) {
    // Loaded again (e.g. a boosted navigation re-ran the script): keep one ticker.
    M.app.tick();
    return;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** Seconds -> "H:MM:SS", or "M:SS" under an hour: the server's `duration` format. */
  function formatElapsed(totalSeconds) {
    var s = Math.max(0, Math.floor(totalSeconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return h ? h + ':' + pad(m) + ':' + pad(s % 60) : m + ':' + pad(s % 60);
  }

  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll('.js-elapsed[data-start]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var start = Date.parse(el.getAttribute('data-start'));
      if (isNaN(start)) continue;
      var text = formatElapsed((now - start) / 1000);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  var intervalId = null;
  function startTicker() {
    if (intervalId !== null) return;
    tick();
    intervalId = window.setInterval(tick, 1000);
  }

  M.app = { formatElapsed: formatElapsed, tick: tick, startTicker: startTicker };

  // A swapped-in timer shows the right value at once instead of on the next tick.
  document.addEventListener('htmx:afterSwap', tick);

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', startTicker, { once: true });
  } else {
    startTicker();
  }
})();
