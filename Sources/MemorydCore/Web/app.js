// memoryd's live page: polls /v1/status and /v1/alerts, follows /v1/events (NDJSON over fetch), and
// draws the same view as `memoryd top` with charts. No library, nothing fetched from elsewhere.
//
// On TCP, task parameters and output need the daemon's bearer token (daemon.token): the page asks for
// it once, keeps it in sessionStorage (never a cookie, so another site cannot send it), and sends it as
// an Authorization header.
'use strict';

const STATUS_EVERY_MS = 2000;      // poll of /v1/status
const ALERTS_EVERY_MS = 5000;      // poll of /v1/alerts
const BUCKET_MS = 5000;            // throughput chart: one bar per 5 s
const BUCKETS = 60;                // … for the last 5 minutes
const HISTORY = 150;               // latency and queue charts: the last 150 polls (5 minutes)
const EVENTS_SHOWN = 50;           // events listed
const BACKFILL_EVENTS = 500;       // events replayed when the page opens, so the lists start filled
const RENDER_DELAY_MS = 200;       // events arriving together are drawn once
const HOUSEKEEPING = 'housekeeping';
const TERMINAL = ['succeeded', 'failed', 'retries_exhausted', 'timed_out', 'cancelled', 'skipped'];
const FAILED = new Set(['failed', 'retries_exhausted', 'timed_out']);
const KINDS = ['queued', 'started', 'retrying', ...TERMINAL, 'alert_pending', 'alert_firing', 'alert_resolved',
  'config_reloaded', 'config_rejected'];
const STATES = ['pending', 'blocked', 'waiting', 'running', 'retry_wait', 'succeeded', 'failed', 'cancelled'];
const COLORS = ['#0969da', '#1a7f37', '#cf222e', '#9a6700', '#8250df', '#bf3989', '#57606a', '#0a7ea4'];
const TOKEN_KEY = 'memoryd-token';  // sessionStorage key of the bearer token
const RECONNECT_MS = 2000;          // wait before following the events again after the stream ended

const state = {
  status: null,
  alerts: [],
  finished: new Map(),   // bucket index → {ok, failed}
  latency: [],           // {time, jobs: {job → {p50, p90, p99}}}
  depth: [],             // {time, states: {state → count}}
  events: [],            // newest first
  lastSeq: null,
  renderTimer: null,
};

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function duration(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

function percent(ratio) { return ratio === undefined || ratio === null ? '–' : `${Math.round(ratio * 100)}%`; }
function clock(date) { return date.toTimeString().slice(0, 8); }
function replaceRows(table, rows) { table.querySelector('tbody').replaceChildren(...rows); }

/// Request headers, with the bearer token once one was given.
function headers(accept) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Accept: accept, Authorization: `Bearer ${token}` } : { Accept: accept };
}

/// Shows the token form when the daemon asks for credentials.
function needToken(response) {
  if (response.status !== 401 && response.status !== 403) return false;
  const form = document.getElementById('token-form');
  form.hidden = false;
  document.getElementById('token-reason').textContent = sessionStorage.getItem(TOKEN_KEY)
    ? 'the daemon refused this token' : 'task details on TCP need the daemon\'s token (daemon.token)';
  document.getElementById('connection').dataset.state = 'locked';
  document.getElementById('connection').textContent = 'token needed';
  return true;
}

async function getJSON(path) {
  const response = await fetch(path, { cache: 'no-store', headers: headers('application/json') });
  if (needToken(response)) throw new Error('a token is needed');
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function pollStatus() {
  try {
    const status = await getJSON('/v1/status');
    if (state.status === null) followEvents(status.lastEventSeq);
    state.status = status;
    const time = Date.parse(status.time);
    const jobs = {};
    for (const job of status.jobs) {
      const minute = job.windows[0];
      if (minute) jobs[job.job] = minute.durationQuantiles;
    }
    state.latency.push({ time, jobs });
    state.depth.push({ time, states: status.tasksByState });
    if (state.latency.length > HISTORY) state.latency.shift();
    if (state.depth.length > HISTORY) state.depth.shift();
    render();
  } catch (error) {
    document.getElementById('summary').textContent = `cannot reach the daemon: ${error.message}`;
  }
}

async function pollAlerts() {
  try {
    state.alerts = (await getJSON('/v1/alerts')).alerts;
    scheduleRender();
  } catch (error) { /* the status poll reports an unreachable daemon */ }
}

/// Follows the event stream from a little before `lastSeq`, so the list and the throughput chart start
/// with what just happened; reconnects from the last event seen when the stream ends.
async function followEvents(lastSeq) {
  const connection = document.getElementById('connection');
  let since = Math.max(0, lastSeq - BACKFILL_EVENTS);
  while (true) {
    try {
      const response = await fetch(`/v1/events?since=${since}&kind=` + KINDS.join(','),
        { cache: 'no-store', headers: headers('application/x-ndjson') });
      if (needToken(response)) return;
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      connection.dataset.state = 'live';
      connection.textContent = 'live';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let pending = '';
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines.filter((text) => text.length > 0)) {
          const event = JSON.parse(line);
          if (event.kind === 'lagged') {
            record({ kind: 'lagged', time: new Date().toISOString(), message: event.closed
              ? 'the stream was closed (this page stopped reading)' : `${event.dropped} events skipped (this page fell behind)` });
            continue;
          }
          if (event.seq !== undefined) since = event.seq;
          record(event);
        }
      }
    } catch (error) { /* reconnect below */ }
    connection.dataset.state = 'lost';
    connection.textContent = 'reconnecting';
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

function record(event) {
  if (event.seq !== undefined) state.lastSeq = event.seq;
  if (event.job === HOUSEKEEPING) return;
  if (TERMINAL.includes(event.kind)) {
    const bucket = Math.floor(Date.parse(event.time) / BUCKET_MS);
    const counts = state.finished.get(bucket) || { ok: 0, failed: 0 };
    if (FAILED.has(event.kind)) counts.failed += 1; else counts.ok += 1;
    state.finished.set(bucket, counts);
    for (const key of state.finished.keys()) if (key <= bucket - BUCKETS) state.finished.delete(key);
  }
  state.events.unshift(event);
  if (state.events.length > EVENTS_SHOWN) state.events.length = EVENTS_SHOWN;
  scheduleRender();
}

function scheduleRender() {
  if (state.renderTimer === null) state.renderTimer = setTimeout(() => { state.renderTimer = null; render(); }, RENDER_DELAY_MS);
}

function render() {
  document.getElementById('live-seq').textContent = state.lastSeq === null ? '–' : String(state.lastSeq);
  renderEvents();
  renderAlerts();
  const status = state.status;
  if (!status) return;
  const busy = status.workers.filter((worker) => worker.busy).length;
  const uptime = duration((Date.parse(status.time) - Date.parse(status.startedAt)) / 1000);
  document.getElementById('summary').textContent =
    `pid ${status.pid} · up ${uptime} · ${status.workers.length} workers, ${busy} busy · ${clock(new Date(status.time))}`;
  document.getElementById('states').replaceChildren(...STATES.map((name) =>
    el('div', { class: 'card', 'data-state': name }, el('b', {}, status.tasksByState[name] ?? 0), el('span', {}, name))));
  renderJobs(status);
  renderWorkers(status);
  replaceRows(document.getElementById('pools'), status.pools.map((pool) =>
    el('tr', { 'data-pool': pool.name }, el('td', {}, pool.name), el('td', { class: 'number' }, `${pool.inUse}/${pool.slots}`),
      el('td', { class: 'number' }, pool.waiting))));
  drawCharts(status);
}

function renderJobs(status) {
  const rows = status.jobs.filter((job) => job.job !== HOUSEKEEPING).map((job) => {
    const [minute, five, hour] = [job.windows[0], job.windows[1] || job.windows[0], job.windows[job.windows.length - 1]];
    const finished = Object.values(hour.outcomes).reduce((sum, count) => sum + count, 0);
    return el('tr', { 'data-job': job.job },
      el('td', { class: 'job' }, job.job),
      el('td', { class: 'number rate' }, (minute.finishedPerSecond * 60).toFixed(1)),
      el('td', { class: 'number success' + (five.successRatio !== undefined && five.successRatio < 1 ? ' bad' : '') }, percent(five.successRatio)),
      el('td', { class: 'number' }, duration(minute.durationQuantiles['0.5'])),
      el('td', { class: 'number' }, duration(minute.durationQuantiles['0.9'])),
      el('td', { class: 'number p99' }, duration(minute.durationQuantiles['0.99'])),
      el('td', { class: 'number finished' }, finished));
  });
  replaceRows(document.getElementById('jobs'), rows);
  const select = document.getElementById('latency-job');
  const names = status.jobs.map((job) => job.job).filter((name) => name !== HOUSEKEEPING);
  if ([...select.options].map((option) => option.value).join() !== names.join()) {
    const chosen = select.value;
    select.replaceChildren(...names.map((name) => el('option', { value: name }, name)));
    if (names.includes(chosen)) select.value = chosen;
  }
}

function renderWorkers(status) {
  const running = new Map(status.recentTasks.filter((task) => task.state === 'running').map((task) => [task.id, task]));
  replaceRows(document.getElementById('workers'), status.workers.map((worker) => {
    const task = worker.task ? running.get(worker.task) : undefined;
    const since = task && task.startedAt ? duration((Date.parse(status.time) - Date.parse(task.startedAt)) / 1000) : '';
    return el('tr', { 'data-busy': worker.busy },
      el('td', {}, worker.name), el('td', {}, worker.task ? `${worker.task} ${worker.taskName || ''}` : 'idle'),
      el('td', {}, task ? task.job : ''), el('td', { class: 'number' }, since));
  }));
}

function renderAlerts() {
  const table = document.getElementById('alerts');
  replaceRows(table, state.alerts.map((alert) => {
    const labels = Object.entries(alert.labels).filter(([name]) => name !== 'alertname')
      .map(([name, value]) => `${name}=${value}`).join(', ');
    return el('tr', { 'data-state': alert.state }, el('td', {}, alert.state), el('td', {}, alert.labels.alertname),
      el('td', {}, labels), el('td', {}, alert.annotations.summary || ''), el('td', {}, clock(new Date(alert.activeAt))));
  }));
  document.getElementById('no-alerts').hidden = state.alerts.length > 0;
  table.hidden = state.alerts.length === 0;
}

function renderEvents() {
  document.getElementById('events').replaceChildren(...state.events.map((event) => {
    const parts = [clock(new Date(event.time)), event.kind, event.task, event.job,
      event.duration !== undefined && event.kind !== 'started' ? duration(event.duration) : undefined,
      event.message || event.error];
    return el('li', { 'data-kind': event.kind }, parts.filter((part) => part !== undefined && part !== null).join('  '));
  }));
}

function drawCharts(status) {
  const now = Date.parse(status.time);
  const last = Math.floor(now / BUCKET_MS);
  const buckets = Array.from({ length: BUCKETS }, (_, index) => last - BUCKETS + 1 + index);
  drawChart('throughput-chart', [
    { label: 'succeeded', points: buckets.map((bucket) => [bucket * BUCKET_MS, (state.finished.get(bucket) || {}).ok || 0]) },
    { label: 'failed', points: buckets.map((bucket) => [bucket * BUCKET_MS, (state.finished.get(bucket) || {}).failed || 0]), color: COLORS[2] },
  ], String);
  const job = document.getElementById('latency-job').value;
  drawChart('latency-chart', ['0.5', '0.9', '0.99'].map((quantile) => ({
    label: `p${Math.round(Number(quantile) * 100)}`,
    points: state.latency.filter((sample) => sample.jobs[job] && sample.jobs[job][quantile] !== undefined)
      .map((sample) => [sample.time, sample.jobs[job][quantile]]),
  })), duration);
  drawChart('queue-chart', ['pending', 'blocked', 'waiting', 'running', 'retry_wait'].map((name) => ({
    label: name, points: state.depth.map((sample) => [sample.time, sample.states[name] || 0]),
  })), String);
}

/// Lines on a canvas: time across, values up from zero, a legend on top.
function drawChart(id, series, format) {
  const canvas = document.getElementById(id);
  const context = canvas.getContext('2d');
  const [width, height, left, top, bottom] = [canvas.width, canvas.height, 48, 22, 18];
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
  const points = series.flatMap((line) => line.points);
  if (points.length === 0) {
    canvas.dataset.points = '0';
    context.fillStyle = '#5f6b76';
    context.fillText('no data yet', left, height / 2);
    return;
  }
  const [start, end] = [Math.min(...points.map((point) => point[0])), Math.max(...points.map((point) => point[0]))];
  const highest = Math.max(...points.map((point) => point[1]), 0) || 1;
  // What is drawn, for people reading the page's DOM (and its tests).
  canvas.dataset.points = String(points.length);
  canvas.dataset.highest = String(Math.max(...points.map((point) => point[1]), 0));
  const x = (time) => left + (end === start ? 0 : (time - start) / (end - start)) * (width - left - 8);
  const y = (value) => height - bottom - (value / highest) * (height - top - bottom);
  context.strokeStyle = '#d8dde2';
  context.fillStyle = '#5f6b76';
  for (const fraction of [0, 0.5, 1]) {
    context.beginPath();
    context.moveTo(left, y(highest * fraction));
    context.lineTo(width - 8, y(highest * fraction));
    context.stroke();
    context.fillText(format(highest * fraction), 2, y(highest * fraction) + 4);
  }
  context.fillText(clock(new Date(start)), left, height - 4);
  context.fillText(clock(new Date(end)), width - 56, height - 4);
  let legend = left;
  series.forEach((line, index) => {
    const color = line.color || COLORS[index % COLORS.length];
    context.strokeStyle = color;
    context.fillStyle = color;
    context.lineWidth = 1.5;
    context.beginPath();
    line.points.forEach(([time, value], pointIndex) => {
      if (pointIndex === 0) context.moveTo(x(time), y(value)); else context.lineTo(x(time), y(value));
    });
    context.stroke();
    context.fillRect(legend, 6, 10, 3);
    context.fillText(line.label, legend + 14, 12);
    legend += context.measureText(line.label).width + 30;
  });
  context.lineWidth = 1;
}

document.getElementById('latency-job').addEventListener('change', render);
document.getElementById('token-form').addEventListener('submit', (submission) => {
  submission.preventDefault();
  const field = document.getElementById('token');
  if (field.value) sessionStorage.setItem(TOKEN_KEY, field.value);
  field.value = '';
  document.getElementById('token-form').hidden = true;
  state.status = null;
  pollStatus();
});
pollStatus();
pollAlerts();
setInterval(pollStatus, STATUS_EVERY_MS);
setInterval(pollAlerts, ALERTS_EVERY_MS);
