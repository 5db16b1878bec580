/*
 * Notifications in the page (docs/notifications.md): the bell, toasts, browser notifications.
 *
 * The bell (#notification-bell, templates/partials/notifications/bell.html.j2) polls its
 * own fragment with htmx: every 60 s while a timer runs, every 5 minutes otherwise. This
 * file
 *   - skips a poll while the tab is hidden and polls at once when it becomes visible;
 *   - after each swap, compares the newest notice id (data-latest) with the last one this
 *     browser has seen (localStorage) and shows a toast for each new unread notice
 *     (fetched from GET /api/notifications?after_id=…), and a browser notification when
 *     the user allowed them;
 *   - wires the "Enable browser notifications" button on /notifications: permission is
 *     asked only from that click, never on load.
 * Nothing here is needed for the pages to work: without JavaScript the bell is a link.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.notifications) {
    M.notifications.scan();
    return;
  }

  var SEEN_KEY = 'momentum:notices-seen';
  var TOAST_MS = 8000;
  var MAX_TOASTS = 3;

  function bell() {
    return document.getElementById('notification-bell');
  }

  function seen() {
    try {
      var v = parseInt(window.localStorage.getItem(SEEN_KEY) || '', 10);
      return isNaN(v) ? null : v;
    } catch (e) {
      return null;
    }
  }

  function setSeen(id) {
    try {
      window.localStorage.setItem(SEEN_KEY, String(id));
    } catch (e) {
      /* private mode: toasts may repeat after a reload, nothing else */
    }
  }

  function region() {
    var r = document.getElementById('toast-region');
    if (!r) {
      r = document.createElement('div');
      r.id = 'toast-region';
      r.className = 'toast-region';
      r.setAttribute('role', 'status');
      r.setAttribute('aria-live', 'polite');
      document.body.appendChild(r);
    }
    return r;
  }

  function toast(item) {
    var r = region();
    while (r.children.length >= MAX_TOASTS) r.removeChild(r.firstChild);
    var box = document.createElement('div');
    box.className = 'toast';
    box.setAttribute('data-testid', 'toast');
    box.setAttribute('data-kind', item.kind);
    var title = document.createElement(item.action_url ? 'a' : 'p');
    title.className = 'toast-title';
    title.textContent = item.title;
    if (item.action_url) title.setAttribute('href', item.action_url);
    box.appendChild(title);
    if (item.body) {
      var body = document.createElement('p');
      body.className = 'toast-body';
      body.textContent = item.body;
      box.appendChild(body);
    }
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', function () {
      box.remove();
    });
    box.appendChild(close);
    r.appendChild(box);
    window.setTimeout(function () {
      box.remove();
    }, TOAST_MS);
  }

  function browserNotify(item) {
    if (!('Notification' in window) || window.Notification.permission !== 'granted') return;
    try {
      var n = new window.Notification(item.title, { body: item.body || '', tag: 'momentum-' + item.id });
      n.onclick = function () {
        window.focus();
        if (item.action_url) window.location.href = item.action_url;
      };
    } catch (e) {
      /* some browsers only allow notifications from a service worker */
    }
  }

  function announce(after) {
    fetch('/api/notifications?limit=10&after_id=' + encodeURIComponent(after), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (!data || !data.items) return;
        data.items
          .filter(function (item) {
            return !item.read;
          })
          .reverse()
          .forEach(function (item) {
            toast(item);
            browserNotify(item);
          });
      })
      .catch(function () {});
  }

  function scan() {
    var b = bell();
    if (!b || !b.hasAttribute('data-latest')) return;
    var latest = parseInt(b.getAttribute('data-latest'), 10) || 0;
    var last = seen();
    if (last === null) {
      setSeen(latest); // the first visit: what exists already is not news
      return;
    }
    if (latest > last) {
      setSeen(latest);
      announce(last);
    } else if (latest < last) {
      setSeen(latest); // another account signed in on this browser
    }
  }

  function wireButton() {
    var buttons = document.querySelectorAll('.js-browser-notify');
    for (var i = 0; i < buttons.length; i++) {
      var btn = buttons[i];
      if (btn.getAttribute('data-wired')) continue;
      btn.setAttribute('data-wired', '1');
      if (!('Notification' in window) || window.Notification.permission === 'granted') {
        btn.hidden = true;
        continue;
      }
      if (window.Notification.permission === 'denied') {
        btn.hidden = false;
        btn.disabled = true;
        btn.textContent = 'Browser notifications are blocked for this site';
        continue;
      }
      btn.hidden = false;
      btn.addEventListener('click', function (event) {
        var target = event.currentTarget;
        window.Notification.requestPermission().then(function (answer) {
          if (answer === 'granted') {
            target.hidden = true;
          } else if (answer === 'denied') {
            target.disabled = true;
            target.textContent = 'Browser notifications are blocked for this site';
          }
        });
      });
    }
  }

  // A hidden tab does not poll; `every` re-arms itself for the next round.
  document.addEventListener('htmx:beforeRequest', function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.id === 'notification-bell' && document.visibilityState !== 'visible') event.preventDefault();
  });
  document.addEventListener('visibilitychange', function () {
    var b = bell();
    if (b && document.visibilityState === 'visible' && window.htmx) window.htmx.trigger(b, 'momentum:bell');
  });
  // A write made through htmx (a boosted form, a button) may change the count: ask again.
  document.addEventListener('htmx:afterRequest', function (event) {
    var d = event.detail || {};
    var verb = (d.requestConfig && d.requestConfig.verb) || '';
    if (d.elt && d.elt.id !== 'notification-bell' && verb && verb.toLowerCase() !== 'get') {
      var b = bell();
      if (b && window.htmx) window.htmx.trigger(b, 'momentum:bell');
    }
  });
  document.addEventListener('htmx:afterSettle', function () {
    scan();
    wireButton();
  });
  document.addEventListener('DOMContentLoaded', function () {
    scan();
    wireButton();
  });
  if (document.readyState !== 'loading') {
    scan();
    wireButton();
  }

  M.notifications = { scan: scan, refresh: function () { var b = bell(); if (b && window.htmx) window.htmx.trigger(b, 'momentum:bell'); } };
})();
