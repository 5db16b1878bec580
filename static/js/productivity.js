/*
 * My productivity: draws the Chart.js charts and keeps them current across htmx swaps.
 *
 * Each chart fragment carries its data in
 *   <script type="application/json" class="chart-data" data-chart="daily|projects"
 *           data-canvas="chart-daily">{...}</script>
 * inside a <figure class="chart"> with the canvas and an accessible data table.
 *
 * One Chart per canvas id, kept in a Map. The canvas sits in a wrapper with
 * hx-preserve, so an outerHTML swap of the fragment keeps the very same canvas
 * element (and its Chart); the fresh data is copied into the existing chart and
 * drawn with update('none'): no new canvas, no new listeners, no flicker. A chart
 * whose canvas left the document (the fragment now shows an empty state, or history
 * was restored) is destroyed, and a new canvas gets a new chart.
 *
 * The data table is hidden (visually only; screen readers keep it) by the class
 * "chart-ready" on the figure, which is set only once the chart is drawn.
 *
 * Chart.js is loaded by this file, once per window, from the URL in the
 * data-chartjs-src attribute of its own <script> tag. The page cannot simply carry
 * a <script src=chart.js> tag: htmx re-runs scripts in swapped content, so every
 * boosted navigation would re-evaluate Chart.js and replace window.Chart with a
 * fresh module that no longer knows the charts already drawn (Chart.getChart).
 *
 * Document-level listeners are registered once, however often this file runs.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.productivity) {
    // Run again (a boosted navigation re-executed the script): just re-scan.
    M.productivity.scan();
    return;
  }

  var me = document.currentScript;
  var chartSrc = me && me.getAttribute('data-chartjs-src');

  var charts = new Map(); // canvas id -> Chart
  var latest = new Map(); // canvas id -> last data object (for tooltips)
  var seen = new WeakSet(); // chart-data <script> elements already applied

  var reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || fallback;
  }

  function fmtHours(v) {
    return (Math.round(v * 100) / 100).toString();
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 450 },
      // The table next to the chart is the accessible version; keep the canvas quiet.
      plugins: { legend: { display: false } },
    };
  }

  /* ---------------------------------------------------------------- chart kinds */

  var kinds = {
    daily: {
      config: function (id, d) {
        var grid = cssVar('--chart-grid', '#e5e7ef');
        var text = cssVar('--chart-text', '#5b6275');
        var opts = baseOptions();
        opts.interaction = { mode: 'index', intersect: false };
        opts.scales = {
          x: { grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 6 } },
          y: {
            beginAtZero: true,
            grid: { color: grid },
            border: { display: false },
            ticks: { color: text, precision: 0, callback: function (v) { return v + ' h'; } },
          },
        };
        opts.plugins.tooltip = {
          callbacks: {
            title: function (items) {
              var data = latest.get(id);
              return items.length && data ? data.dates[items[0].dataIndex] : '';
            },
            label: function (item) {
              return item.dataset.label + ': ' + fmtHours(item.parsed.y) + ' h';
            },
            footer: function (items) {
              var data = latest.get(id);
              if (!items.length || !data) return '';
              var i = items[0].dataIndex;
              var n = data.entry_count[i];
              return 'Billable: ' + fmtHours(data.billable_hours[i]) + ' h · ' + n + (n === 1 ? ' entry' : ' entries');
            },
          },
        };
        return {
          type: 'bar',
          data: {
            labels: d.labels.slice(),
            datasets: [
              {
                type: 'bar',
                label: 'Tracked',
                data: d.hours.slice(),
                backgroundColor: cssVar('--chart-bar', '#4f46e5'),
                hoverBackgroundColor: cssVar('--chart-bar-hover', '#4338ca'),
                // Which colour token each colour came from: a system theme switch re-reads
                // them (static/js/shortcuts.js, recolourCharts).
                colorTokens: { backgroundColor: '--chart-bar', hoverBackgroundColor: '--chart-bar-hover' },
                borderRadius: 4,
                maxBarThickness: 36,
                order: 2,
              },
              {
                type: 'line',
                label: 'Goal',
                data: d.goal_hours.slice(),
                borderColor: cssVar('--chart-goal', '#c2410c'),
                colorTokens: { borderColor: '--chart-goal' },
                borderWidth: 2,
                borderDash: [6, 4],
                pointRadius: 0,
                pointHoverRadius: 0,
                stepped: 'middle',
                fill: false,
                order: 1,
              },
            ],
          },
          options: opts,
        };
      },
      apply: function (chart, d) {
        chart.data.labels = d.labels.slice();
        chart.data.datasets[0].data = d.hours.slice();
        chart.data.datasets[1].data = d.goal_hours.slice();
      },
    },

    projects: {
      config: function (id, d) {
        var opts = baseOptions();
        opts.cutout = '62%';
        // An HTML tooltip (externalTip): the canvas is only 12rem wide, and a tooltip drawn
        // on it was clipped at its edges for any longer project name (issue 9).
        opts.plugins.tooltip = {
          enabled: false,
          external: externalTip,
          callbacks: {
            title: function (items) {
              return items.length ? items[0].label : '';
            },
            label: function (item) {
              var data = latest.get(id);
              var pct = data ? data.percent[item.dataIndex] : null;
              return fmtHours(item.parsed) + ' h' + (pct === null ? '' : ' · ' + pct + ' %');
            },
          },
        };
        return {
          type: 'doughnut',
          data: {
            labels: d.labels.slice(),
            datasets: [
              {
                label: 'Hours',
                data: d.hours.slice(),
                backgroundColor: d.colors.slice(),
                borderColor: cssVar('--surface', '#ffffff'),
                colorTokens: { borderColor: '--surface' },
                borderWidth: 2,
                hoverOffset: 4,
              },
            ],
          },
          options: opts,
        };
      },
      apply: function (chart, d) {
        chart.data.labels = d.labels.slice();
        var ds = chart.data.datasets[0];
        ds.data = d.hours.slice();
        ds.backgroundColor = d.colors.slice();
      },
    },
  };

  /** Chart.js external tooltip: a small element inside the chart's (preserved) wrapper,
   *  placed at the hovered segment, free to extend past the canvas. No inline markup
   *  styles: only CSSOM properties, which the CSP allows. */
  function externalTip(context) {
    var chart = context.chart;
    var tip = context.tooltip;
    var box = chart.canvas.parentNode;
    if (!box) return;
    var el = box.querySelector('.chart-tip');
    if (!el) {
      el = document.createElement('div');
      el.className = 'chart-tip';
      el.setAttribute('aria-hidden', 'true');
      box.appendChild(el);
    }
    if (!tip || tip.opacity === 0) {
      el.hidden = true;
      return;
    }
    var lines = (tip.title || []).slice();
    (tip.body || []).forEach(function (b) { lines = lines.concat(b.lines); });
    el.textContent = '';
    lines.forEach(function (line, i) {
      var row = document.createElement('div');
      if (i === 0 && tip.title && tip.title.length) row.className = 'chart-tip-title';
      row.textContent = line;
      el.appendChild(row);
    });
    el.hidden = false;
    el.style.left = tip.caretX + 'px';
    el.style.top = tip.caretY + 'px';
  }

  /* ---------------------------------------------------------------- lifecycle */

  /** Destroy charts whose canvas is no longer in the document. */
  function sweep() {
    charts.forEach(function (chart, id) {
      if (!chart.canvas || !chart.canvas.isConnected) {
        chart.destroy();
        charts.delete(id);
        latest.delete(id);
      }
    });
  }

  function render(script) {
    if (seen.has(script)) return;
    var kind = kinds[script.getAttribute('data-chart')];
    var id = script.getAttribute('data-canvas');
    var canvas = id && document.getElementById(id);
    var figure = script.closest('.chart');
    if (!kind || !canvas || canvas.tagName !== 'CANVAS' || !figure) return;

    var data;
    try {
      data = JSON.parse(script.textContent);
    } catch (e) {
      seen.add(script);
      return; // keep the table visible: it is the fallback
    }
    seen.add(script);
    latest.set(id, data);

    var chart = charts.get(id);
    if (chart && chart.canvas !== canvas) {
      chart.destroy();
      charts.delete(id);
      chart = null;
    }
    // Defensive: never a second Chart on one canvas, whoever created the first.
    if (!chart) chart = window.Chart.getChart(canvas) || null;

    // Show the canvas box before drawing so Chart.js measures a real size.
    figure.classList.add('chart-ready');
    try {
      if (chart) {
        kind.apply(chart, data);
        chart.update('none');
      } else {
        chart = new window.Chart(canvas, kind.config(id, data));
      }
      charts.set(id, chart);
      // The scrollable table box is focusable for keyboard users; hidden, it must not be.
      var box = figure.querySelector('.chart-table[tabindex]');
      if (box) box.removeAttribute('tabindex');
    } catch (e) {
      figure.classList.remove('chart-ready');
      if (window.console) console.error('momentum: chart "' + id + '" failed', e);
    }
  }

  /** Load Chart.js once; `done` runs when it is there (never if it fails to load). */
  function withChartJs(done) {
    if (typeof window.Chart === 'function') return done();
    if (!chartSrc) return;
    var tag = document.getElementById('momentum-chartjs');
    if (!tag) {
      tag = document.createElement('script');
      tag.id = 'momentum-chartjs';
      tag.src = chartSrc;
      document.head.appendChild(tag);
    }
    tag.addEventListener('load', done, { once: true });
  }

  function drawAll() {
    var scripts = document.querySelectorAll('script.chart-data[data-chart]');
    for (var i = 0; i < scripts.length; i++) render(scripts[i]);
  }

  function scan() {
    sweep();
    // Without Chart.js (still loading, or failed) the tables stay visible.
    if (typeof window.Chart === 'function') drawAll();
    else if (document.querySelector('script.chart-data[data-chart]')) withChartJs(drawAll);
  }

  /** Refresh: every fragment listens for momentum:refresh on <body>. */
  function refresh() {
    if (window.htmx) window.htmx.trigger(document.body, 'momentum:refresh');
  }

  function onClick(event) {
    var el = event.target.closest && event.target.closest('[data-action="refresh"]');
    if (!el || !window.htmx) return; // without htmx the link reloads the page
    event.preventDefault();
    refresh();
  }

  M.productivity = {
    scan: scan,
    refresh: refresh,
    charts: charts, // for tests and debugging: canvas id -> Chart
  };

  // Registered once (guarded above). afterSwap runs before the browser paints the
  // swapped fragment, so the table never flashes; afterSettle catches attribute
  // settling and any swap whose afterSwap we missed; both are cheap no-ops when
  // nothing changed (each data script is applied once).
  document.addEventListener('htmx:afterSwap', scan);
  document.addEventListener('htmx:afterSettle', scan);
  document.addEventListener('htmx:historyRestore', function () {
    seen = new WeakSet();
    scan();
  });
  document.addEventListener('click', onClick);

  // Fragments poll only while the tab is visible, and once more on coming back
  // (CONTRACT section 5). Here rather than in hx-trigger filters: htmx evaluates those
  // with Function(), which the Content-Security-Policy forbids (section 6).
  document.addEventListener('htmx:confirm', function (event) {
    var el = event.target;
    if (document.visibilityState !== 'visible' && el && el.hasAttribute && el.hasAttribute('data-poll-seconds')) {
      event.preventDefault(); // skip this poll; `every` re-arms itself
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && window.htmx) window.htmx.trigger(document.body, 'momentum:visible');
  });

  if (M.app) M.app.startTicker();

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', scan, { once: true });
  } else {
    scan();
  }
})();
