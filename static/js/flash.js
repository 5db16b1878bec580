/*
 * "Deleted · Undo" (docs/ui.md, "Undo"): a flash message that carries an Undo form
 * disappears after its data-flash-seconds (10 s). Without JavaScript it stays until the
 * next page; the server accepts the Undo for a little longer (app/domain/tracking/undo.py).
 */
(function () {
  'use strict';
  var M = (window.Momentum = window.Momentum || {});

  function arm(root) {
    var els = (root || document).querySelectorAll('[data-flash-seconds]:not([data-flash-armed])');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.setAttribute('data-flash-armed', 'true');
      var seconds = parseInt(el.getAttribute('data-flash-seconds'), 10) || 10;
      window.setTimeout(function (node) {
        return function () { if (node.parentNode) node.parentNode.removeChild(node); };
      }(el), seconds * 1000);
    }
  }

  if (M.flash) { M.flash.arm(); return; }
  M.flash = { arm: arm };
  document.addEventListener('htmx:afterSettle', function () { arm(); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { arm(); });
  else arm();
})();
