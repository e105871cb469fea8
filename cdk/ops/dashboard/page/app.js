// The dashboard page: polls the server's JSON API and redraws. It is loaded before uPlot (see the
// locale below) and starts once the document, uPlot included, has loaded.
/* global uPlot */

const REFRESH_MS = 2000;
/** In follow mode the browser shows the newest minutes that hold objects. */
const FOLLOWED_MINUTES = 3;
/** Objects drawn per minute; a busy minute shows its newest ones. */
const OBJECTS_PER_MINUTE = 200;
const TILE_MINUTES = 10;

/** The minute picked in the strip, or null to follow the newest ones. */
let pickedMinute = null;

const $ = (selector) => document.querySelector(selector);

// Locale ------------------------------------------------------------------------------------------

/**
 * A language tag Intl accepts, for every Intl and toLocale* call: the browser's own, else it without a
 * `@modifier` or `.charset`, else en-US. Headless Chromium under a POSIX locale (LANG=C.UTF-8) reports
 * `en-US@posix`, which Intl rejects with a RangeError: formatting must never take the page down.
 */
function safeLocale(tag = navigator.language) {
  for (const candidate of [tag, String(tag).split(/[@.]/)[0]]) {
    try {
      const [canonical] = Intl.getCanonicalLocales(candidate);
      if (canonical) return canonical;
    } catch {
      // Not a tag Intl accepts: try the next.
    }
  }
  return 'en-US';
}

// uPlot makes its number formatter from navigator.language when it loads (`new Intl.NumberFormat`),
// and loads after this file: it gets a tag Intl accepts.
const locale = safeLocale();
if (locale !== navigator.language) {
  Object.defineProperty(navigator, 'language', { value: locale, configurable: true });
}

/** An element with attributes (`class`, `data-*`, `on*` handlers) and children (strings are text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

async function getJson(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok)
    throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : response.statusText);
  return body;
}

const clock = (iso) => (iso ? iso.slice(11, 23) : '');
const hhmm = (minute) => minute.slice(11, 16);
const shortId = (id) => id.slice(0, 8);
/** `1 object`, `2 objects`. */
const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const sum = (values) => values.reduce((total, value) => total + (value ?? 0), 0);

// Charts ------------------------------------------------------------------------------------------

/** `13:52` on whole minutes, `13:52:30` between them: UTC like the object keys. */
const utcTick = (seconds) => new Date(seconds * 1000).toISOString().slice(11, seconds % 60 ? 19 : 16);

/** A per-minute line chart; times in UTC like the object keys. `series` are [label, colour, style]. */
function chart(target, series) {
  const plot = new uPlot(
    {
      width: target.clientWidth,
      height: 200,
      legend: { live: false },
      series: [
        {},
        ...series.map(([label, stroke, style]) => ({
          label,
          stroke,
          width: 2,
          points: { show: false },
          paths: style?.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
          dash: style?.dash,
          fill: style?.fill,
        })),
      ],
      axes: [{ values: (_plot, ticks) => ticks.map(utcTick) }, { size: 40 }],
      scales: {
        // At least two minutes wide, so that a first lone sample still has an axis.
        x: { time: true, range: (_plot, min, max) => [Math.min(min, max - 120), max] },
        y: { range: (_plot, _min, max) => [0, Math.max(4, max)] },
      },
    },
    [[], ...series.map(() => [])],
    target,
  );
  new ResizeObserver(() => plot.setSize({ width: target.clientWidth, height: 200 })).observe(target);
  return plot;
}

/** The three charts, made at start (uPlot loads after this file). */
let charts;
const makeCharts = () => ({
  items: chart($('#chart-items'), [
    ['accepted', '#6b7785', { step: true, dash: [6, 4] }],
    ['stored', '#15803d', { step: true, fill: 'rgba(21, 128, 61, 0.12)' }],
    ['failure records', '#c62828', { step: true }],
  ]),
  batch: chart($('#chart-batch'), [
    ['invocations', '#7c3aed', { step: true, fill: 'rgba(124, 58, 237, 0.1)' }],
    ['errors', '#c62828', { step: true }],
    ['exclusion splits', '#ea7a0c', { step: true }],
    ['records failed', '#db2777', { step: true, dash: [6, 4] }],
  ]),
  queue: chart($('#chart-queue'), [
    ['visible', '#2563eb'],
    ['in flight', '#0891b2'],
    ['dead-letter', '#c62828'],
  ]),
});

/** Charts start a few minutes before the first activity (at least MIN_CHART_MINUTES back), not at the window's start. */
const MIN_CHART_MINUTES = 15;
const LEAD_MINUTES = 3;

function drawCharts({ minutes, queueSamples }) {
  const active = minutes.findIndex((m) => m.stored || m.accepted || m.invocations || m.failureRecords);
  const start = Math.max(
    0,
    Math.min(active < 0 ? minutes.length : active - LEAD_MINUTES, minutes.length - MIN_CHART_MINUTES),
  );
  const shown = minutes.slice(start);
  // A step is drawn from its minute to the next one: a closing point gives the current minute its width.
  const x = [...shown.map((m) => Date.parse(m.minute) / 1000), Date.parse(shown.at(-1).minute) / 1000 + 60];
  const column = (name) => {
    const values = shown.map((m) => (name in m ? m[name] : null));
    return [...values, values.at(-1)];
  };
  charts.items.setData([x, column('accepted'), column('stored'), column('failureRecords')]);
  charts.batch.setData([
    x,
    column('invocations'),
    column('errors'),
    column('exclusionSplits'),
    column('recordsFailed'),
  ]);
  charts.queue.setData([
    queueSamples.map((s) => s.at / 1000),
    queueSamples.map((s) => s.visible),
    queueSamples.map((s) => s.inFlight),
    queueSamples.map((s) => s.deadLetter),
  ]);
}

// Analyses ----------------------------------------------------------------------------------------

const COUNT_COLOUR = '#2563eb';
const MEAN_COLOUR = '#ea7a0c';
const PROVISIONAL_SHADE = 'rgba(234, 179, 8, 0.2)';
const ANALYSIS_CHART_HEIGHT = 220;

/** The analyses' panels by name: elements, chart, and the start of their first provisional window. */
const panels = new Map();

/** A mean for a person, in the page's locale (one Intl accepts): at most 3 decimals. */
const meanFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
const formatMean = (value) => (value === undefined ? '–' : meanFormat.format(value));

/** Shades the chart from the first provisional window on (drawn under the series). */
function shadeProvisional(plot, from) {
  if (from === undefined) return;
  const { left, top, width, height } = plot.bbox;
  const start = Math.max(left, plot.valToPos(from, 'x', true));
  if (start >= left + width) return;
  plot.ctx.save();
  plot.ctx.fillStyle = PROVISIONAL_SHADE;
  plot.ctx.fillRect(start, top, left + width - start, height);
  plot.ctx.restore();
}

/** Count (left axis) and mean (right axis), each as a solid final line and a dashed provisional one with hollow points. */
function analysisChart(target, panel) {
  const line = (label, stroke, scale, provisional) => ({
    label,
    stroke,
    scale,
    width: 2,
    dash: provisional ? [5, 4] : undefined,
    points: provisional ? { show: true, size: 7, width: 1.5, fill: '#fff' } : { show: false },
  });
  const plot = new uPlot(
    {
      width: target.clientWidth,
      height: ANALYSIS_CHART_HEIGHT,
      legend: { live: false },
      series: [
        {},
        line('count', COUNT_COLOUR, 'count', false),
        line('count, provisional', COUNT_COLOUR, 'count', true),
        line('mean', MEAN_COLOUR, 'mean', false),
        line('mean, provisional', MEAN_COLOUR, 'mean', true),
      ],
      axes: [
        { values: (_plot, ticks) => ticks.map(utcTick) },
        { scale: 'count', size: 40, label: 'count', labelSize: 16 },
        { scale: 'mean', side: 1, size: 50, label: 'mean', labelSize: 16, grid: { show: false } },
      ],
      scales: {
        x: { time: true },
        count: { range: (_plot, _min, max) => [0, Math.max(4, max ?? 0)] },
        // No mean while every window is empty: a unit range rather than none.
        mean: { range: (_plot, min, max) => (min === null ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true)) },
      },
      hooks: { drawClear: [(plot) => shadeProvisional(plot, panel.provisionalFrom)] },
    },
    [[], [], [], [], []],
    target,
  );
  panel.resize = new ResizeObserver(() =>
    plot.setSize({ width: target.clientWidth, height: ANALYSIS_CHART_HEIGHT }),
  );
  panel.resize.observe(target);
  return plot;
}

/** A panel for one analysis: its name and W/A/L, a summary, the chart, a problem line and its windows as a table. */
function analysisPanel(analysis) {
  const panel = { name: analysis.name, provisionalFrom: undefined };
  panel.summary = el('span', { class: 'muted analysis-summary' }, 'reading windows…');
  panel.chart = el('div', { class: 'analysis-chart' });
  panel.problem = el('p', { class: 'analysis-problem', hidden: true });
  panel.rows = el('tbody');
  panel.root = el(
    'article',
    { class: 'analysis', 'data-analysis': analysis.name },
    el('h3', {}, `${analysis.name} `, el('span', { class: 'muted analysis-shape' }, analysis.shape)),
    panel.summary,
    panel.chart,
    panel.problem,
    el(
      'details',
      {},
      el('summary', {}, 'windows, newest first'),
      el(
        'div',
        { class: 'window-table' },
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el('tr', {}, ...['window (UTC)', 'count', 'mean', 'late', ''].map((h) => el('th', {}, h))),
          ),
          panel.rows,
        ),
      ),
    ),
  );
  $('#analysis-panels').append(panel.root);
  panel.plot = analysisChart(panel.chart, panel);
  return panel;
}

function drawAnalysis(panel, series) {
  const { windows, columns } = series;
  panel.provisionalFrom = series.provisionalFrom ?? undefined;
  panel.root.dataset.drawn = series.name;
  panel.plot.setData([
    columns.x,
    columns.count,
    columns.countProvisional,
    columns.mean,
    columns.meanProvisional,
  ]);
  const withItems = windows.filter((w) => w.count > 0).length;
  const late = sum(windows.map((w) => w.late));
  panel.summary.textContent =
    `${count(windows.length, 'window')} · ${series.final} final · ${series.provisional} provisional` +
    ` · ${withItems} with items${late ? ` · ${late} late` : ''}`;
  Object.assign(panel.chart.dataset, {
    windows: String(windows.length),
    final: String(series.final),
    provisional: String(series.provisional),
    provisionalFrom: series.provisionalFrom ? new Date(series.provisionalFrom * 1000).toISOString() : '',
  });
  panel.rows.replaceChildren(
    ...[...windows].reverse().map((w) =>
      el(
        'tr',
        {
          class: w.final ? 'final' : 'provisional',
          'data-start': w.start,
          'data-count': w.count,
          'data-mean': w.mean,
          'data-late': w.late,
          'data-final': String(w.final),
        },
        el('td', {}, `${clock(w.start).slice(0, 8)}–${clock(w.end).slice(0, 8)}`),
        el('td', {}, String(w.count)),
        el('td', {}, formatMean(w.mean)),
        el('td', {}, w.late ? String(w.late) : ''),
        el('td', {}, w.final ? 'final' : 'provisional'),
      ),
    ),
  );
}

/**
 * Keeps one panel per registered analysis and draws each one's windows. A panel that cannot be drawn
 * says so in itself and returns its problem for the page's problems line: it never breaks the page.
 * `analyses` is undefined while the server could not list them: the panels shown stay.
 */
async function drawAnalyses(analyses) {
  if (analyses) {
    const names = new Set(analyses.map((a) => a.name));
    for (const [name, panel] of panels) {
      if (names.has(name)) continue;
      panel.resize.disconnect();
      panel.plot.destroy();
      panel.root.remove();
      panels.delete(name);
    }
    for (const analysis of analyses)
      if (!panels.has(analysis.name)) panels.set(analysis.name, analysisPanel(analysis));
  }
  $('#analyses-empty').hidden = panels.size > 0;
  $('#analyses-empty').textContent = analyses
    ? 'No analyses registered (the analyses setting is empty).'
    : 'The registered analyses could not be read yet (see the problems above).';
  const problems = await Promise.all(
    [...panels.values()].map(async (panel) => {
      try {
        drawAnalysis(panel, await getJson(`/api/analyses/${encodeURIComponent(panel.name)}/windows`));
        panel.root.dataset.state = 'ok';
        panel.problem.hidden = true;
        return undefined;
      } catch (error) {
        panel.root.dataset.state = 'problem';
        panel.problem.hidden = false;
        panel.problem.textContent = `Windows not read: ${error.message}`;
        if (panel.root.dataset.drawn === undefined) panel.summary.textContent = 'no windows read yet';
        return `analysis ${panel.name}: ${error.message}`;
      }
    }),
  );
  return problems.filter(Boolean);
}

// Tiles -------------------------------------------------------------------------------------------

function tile(label, value, sub, tone) {
  return el(
    'div',
    { class: `tile ${tone ?? ''}`, 'data-tile': label },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value === undefined ? '–' : String(value)),
    el('div', { class: 'sub' }, sub),
  );
}

function drawTiles(overview) {
  const recent = overview.minutes.slice(-TILE_MINUTES);
  const total = (name) => sum(recent.map((m) => m[name]));
  const logs = recent.length > 0 && 'invocations' in recent[0];
  const deadLetter = overview.deadLetter && overview.deadLetter.visible + overview.deadLetter.inFlight;
  const breaking = overview.objectsBreakingExclusion;
  $('#tiles').replaceChildren(
    tile('In the queue', overview.queue?.visible, `${overview.queue?.inFlight ?? '–'} in flight`),
    tile('Dead-letter queue', deadLetter, 'messages for redrive', deadLetter > 0 ? 'bad' : undefined),
    tile('Accepted', logs ? total('accepted') : undefined, `items, last ${TILE_MINUTES} min`),
    tile('Stored', total('stored'), `items in ${count(total('objects'), 'object')}`),
    tile(
      'Batch invocations',
      logs ? total('invocations') : undefined,
      logs
        ? `${count(total('errors'), 'error')} · ${count(total('exclusionSplits'), 'exclusion split')}`
        : 'logs unavailable',
      logs && total('errors') > 0 ? 'bad' : undefined,
    ),
    tile(
      'Ledger errors',
      logs ? total('ledgerErrors') : undefined,
      logs ? `items went on; statuses may lag, last ${TILE_MINUTES} min` : 'logs unavailable',
      logs && total('ledgerErrors') > 0 ? 'bad' : undefined,
    ),
    tile(
      'Exclusion rule',
      breaking === 0 ? 'holds' : `broken ×${breaking}`,
      `${count(overview.resultsObjects, 'object')}, last ${overview.windowMinutes} min`,
      breaking === 0 ? 'ok' : 'bad',
    ),
  );
}

// Objects -----------------------------------------------------------------------------------------

function chip(entry, highlight) {
  return el(
    'span',
    {
      class: `chip ${entry.mark ? `pair-${entry.mark}` : ''} ${highlight && entry.requestId !== highlight ? 'dim' : ''}`,
      'data-item': entry.item,
      'data-request': entry.requestId,
      title: `request ${entry.requestId}, index ${entry.index}`,
    },
    String(entry.item),
  );
}

/** One object as a box: its id and write time, then its items as chips. */
function objectBox(row, highlight) {
  const id = row.key
    .split('/')
    .pop()
    .replace(/\.json$/, '');
  return el(
    'div',
    {
      class: `object ${row.kind} ${row.breaksExclusion ? 'breaks' : ''}`,
      'data-key': row.key,
      title: row.key,
    },
    el(
      'div',
      { class: 'meta' },
      el('span', {}, row.kind === 'failed' ? `failed · ${row.reason}` : shortId(id)),
      el('span', {}, clock(row.writtenAt)),
    ),
    el(
      'div',
      { class: 'chips' },
      ...(row.items.length ? row.items.map((entry) => chip(entry, highlight)) : ['—']),
    ),
  );
}

function minuteSection(summary, rows) {
  const shown = rows.slice(-OBJECTS_PER_MINUTE);
  return el(
    'div',
    { class: 'minute', 'data-minute': summary.minute },
    el(
      'h3',
      {},
      `${hhmm(summary.minute)} UTC `,
      el(
        'span',
        { class: 'muted' },
        `${count(summary.objects, 'object')} · ${count(summary.items, 'item')}` +
          (summary.failureRecords ? ` · ${count(summary.failureRecords, 'failure record')}` : ''),
      ),
    ),
    el('div', { class: 'objects' }, ...shown.map((row) => objectBox(row))),
    rows.length > shown.length
      ? el('div', { class: 'more' }, `${rows.length - shown.length} earlier objects not shown`)
      : null,
  );
}

function drawMinuteStrip(browser) {
  const button = (minute, label, sub) =>
    el(
      'button',
      {
        class: pickedMinute === minute ? 'selected' : '',
        'data-minute': minute ?? 'latest',
        onclick: () => {
          pickedMinute = minute;
          refresh();
        },
      },
      label,
      el('small', {}, sub),
    );
  $('#minutes').replaceChildren(
    button(null, 'Latest', `newest ${FOLLOWED_MINUTES} minutes`),
    ...browser.map((m) => button(m.minute, hhmm(m.minute), `${m.objects} obj · ${count(m.items, 'item')}`)),
  );
}

async function drawMinutes(browser) {
  const shown = pickedMinute
    ? browser.filter((m) => m.minute === pickedMinute)
    : browser.slice(0, FOLLOWED_MINUTES);
  const rows = await Promise.all(
    shown.map((m) => getJson(`/api/objects?minute=${encodeURIComponent(m.minute)}`)),
  );
  $('#minute-sections').replaceChildren(
    ...(shown.length
      ? shown.map((m, i) => minuteSection(m, rows[i]))
      : [el('p', { class: 'empty' }, 'No objects in the window yet: POST some items.')]),
  );
}

// Failures and lookup -----------------------------------------------------------------------------

function drawFailures(failures) {
  if (failures.length === 0) {
    $('#failure-list').replaceChildren(el('p', { class: 'empty' }, 'No failure records in the window.'));
    return;
  }
  const row = (failure) => {
    const entry = failure.items[0];
    return el(
      'tr',
      { 'data-key': failure.key },
      el('td', {}, clock(failure.writtenAt).slice(0, 8)),
      el('td', {}, entry ? chip(entry) : '—'),
      el('td', {}, failure.reason),
      el('td', {}, String(failure.receiveCount ?? '')),
      el(
        'td',
        {},
        entry ? el('a', { onclick: () => lookup(entry.requestId) }, shortId(entry.requestId)) : '',
      ),
    );
  };
  $('#failure-list').replaceChildren(
    el(
      'table',
      {},
      el('tr', {}, ...['time', 'item', 'reason', 'receives', 'request'].map((name) => el('th', {}, name))),
      ...failures.map(row),
    ),
  );
}

async function lookup(requestId) {
  $('#lookup-id').value = requestId;
  const target = $('#lookup-result');
  try {
    const report = await getJson(`/api/requests/${encodeURIComponent(requestId)}`);
    const { status } = report;
    target.replaceChildren(
      el(
        'p',
        {
          'data-request': report.requestId,
          'data-status': status.status,
          'data-stored': status.stored,
          'data-failed': status.failed,
        },
        `${status.status}: ${status.stored} of ${count(status.accepted, 'item')} stored in ${count(status.objects.length, 'object')}, ` +
          `${status.pending} pending, ${status.failed} failed${status.stale ? ' (stale)' : ''} `,
        el(
          'span',
          { class: 'muted' },
          `(request ledger; accepted ${clock(status.acceptedAt).slice(0, 8)} UTC)`,
        ),
      ),
      el('div', { class: 'objects' }, ...report.objects.map((row) => objectBox(row, report.requestId))),
    );
  } catch (error) {
    target.replaceChildren(el('p', { class: 'rule-bad' }, String(error.message)));
  }
}

$('#lookup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const requestId = $('#lookup-id').value.trim();
  if (requestId) lookup(requestId);
});

// Refresh -----------------------------------------------------------------------------------------

async function refresh() {
  try {
    const overview = await getJson('/api/overview');
    $('#stack').textContent =
      `${overview.stackName} · ${overview.endpoint ?? overview.region} · bucket ${overview.bucketName}`;
    // Without the deployment's own pairs nothing is judged: the rule shows as unknown, never as a guess.
    const [a, b] = overview.exclusionPairs?.[0] ?? ['?', '?'];
    $('#legend-a').textContent = String(a);
    $('#legend-b').textContent = String(b);
    const breaking = overview.objectsBreakingExclusion;
    $('#rule').className = breaking === 0 ? 'rule-ok' : breaking === undefined ? 'muted' : 'rule-bad';
    $('#rule').textContent =
      breaking === undefined
        ? 'rule unknown (batch function not read)'
        : breaking === 0
          ? '✓ holds'
          : `✗ broken in ${breaking} objects`;
    drawTiles(overview);
    drawCharts(overview);
    drawMinuteStrip(overview.browser);
    drawFailures(overview.recentFailures);
    const [analysisProblems] = await Promise.all([
      drawAnalyses(overview.analyses),
      drawMinutes(overview.browser),
    ]);
    const problems = [...overview.problems, ...analysisProblems];
    $('#problems').hidden = problems.length === 0;
    $('#problems').textContent = problems.join(' · ');
    $('#updated').textContent = `updated ${clock(overview.generatedAt).slice(0, 8)} UTC`;
    document.body.dataset.refreshedAt = overview.generatedAt;
  } catch (error) {
    $('#problems').hidden = false;
    $('#problems').textContent = `dashboard server: ${error.message}`;
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  charts = makeCharts();
  loop();
});
