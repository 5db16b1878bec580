/*
 * Home: a typeahead over the timer's project and task lists, and live hours.
 *
 * Live hours: while a timer runs, the today and week figures carry
 * data-hours (the server's live value) and data-live-from (when it was computed); their
 * text grows with the clock between the cards' polls (every 60 s while a timer runs).
 *
 * The timer form (templates/partials/tracking/timer.html.j2) works without JavaScript
 * as two <select>s (project, task). This file adds above them one search box with a
 * <datalist> of every project and every "project › task"; picking (or typing) one sets
 * both selects. Choosing a project in its select narrows the task select to that
 * project's tasks. Runs again after htmx swaps the timer card in (document-level
 * listeners, attached once).
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.home) {
    M.home.scan();
    return;
  }

  var SEP = ' › ';

  function options(select) {
    return select ? Array.prototype.slice.call(select.querySelectorAll('option')) : [];
  }

  function enhance(form) {
    if (form.hasAttribute('data-picker-ready')) return;
    form.setAttribute('data-picker-ready', '');
    var project = form.querySelector('[data-picker="project"]');
    var task = form.querySelector('[data-picker="task"]');
    if (!project) return;
    var names = {};
    var list = document.createElement('datalist');
    list.id = 'timer-targets';
    options(project).forEach(function (o) {
      if (!o.value) return;
      names[o.value] = o.textContent;
      var opt = document.createElement('option');
      opt.value = o.textContent;
      list.appendChild(opt);
    });
    options(task).forEach(function (o) {
      if (!o.value) return;
      var opt = document.createElement('option');
      opt.value = (names[o.getAttribute('data-project')] || '') + SEP + o.textContent;
      list.appendChild(opt);
    });
    if (!list.children.length) return;
    var field = document.createElement('div');
    field.className = 'field field-wide timer-find';
    field.innerHTML = '<label for="f-timer-find">Find a project or task</label>' +
      '<input id="f-timer-find" type="search" autocomplete="off" placeholder="Type to search">';
    field.appendChild(list);
    var input = field.querySelector('input');
    input.setAttribute('list', list.id);
    var fields = form.querySelector('.timer-fields');
    fields.insertBefore(field, fields.firstChild);

    function pick() {
      var value = input.value.trim().toLowerCase();
      if (!value) return;
      var parts = value.split(SEP.trim()).map(function (s) { return s.trim(); });
      var p = options(project).filter(function (o) { return o.value && o.textContent.toLowerCase() === parts[0]; })[0];
      if (!p) return;
      project.value = p.value;
      narrow();
      if (task) {
        var t = parts.length > 1 ? options(task).filter(function (o) {
          return o.getAttribute('data-project') === p.value && o.textContent.toLowerCase() === parts[1];
        })[0] : null;
        task.value = t ? t.value : '';
      }
    }

    function narrow() {
      if (!task) return;
      options(task).forEach(function (o) {
        var own = !o.value || !project.value || o.getAttribute('data-project') === project.value;
        o.hidden = !own;
        o.disabled = !own;
      });
      var chosen = task.options[task.selectedIndex];
      if (chosen && chosen.disabled) task.value = '';
    }

    input.addEventListener('change', pick);
    input.addEventListener('input', pick);
    project.addEventListener('change', narrow);
    if (task) {
      task.addEventListener('change', function () {
        var t = task.options[task.selectedIndex];
        if (t && t.value && !project.value) project.value = t.getAttribute('data-project');
      });
    }
  }

  function fmtHours(h) {
    return (Math.round(h * 100) / 100).toFixed(2).replace(/\.?0+$/, '') + ' h';
  }

  function tickHours() {
    var els = document.querySelectorAll('[data-live-from][data-hours]');
    for (var i = 0; i < els.length; i++) {
      var from = Date.parse(els[i].getAttribute('data-live-from'));
      var base = parseFloat(els[i].getAttribute('data-hours'));
      if (isNaN(from) || isNaN(base)) continue;
      var text = fmtHours(base + Math.max(0, Date.now() - from) / 3600000);
      if (els[i].textContent !== text) els[i].textContent = text;
    }
  }

  function scan() {
    var forms = document.querySelectorAll('form[data-timer-form]');
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  document.addEventListener('htmx:afterSettle', scan);
  window.setInterval(tickHours, 15000);
  M.home = { scan: scan };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', scan, { once: true });
  } else {
    scan();
  }
})();
