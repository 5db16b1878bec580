/*
 * Card layout of My productivity and Home (CONTRACT section 7), edited on the page.
 *
 * The page renders its visible cards, in the user's order, as
 *   <div data-layout-page="home|productivity"> <div class="layout-card" data-card="NAME">…</div> … </div>
 * and a link [data-layout-edit=PAGE] to the no-JS form of /settings. This file turns the
 * link into an "Edit layout" toggle. While editing, every card shows a bar with its name,
 * "Move up", "Move down" and "Hide" buttons and can be dragged; a Reset button restores
 * the default. Every change is saved at once through PUT /api/me/layout: the stored
 * layout is fetched, its visible slots are refilled in the new on-page order (hidden
 * cards keep their places), and the whole page list is sent back.
 *
 * No inline script or handler (the CSP forbids them): listeners are attached here, once
 * per window (document-level delegation), and `scan()` re-runs after a boosted navigation.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.layout) {
    M.layout.scan();
    return;
  }

  var LABELS = {
    summary: 'Summary', daily: 'Daily hours', heatmap: 'Activity heatmap', insights: 'Insights',
    projects: 'Projects', focus: 'Focus', goals: 'Goals', sessions: 'Session patterns',
    timer: 'Timer', today: 'Today', week: 'This week', recent_projects: 'Recent projects',
    entries: 'Recent entries', quick_entry: 'Quick entry'
  };
  var dragged = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  function api(method, url, body) {
    var opts = {
      method: method,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' }
    };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data && data.error ? data.error : 'HTTP ' + r.status);
        return data;
      });
    });
  }

  function status(page, text) {
    var el = document.querySelector('[data-layout-status="' + page + '"]');
    if (el) el.textContent = text;
  }

  function cardsOf(container) {
    return Array.prototype.filter.call(container.children, function (el) {
      return el.classList && el.classList.contains('layout-card');
    });
  }

  /** Save the on-page order (and `hide`, a card to hide) of one page. */
  function save(container, hide) {
    var page = container.getAttribute('data-layout-page');
    var order = cardsOf(container).map(function (el) { return el.getAttribute('data-card'); });
    if (hide) order.push(hide); // the card just removed from the page takes the last visible slot
    status(page, 'Saving…');
    return api('GET', '/api/me/layout')
      .then(function (layout) {
        var stored = layout[page] || [];
        var i = 0;
        var next = stored.map(function (card) {
          if (!card.visible || i >= order.length) return card;
          // A visible slot takes the next card of the on-page order.
          var name = order[i++];
          return { name: name, visible: name !== hide };
        });
        // A card shown on the page but not visible in the stored layout (asked for by
        // name, e.g. /?focus=quick-entry) keeps its stored place.
        var body = {};
        body[page] = next.length === stored.length && i === order.length ? next : stored;
        return api('PUT', '/api/me/layout', body);
      })
      .then(function () {
        status(page, hide ? (LABELS[hide] || hide) + ' hidden. Show it again in Settings.' : 'Layout saved.');
      })
      .catch(function (err) {
        status(page, 'Could not save the layout: ' + err.message);
      });
  }

  function toolbar(card) {
    var name = card.getAttribute('data-card');
    var label = LABELS[name] || name;
    var bar = document.createElement('div');
    bar.className = 'layout-card-tools';
    bar.innerHTML =
      '<span class="layout-handle" aria-hidden="true">⠿</span>' +
      '<span class="layout-card-name"></span>' +
      '<button type="button" class="btn btn-small" data-layout-move="-1"></button>' +
      '<button type="button" class="btn btn-small" data-layout-move="1"></button>' +
      '<button type="button" class="btn btn-small" data-layout-hide></button>';
    bar.querySelector('.layout-card-name').textContent = label;
    var buttons = bar.querySelectorAll('button');
    buttons[0].textContent = '↑ Up';
    buttons[0].setAttribute('aria-label', 'Move ' + label + ' up');
    buttons[1].textContent = '↓ Down';
    buttons[1].setAttribute('aria-label', 'Move ' + label + ' down');
    buttons[2].textContent = 'Hide';
    buttons[2].setAttribute('aria-label', 'Hide ' + label);
    return bar;
  }

  function setEditing(container, on) {
    var page = container.getAttribute('data-layout-page');
    container.classList.toggle('layout-editing', on);
    cardsOf(container).forEach(function (card) {
      var bar = card.querySelector(':scope > .layout-card-tools');
      if (on && !bar) card.insertBefore(toolbar(card), card.firstChild);
      if (!on && bar) bar.remove();
      if (on) card.setAttribute('draggable', 'true');
      else card.removeAttribute('draggable');
    });
    var toggle = document.querySelector('[data-layout-toggle="' + page + '"]');
    if (toggle) {
      toggle.textContent = on ? 'Done' : 'Edit layout';
      toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    var reset = document.querySelector('[data-layout-reset="' + page + '"]');
    if (reset) reset.hidden = !on;
  }

  /** Replace each page's settings link with an "Edit layout" toggle and a Reset button. */
  function scan() {
    var links = document.querySelectorAll('a[data-layout-edit]');
    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      var page = link.getAttribute('data-layout-edit');
      var toggle = document.createElement('button');
      toggle.type = 'button';
      toggle.className = 'btn layout-edit';
      toggle.setAttribute('data-layout-toggle', page);
      toggle.setAttribute('aria-pressed', 'false');
      toggle.textContent = 'Edit layout';
      var reset = document.createElement('button');
      reset.type = 'button';
      reset.className = 'btn layout-reset';
      reset.setAttribute('data-layout-reset', page);
      reset.textContent = 'Reset layout';
      reset.hidden = true;
      link.parentNode.insertBefore(reset, link.nextSibling);
      link.parentNode.replaceChild(toggle, link);
    }
  }

  function containerOf(el) {
    return el && el.closest ? el.closest('[data-layout-page]') : null;
  }

  document.addEventListener('click', function (evt) {
    var t = evt.target.closest ? evt.target.closest('button') : null;
    if (!t) return;
    var page = t.getAttribute('data-layout-toggle');
    if (page) {
      var c = document.querySelector('[data-layout-page="' + page + '"]');
      if (c) setEditing(c, !c.classList.contains('layout-editing'));
      return;
    }
    page = t.getAttribute('data-layout-reset');
    if (page) {
      status(page, 'Resetting…');
      api('DELETE', '/api/me/layout?page=' + encodeURIComponent(page))
        .then(function () { window.location.reload(); })
        .catch(function (err) { status(page, 'Could not reset the layout: ' + err.message); });
      return;
    }
    var card = t.closest('.layout-card');
    var container = containerOf(card);
    if (!card || !container) return;
    if (t.hasAttribute('data-layout-move')) {
      var step = parseInt(t.getAttribute('data-layout-move'), 10);
      var cards = cardsOf(container);
      var i = cards.indexOf(card);
      var j = i + step;
      if (j < 0 || j >= cards.length) return;
      if (step < 0) container.insertBefore(card, cards[j]);
      else container.insertBefore(card, cards[j].nextSibling);
      t.focus(); // moving the node can drop the focus; the keyboard user keeps their place
      save(container);
    } else if (t.hasAttribute('data-layout-hide')) {
      var next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      var focusTarget = next && next.querySelector('[data-layout-hide]');
      if (focusTarget) focusTarget.focus();
      save(container, card.getAttribute('data-card'));
    }
  });

  document.addEventListener('dragstart', function (evt) {
    var card = evt.target.closest ? evt.target.closest('.layout-card[draggable="true"]') : null;
    if (!card) return;
    dragged = card;
    card.classList.add('layout-dragging');
    evt.dataTransfer.effectAllowed = 'move';
    evt.dataTransfer.setData('text/plain', card.getAttribute('data-card'));
  });

  document.addEventListener('dragover', function (evt) {
    if (!dragged) return;
    var over = evt.target.closest ? evt.target.closest('.layout-card') : null;
    if (!over || over === dragged || containerOf(over) !== containerOf(dragged)) return;
    evt.preventDefault();
    var r = over.getBoundingClientRect();
    // Past the diagonal of the card under the pointer: after it, else before it.
    var after = (evt.clientY - r.top) / r.height + (evt.clientX - r.left) / r.width > 1;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener('drop', function (evt) {
    if (dragged) evt.preventDefault();
  });

  document.addEventListener('dragend', function () {
    if (!dragged) return;
    var card = dragged;
    dragged = null;
    card.classList.remove('layout-dragging');
    save(containerOf(card));
  });

  document.addEventListener('htmx:afterSettle', scan);
  M.layout = { scan: scan, save: save };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', scan, { once: true });
  } else {
    scan();
  }
})();
