/*
 * Momentum: keyboard shortcuts, the `?` help dialog and the command palette
 * (CONTRACT section 7; docs/keyboard.md). Every page works without this file: the
 * quick-actions menu and /palette do the same with plain links and forms.
 *
 * The list of shortcuts comes from the server (app/domain/workspace/prefs.py SHORTCUTS,
 * with the user's own keys) in <body data-shortcuts>. The key handlers and the help
 * dialog are both built from that one list, so the dialog cannot disagree with the keys.
 *
 * - Never fires while typing in an input, textarea, select or contenteditable element;
 *   Esc leaves the field. Ctrl+K / Cmd+K works everywhere (it types nothing).
 * - After a timer start or stop (a click, `s`, a palette item, an htmx swap), keyboard
 *   focus returns to the timer toggle (#timer-toggle, else the quick-actions one).
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.shortcuts) return; // the head is not swapped by boosted navigation: once per page load

  var FOCUS_KEY = 'momentum-focus';
  var SEQUENCE_MS = 1500;
  var config = readConfig();
  var byId = {};
  config.shortcuts.forEach(function (s) { byId[s.id] = s; });

  function readConfig() {
    try {
      var parsed = JSON.parse(document.body.getAttribute('data-shortcuts') || '');
      if (parsed && parsed.shortcuts) return parsed;
    } catch (e) { /* no config: nothing but Ctrl+K and Esc */ }
    return { enabled: false, shortcuts: [] };
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  function isTyping(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    if (tag !== 'INPUT') return false;
    var type = (el.getAttribute('type') || 'text').toLowerCase();
    return ['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].indexOf(type) < 0;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function currentPath() {
    return window.location.pathname + window.location.search;
  }

  /** Post a form as a browser without JavaScript would (a real navigation, 303 back). */
  function postForm(url, fields, focusTimer) {
    var form = el('form', { method: 'post', action: url, hidden: '' });
    var all = Object.assign({ _csrf_token: csrfToken(), next: currentPath() }, fields || {});
    Object.keys(all).forEach(function (k) {
      form.appendChild(el('input', { type: 'hidden', name: k, value: all[k] }));
    });
    document.body.appendChild(form);
    if (focusTimer) rememberTimerFocus();
    form.submit();
  }

  // ------------------------------------------------------------------ timer focus

  function rememberTimerFocus() {
    try { window.sessionStorage.setItem(FOCUS_KEY, 'timer-toggle'); } catch (e) { /* private mode */ }
  }

  function timerControl() {
    var main = document.getElementById('timer-toggle');
    if (main) return main;
    var qa = document.getElementById('qa-timer-toggle');
    if (qa) {
      var menu = document.getElementById('quick-actions');
      if (menu) menu.open = true;
    }
    return qa;
  }

  function restoreFocus() {
    var wanted = null;
    try {
      wanted = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { /* private mode */ }
    if (wanted === 'timer-toggle') {
      var control = timerControl();
      if (control) control.focus();
    }
  }

  function focusOnLoad() {
    restoreFocus();
    if (/[?&]focus=quick-entry\b/.test(window.location.search)) {
      // After the load: the browser's own scroll to #quick-entry would move focus again.
      if (document.readyState === 'complete') window.setTimeout(focusQuickEntry, 0);
      else window.addEventListener('load', function () { window.setTimeout(focusQuickEntry, 0); }, { once: true });
    }
  }

  var TIMER_ACTIONS = /^\/(timer\/(start|stop)|actions\/(timer\/(start|stop|toggle)|continue))$/;
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    if (!form || !form.getAttribute) return;
    var action = form.getAttribute('action') || '';
    if (TIMER_ACTIONS.test(action)) rememberTimerFocus();
  }, true);
  // A boosted form (htmx) swaps #main in place of a page load. Only a POST's swap counts:
  // a poll settling (the bell, a fragment) must not take the flag meant for the next page.
  document.addEventListener('htmx:afterSettle', function (evt) {
    var cfg = evt.detail && evt.detail.requestConfig;
    if (cfg && String(cfg.verb || '').toLowerCase() === 'post') restoreFocus();
  });

  // ------------------------------------------------------------------ actions

  function focusQuickEntry() {
    var box = document.getElementById('quick-entry');
    if (!box) return false;
    var field = box.querySelector('input:not([type=hidden]), select, textarea');
    box.scrollIntoView({ block: 'center' });
    if (field) field.focus();
    return true;
  }

  var ACTIONS = {
    help: function () { openHelp(); },
    palette: function () { openPalette(); },
    timer: function () {
      var toggle = document.getElementById('timer-toggle');
      if (toggle && toggle.form) {
        rememberTimerFocus();
        toggle.click();
      } else {
        postForm('/actions/timer/toggle', {}, true);
      }
    },
    'continue': function () { postForm('/actions/continue', {}, true); },
    new_entry: function () {
      if (!focusQuickEntry()) window.location.assign('/?focus=quick-entry#quick-entry');
    }
  };

  function run(shortcut) {
    if (shortcut.url) {
      window.location.assign(shortcut.url);
    } else if (ACTIONS[shortcut.id]) {
      ACTIONS[shortcut.id]();
    }
  }

  // ------------------------------------------------------------------ dialogs

  function makeDialog(id, label, cls) {
    var dialog = el('dialog', { id: id, 'class': 'ws-dialog ' + (cls || ''), role: 'dialog', 'aria-modal': 'true' });
    if (label) dialog.setAttribute('aria-label', label);
    // Back to where the user was when the dialog closes — unless focus has moved on already:
    // the close event comes a task after Esc, so a shortcut pressed at once (`n` focusing the
    // quick entry) must not have its focus taken back.
    var opener = null;
    dialog.addEventListener('close', function () {
      var current = document.activeElement;
      var settled = current && current !== document.body && current !== opener && !dialog.contains(current);
      if (opener && document.contains(opener) && !settled) opener.focus();
      opener = null;
    });
    dialog.openFrom = function () {
      opener = document.activeElement;
      if (!dialog.open) dialog.showModal();
    };
    document.body.appendChild(dialog);
    return dialog;
  }

  var help = null;
  function openHelp() {
    closeDialogs();
    if (!help) {
      help = makeDialog('shortcut-help', null, 'help-dialog');
      help.setAttribute('aria-labelledby', 'shortcut-help-title');
      var head = el('div', { 'class': 'ws-dialog-head' });
      head.appendChild(el('h2', { id: 'shortcut-help-title' }, 'Keyboard shortcuts'));
      var close = el('button', { type: 'button', 'class': 'btn btn-small' }, 'Close');
      close.addEventListener('click', function () { help.close(); });
      head.appendChild(close);
      help.appendChild(head);
      var body = el('div', { 'class': 'ws-dialog-body' });
      if (!config.enabled) {
        body.appendChild(el('p', { 'class': 'muted small' },
          'Character-key shortcuts are switched off in Settings; Ctrl+K and Esc still work.'));
      }
      var table = el('table', { 'class': 'table table-compact' });
      var thead = el('thead');
      var hr = el('tr');
      hr.appendChild(el('th', { scope: 'col' }, 'Keys'));
      hr.appendChild(el('th', { scope: 'col' }, 'Does'));
      thead.appendChild(hr);
      table.appendChild(thead);
      var tbody = el('tbody');
      config.shortcuts.forEach(function (s) {
        var tr = el('tr', { 'data-shortcut': s.id });
        var keys = el('td');
        if (s.keys) {
          s.keys.split(' ').forEach(function (k, i) {
            if (i) keys.appendChild(document.createTextNode(' then '));
            keys.appendChild(el('kbd', {}, k));
          });
        } else {
          keys.appendChild(el('span', { 'class': 'muted small' }, 'off'));
        }
        tr.appendChild(keys);
        tr.appendChild(el('td', {}, s.label));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      body.appendChild(table);
      var more = el('p', { 'class': 'muted small' });
      more.appendChild(document.createTextNode('Turn them off or choose other keys in '));
      more.appendChild(el('a', { href: '/settings#keyboard' }, 'Settings → Keyboard'));
      more.appendChild(document.createTextNode('.'));
      body.appendChild(more);
      help.appendChild(body);
    }
    help.openFrom();
    help.querySelector('button').focus();
  }

  // The command palette: a modal dialog with an ARIA combobox controlling a listbox.
  var palette = null;
  var input = null;
  var list = null;
  var status = null;
  var items = [];
  var active = -1;
  var pending = null;
  var debounce = null;

  function buildPalette() {
    palette = makeDialog('command-palette', 'Command palette', 'palette-dialog');
    input = el('input', {
      type: 'text', 'class': 'palette-search', role: 'combobox', 'aria-label': 'Search pages, actions, projects, tasks',
      'aria-expanded': 'false', 'aria-controls': 'palette-listbox', 'aria-autocomplete': 'list',
      autocomplete: 'off', spellcheck: 'false', maxlength: '100', placeholder: 'Type a page, an action, a project…'
    });
    list = el('ul', { id: 'palette-listbox', role: 'listbox', 'aria-label': 'Results', 'class': 'palette-list' });
    status = el('p', { 'class': 'palette-status', role: 'status', 'aria-live': 'polite' });
    palette.appendChild(input);
    palette.appendChild(list);
    palette.appendChild(status);
    input.addEventListener('input', function () {
      window.clearTimeout(debounce);
      debounce = window.setTimeout(search, 60);
    });
    input.addEventListener('keydown', function (evt) {
      if (evt.key === 'ArrowDown' || evt.key === 'ArrowUp') {
        evt.preventDefault();
        if (!items.length) return;
        var step = evt.key === 'ArrowDown' ? 1 : -1;
        select((active + step + items.length) % items.length);
      } else if (evt.key === 'Home' && items.length && evt.ctrlKey) {
        evt.preventDefault();
        select(0);
      } else if (evt.key === 'End' && items.length && evt.ctrlKey) {
        evt.preventDefault();
        select(items.length - 1);
      } else if (evt.key === 'Enter') {
        evt.preventDefault();
        if (active >= 0 && items[active]) choose(items[active]);
      }
    });
    list.addEventListener('click', function (evt) {
      var option = evt.target.closest ? evt.target.closest('[role=option]') : null;
      if (option) choose(items[Number(option.getAttribute('data-index'))]);
    });
  }

  function openPalette() {
    closeDialogs();
    if (!palette) buildPalette();
    palette.openFrom();
    input.value = '';
    input.focus();
    search();
  }

  function closeDialogs() {
    [help, palette].forEach(function (d) { if (d && d.open) d.close(); });
  }

  function select(index) {
    active = index;
    var options = list.querySelectorAll('[role=option]');
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute('aria-selected', i === index ? 'true' : 'false');
    }
    if (options[index]) {
      input.setAttribute('aria-activedescendant', options[index].id);
      options[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function render(found, q) {
    items = found;
    list.textContent = '';
    found.forEach(function (item, i) {
      var li = el('li', { id: 'palette-option-' + i, role: 'option', 'class': 'palette-option palette-' + item.kind,
        'aria-selected': 'false', 'data-index': String(i) });
      li.appendChild(el('span', { 'class': 'palette-option-label' }, item.label));
      li.appendChild(el('span', { 'class': 'palette-option-hint' }, item.hint));
      list.appendChild(li);
    });
    input.setAttribute('aria-expanded', found.length ? 'true' : 'false');
    status.textContent = found.length
      ? found.length + (found.length === 1 ? ' result' : ' results') + '. Arrows to move, Enter to choose, Esc to close.'
      : 'Nothing matches “' + q + '”.';
    select(found.length ? 0 : -1);
  }

  function search() {
    var q = input.value;
    if (pending) pending.abort();
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    fetch('/api/palette?q=' + encodeURIComponent(q), {
      headers: { Accept: 'application/json' }, credentials: 'same-origin',
      signal: controller ? controller.signal : undefined
    })
      .then(function (r) {
        if (!r.ok) throw new Error('status ' + r.status);
        return r.json();
      })
      .then(function (body) {
        if (input.value === q) render(body.items || [], q);
      })
      .catch(function (err) {
        if (err && err.name === 'AbortError') return;
        items = [];
        list.textContent = '';
        status.textContent = '';
        status.appendChild(document.createTextNode('Could not load the results. '));
        status.appendChild(el('a', { href: '/palette?q=' + encodeURIComponent(q) }, 'Open the palette page'));
      });
  }

  function choose(item) {
    if (!item) return;
    palette.close();
    if (item.method === 'POST') {
      var timer = /^\/actions\/(timer\/|continue)/.test(item.url);
      postForm(item.url, item.fields, timer);
    } else {
      window.location.assign(item.url);
    }
  }

  // ------------------------------------------------------------------ keys

  var sequence = null;
  var sequenceAt = 0;

  function openDialog() {
    return (help && help.open) || (palette && palette.open);
  }

  document.addEventListener('keydown', function (evt) {
    if (evt.defaultPrevented || evt.isComposing) return;
    var key = evt.key;
    // Ctrl+K / Cmd+K: the palette, from anywhere (it types nothing).
    if ((evt.ctrlKey || evt.metaKey) && !evt.altKey && !evt.shiftKey && (key === 'k' || key === 'K')) {
      evt.preventDefault();
      openPalette();
      return;
    }
    if (key === 'Escape') {
      // A native modal dialog closes itself on Esc; in a field, Esc leaves the field.
      if (!openDialog() && isTyping(evt.target)) evt.target.blur();
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (isTyping(evt.target) || openDialog() || !config.enabled) return;

    var now = Date.now();
    if (sequence && now - sequenceAt < SEQUENCE_MS) {
      var combo = sequence + ' ' + key;
      sequence = null;
      for (var i = 0; i < config.shortcuts.length; i++) {
        if (config.shortcuts[i].character && config.shortcuts[i].keys === combo) {
          evt.preventDefault();
          run(config.shortcuts[i]);
          return;
        }
      }
      return;
    }
    sequence = null;
    if (key === 'g') {
      sequence = 'g';
      sequenceAt = now;
      return;
    }
    for (var j = 0; j < config.shortcuts.length; j++) {
      var s = config.shortcuts[j];
      if (s.character && s.keys && s.keys.length === 1 && s.keys === key) {
        evt.preventDefault();
        run(s);
        return;
      }
    }
  });

  // ------------------------------------------------------------------ theme

  // With the `auto` theme the CSS follows the system's light/dark switch at once; charts
  // drawn before it get the new text and grid colours here, and every dataset colour that
  // came from a token (its `colorTokens`; project colours are the user's own and stay).
  function recolourCharts() {
    if (!window.Chart || !window.Chart.instances) return;
    var style = getComputedStyle(document.documentElement);
    var text = style.getPropertyValue('--chart-text').trim();
    var grid = style.getPropertyValue('--chart-grid').trim();
    Object.keys(window.Chart.instances).forEach(function (key) {
      var chart = window.Chart.instances[key];
      var scales = (chart.options && chart.options.scales) || {};
      Object.keys(scales).forEach(function (name) {
        var scale = scales[name];
        if (scale.ticks && text) scale.ticks.color = text;
        if (scale.grid && scale.grid.display !== false && grid) scale.grid.color = grid;
      });
      ((chart.data && chart.data.datasets) || []).forEach(function (ds) {
        var tokens = ds.colorTokens || {};
        Object.keys(tokens).forEach(function (prop) {
          var value = style.getPropertyValue(tokens[prop]).trim();
          if (value) ds[prop] = value;
        });
      });
      var legend = chart.options.plugins && chart.options.plugins.legend;
      if (legend && legend.labels && text) legend.labels.color = text;
      chart.update('none');
    });
  }
  if (window.matchMedia) {
    var scheme = window.matchMedia('(prefers-color-scheme: dark)');
    var onScheme = function () {
      if (document.documentElement.getAttribute('data-theme') === 'auto') recolourCharts();
    };
    if (scheme.addEventListener) scheme.addEventListener('change', onScheme);
  }

  M.shortcuts = { config: config, byId: byId, openHelp: openHelp, openPalette: openPalette, isTyping: isTyping,
    recolourCharts: recolourCharts };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', focusOnLoad, { once: true });
  } else {
    focusOnLoad();
  }
})();
