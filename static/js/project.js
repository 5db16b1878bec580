/*
 * The project page's cumulative chart (docs/planning.md): actual hours to date, the
 * projection to the period's end and the budget line, drawn with Chart.js from
 *   <script type="application/json" class="chart-data" data-chart="project" data-canvas="chart-project">
 * The same numbers stand in the table next to the canvas, which stays the accessible
 * version (the canvas is aria-hidden). Chart.js is loaded once per window from this
 * tag's data-chartjs-src (the same way as productivity.js), so a boosted navigation
 * that re-runs this file neither reloads Chart.js nor stacks charts on one canvas.
 */
(function () {
  'use strict';

  var M = (window.Momentum = window.Momentum || {});
  if (M.project) {
    M.project.scan();
    return;
  }
  var me = document.currentScript;
  var chartSrc = me && me.getAttribute('data-chartjs-src');

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || fallback;
  }

  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  /** "2026-09-10" -> "10 Sep" (the table next to the chart keeps the full dates). */
  function shortDay(label) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(label));
    return m ? parseInt(m[3], 10) + ' ' + MONTHS[parseInt(m[2], 10) - 1] : label;
  }

  function config(d) {
    var text = cssVar('--chart-text', '#5b6275');
    var grid = cssVar('--chart-grid', '#e5e7ef');
    var datasets = [
      { label: 'Actual', data: d.actual, borderColor: cssVar('--accent', '#4f46e5'), backgroundColor: 'transparent',
        colorTokens: { borderColor: '--accent' },
        pointRadius: 0, borderWidth: 2, spanGaps: false },
      { label: 'Projected', data: d.projection, borderColor: cssVar('--accent-light', '#a5b4fc'),
        colorTokens: { borderColor: '--accent-light' }, backgroundColor: 'transparent', borderDash: [6, 4], pointRadius: 0, borderWidth: 2, spanGaps: false },
    ];
    if (d.budget) {
      datasets.push({ label: 'Budget', data: d.budget, borderColor: cssVar('--danger', '#dc2626'),
        colorTokens: { borderColor: '--danger' }, backgroundColor: 'transparent', borderWidth: 1.5, pointRadius: 0 });
    }
    return {
      type: 'line',
      data: { labels: d.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { display: true, labels: { color: text } } },
        scales: {
          // Short day labels ("10 Sep") and fewer of them on a phone: the ISO dates ran into
          // each other at 390 px (issue 9).
          x: { grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12,
            maxTicksLimit: window.innerWidth < 600 ? 4 : 8,
            callback: function (value) { return shortDay(this.getLabelForValue(value)); } } },
          y: { beginAtZero: true, grid: { color: grid }, ticks: { color: text, callback: function (v) { return v + ' h'; } } },
        },
      },
    };
  }

  function draw() {
    var tag = document.querySelector('script.chart-data[data-chart="project"]');
    if (!tag || !window.Chart) return;
    var canvas = document.getElementById(tag.getAttribute('data-canvas'));
    if (!canvas) return;
    var data = JSON.parse(tag.textContent);
    var chart = window.Chart.getChart(canvas);
    if (chart) {
      var fresh = config(data);
      chart.data.labels = fresh.data.labels;
      chart.data.datasets = fresh.data.datasets;
      chart.update('none');
    } else {
      chart = new window.Chart(canvas, config(data));
    }
    canvas.setAttribute('data-drawn', 'true');
    var figure = canvas.closest('figure');
    if (figure) figure.classList.add('chart-ready');
  }

  function load(done) {
    if (window.Chart) return done();
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

  function scan() {
    if (document.querySelector('script.chart-data[data-chart="project"]')) load(draw);
  }

  M.project = { scan: scan };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
  else scan();
})();
