/*
 * Idle time (CONTRACT section 8, docs/notifications.md): while a timer runs and this page
 * is open, no input for `idle_minutes` (the bell carries data-idle-minutes and, while a
 * timer runs, data-timer-start) makes the page ask on return: keep the time, discard it
 * and continue, or discard it and stop. The answer goes to POST /api/timer/idle with the
 * moment the last input happened (`idle_since`), never earlier than the timer's start.
 * 0 minutes switches it off. Without JavaScript nothing happens (the long-timer notice
 * still catches a forgotten timer).
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.idle) return;

  var lastInput = Date.now();
  var dialog = null;

  function bell() {
    return document.getElementById('notification-bell');
  }

  function idleMinutes() {
    var b = bell();
    var v = b ? parseFloat(b.getAttribute('data-idle-minutes') || '0') : 0;
    return isNaN(v) ? 0 : v;
  }

  function timerStart() {
    var b = bell();
    var raw = b && b.getAttribute('data-timer-start');
    if (!raw) return null;
    var t = Date.parse(raw);
    return isNaN(t) ? null : t;
  }

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
      return headers['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  function clock(ms) {
    var d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function close() {
    if (dialog) {
      dialog.remove();
      dialog = null;
    }
  }

  function answer(action, since, status) {
    var buttons = dialog ? dialog.querySelectorAll('button') : [];
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    fetch('/api/timer/idle', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
      body: JSON.stringify({ idle_since: new Date(since).toISOString(), action: action }),
    })
      .then(function (r) {
        if (r.ok || r.status === 409) {
          close();
          if (r.ok && action !== 'keep') window.location.reload();
          return null;
        }
        return r.json().then(function (body) {
          status.textContent = (body && body.error) || 'That did not work; try again.';
          for (var j = 0; j < buttons.length; j++) buttons[j].disabled = false;
        });
      })
      .catch(function () {
        status.textContent = 'The server did not answer; try again.';
        for (var j = 0; j < buttons.length; j++) buttons[j].disabled = false;
      });
  }

  function ask(since, back) {
    close();
    var minutes = Math.round((back - since) / 60000);
    dialog = document.createElement('div');
    dialog.className = 'idle-dialog';
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', 'idle-title');
    dialog.setAttribute('data-testid', 'idle-dialog');
    dialog.setAttribute('data-idle-since', new Date(since).toISOString());
    var box = document.createElement('div');
    box.className = 'idle-box card';
    var title = document.createElement('h2');
    title.id = 'idle-title';
    title.textContent = 'You were away for ' + minutes + ' min';
    var text = document.createElement('p');
    text.textContent =
      'No input since ' + clock(since) + ' while your timer was running. What should happen to that time?';
    var status = document.createElement('p');
    status.className = 'field-error';
    status.setAttribute('role', 'alert');
    var row = document.createElement('div');
    row.className = 'idle-actions';
    [
      ['keep', 'Keep the time', 'btn'],
      ['discard_continue', 'Discard it and continue', 'btn btn-primary'],
      ['discard_stop', 'Discard it and stop', 'btn btn-danger'],
    ].forEach(function (choice) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = choice[2];
      b.setAttribute('data-action', choice[0]);
      b.textContent = choice[1];
      b.addEventListener('click', function () {
        answer(choice[0], since, status);
      });
      row.appendChild(b);
    });
    box.appendChild(title);
    box.appendChild(text);
    box.appendChild(row);
    box.appendChild(status);
    dialog.appendChild(box);
    dialog.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        event.stopPropagation();
        answer('keep', since, status);
      }
    });
    document.body.appendChild(dialog);
    var first = dialog.querySelector('button');
    if (first) first.focus();
  }

  function onInput() {
    var now = Date.now();
    if (!dialog) {
      var minutes = idleMinutes();
      var start = timerStart();
      if (minutes > 0 && start !== null) {
        var since = Math.max(lastInput, start);
        if (now - since >= minutes * 60000) ask(since, now);
      }
    }
    lastInput = now;
  }

  ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll'].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true, capture: true });
  });

  M.idle = {
    lastInput: function () {
      return lastInput;
    },
  };
})();
