/*
 * Momentum: fragments during an outage (CONTRACT section 6, "Database outage").
 *
 * When an htmx request answers 503 (the database is unreachable) or cannot reach the
 * server at all, the fragment keeps the content it has and shows a small note saying
 * it will retry. Polling fragments keep polling on their own schedule; the first
 * successful swap replaces the fragment, note included. Other error statuses are left
 * to htmx's configured handling (base.html.j2).
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.resilience) return; // loaded again by a boosted navigation
  var NOTE_CLASS = 'retry-note';
  // Elements that cannot hold a <p>: the note goes just before them instead.
  var NO_CHILDREN = /^(TABLE|TBODY|THEAD|TFOOT|TR|SELECT|UL|OL|DL|INPUT|TEXTAREA|BUTTON|IMG|CANVAS|SVG)$/;

  function noteText(retryAfter, polling) {
    var when = retryAfter && /^\d+$/.test(retryAfter) ? ' in about ' + retryAfter + ' s' : ' shortly';
    return polling
      ? 'Temporarily unavailable: showing the last figures, retrying' + when + '.'
      : 'Temporarily unavailable: nothing was changed here. Please try again' + when + '.';
  }

  function existingNote(target) {
    var first = NO_CHILDREN.test(target.tagName) ? target.previousElementSibling : target.firstElementChild;
    return first && first.classList && first.classList.contains(NOTE_CLASS) ? first : null;
  }

  function showNote(target, retryAfter) {
    if (!target || !target.isConnected) return;
    var polling = target.hasAttribute('hx-trigger') && /\bevery\b/.test(target.getAttribute('hx-trigger'));
    var note = existingNote(target);
    if (!note) {
      note = document.createElement('p');
      note.className = NOTE_CLASS;
      note.setAttribute('role', 'status');
      if (NO_CHILDREN.test(target.tagName)) target.insertAdjacentElement('beforebegin', note);
      else target.insertAdjacentElement('afterbegin', note);
    }
    note.textContent = noteText(retryAfter, polling);
    target.setAttribute('data-stale', 'true');
  }

  function clearNote(target) {
    if (!target || !target.isConnected) return;
    var note = existingNote(target);
    if (note) note.remove();
    target.removeAttribute('data-stale');
  }

  function targetOf(evt) {
    return (evt.detail && evt.detail.target) || evt.target;
  }

  document.addEventListener('htmx:beforeSwap', function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!xhr || xhr.status !== 503) return;
    evt.detail.shouldSwap = false; // keep the last content
    evt.detail.isError = false; // handled here: no error event, no console noise
    showNote(targetOf(evt), xhr.getResponseHeader('Retry-After'));
  });

  // The server could not be reached at all (restarting, network gone).
  document.addEventListener('htmx:sendError', function (evt) {
    showNote(targetOf(evt), null);
  });

  document.addEventListener('htmx:afterRequest', function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (evt.detail && evt.detail.successful && xhr && xhr.status < 400) clearNote(targetOf(evt));
  });

  M.resilience = { showNote: showNote, clearNote: clearNote };
})();
