// Soundstage studio: the page of `soundstage studio` (SPEC §8; the API is in docs/COMMANDS.md).
// The page holds the room file being edited as a JSON object; every edit sends its text to
// /api/simulate (the server validates it exactly as a room file on disk) and draws the answer.
// While a speaker is dragged it asks for the preview quality, one request at a time; on release
// for the room's own quality. Listening is Web Audio: the music is split into its channels, each
// routed (as `soundstage render` routes it) into a ConvolverNode holding a speaker's BRIR, with
// normalization off so levels stay as simulated.
'use strict';

const S = {
  doc: null,            // the room file being edited (object)
  result: null,         // the newest result (B)
  pinned: null,         // { result, set } pinned as A
  inFlight: false,      // a preview request is running
  dirty: false,         // an edit arrived while one ran
  lastSent: 0,
  drag: null,
  maps: null,
};
const $ = (id) => document.getElementById(id);
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1565c0', '#c62828', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457', '#2e7d32'];

// ---------------------------------------------------------------- API

async function api(path, body, method) {
  const opts = { method: method || (body === undefined ? 'GET' : 'POST'), headers: {} };
  if (body !== undefined) {
    opts.body = typeof body === 'string' ? body : JSON.stringify(body);
    opts.headers['Content-Type'] = typeof body === 'string' ? 'text/plain' : 'application/json';
  }
  const response = await fetch(path, opts);
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) data = await response.json();
  else data = await response.arrayBuffer();
  return { status: response.status, ok: response.ok, data };
}

function showError(message) {
  const e = $('error');
  e.hidden = !message;
  e.textContent = message || '';
}

function setStatus(text, busy) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('busy', !!busy);
}

// ---------------------------------------------------------------- editing the document

function layoutKind(doc) {
  if (Array.isArray(doc.speakers)) return 'list';
  if (doc.speakers && doc.speakers.layout === 'stereo') return 'stereo';
  return 'other';
}

function round(v, digits = 3) { const f = 10 ** digits; return Math.round(v * f) / f; }

/// Moves speaker `index` (or the listener when index < 0) to plan position (x, y).
function movePlan(index, x, y) {
  const doc = S.doc, g = S.result.geometry, kind = layoutKind(doc);
  if (kind === 'stereo') {
    const sp = doc.speakers, cx = g.centerX, fy = g.frontY;
    if (index >= 0) {
      sp.spacing = round(Math.max(0.2, 2 * Math.abs(x - cx)));
      sp.frontWallDistance = round(Math.max(0.02, fy - y));
    } else if (sp.listenerDistance !== undefined) {
      const ySpeakers = fy - sp.frontWallDistance;
      const ear = (doc.listener && doc.listener.earHeight !== undefined) ? doc.listener.earHeight : sp.height;
      const dz = ear - sp.height;
      sp.listenerDistance = round(Math.hypot(sp.spacing / 2, Math.max(0, ySpeakers - y), dz));
    } else {
      const z = (doc.listener.position || g.listener.position)[2];
      doc.listener.position = [round(x), round(y), z];
    }
  } else if (kind === 'list') {
    if (index >= 0) {
      const p = doc.speakers[index].position;
      doc.speakers[index].position = [round(x), round(y), p[2]];
    } else {
      const z = (doc.listener.position || g.listener.position)[2];
      doc.listener.position = [round(x), round(y), z];
    }
  } else if (index < 0 && doc.listener && doc.listener.position) {
    doc.listener.position = [round(x), round(y), doc.listener.position[2]];
  }
}

/// Moves speaker `index` to height z (elevation view).
function moveHeight(index, z) {
  const doc = S.doc, kind = layoutKind(doc);
  if (index < 0) return;
  if (kind === 'stereo') doc.speakers.height = round(Math.max(0.05, z));
  else if (kind === 'list') { const p = doc.speakers[index].position; doc.speakers[index].position = [p[0], p[1], round(z)]; }
}

function canDrag(index) {
  const kind = layoutKind(S.doc);
  if (kind !== 'other') return true;
  return index < 0 && S.doc.listener && Array.isArray(S.doc.listener.position);
}

// ---------------------------------------------------------------- simulation requests

async function simulate(quality) {
  const sent = ++S.lastSent;
  const text = JSON.stringify(S.doc, null, 2);
  setStatus(quality === 'preview' ? 'previewing…' : 'simulating…', true);
  let answer;
  try {
    answer = await api('/api/simulate', { room: text, quality });
  } catch (e) {
    showError('The studio does not answer (' + e.message + '); is `soundstage studio` still running?');
    setStatus('offline');
    return;
  }
  if (answer.status === 409) return; // a newer edit superseded it
  if (!answer.ok) {
    if (sent === S.lastSent) {
      showError(answer.data && answer.data.error ? answer.data.error : 'error ' + answer.status);
      markInvalid(answer.data && answer.data.path);
      setStatus('not simulated: see the message above');
    }
    return;
  }
  if (sent !== S.lastSent && quality === 'preview') return;
  showError('');
  markInvalid(null);
  await show(answer.data);
}

/// An edit while dragging: one preview request at a time, the newest state when it returns.
async function previewSoon() {
  if (S.inFlight) { S.dirty = true; return; }
  S.inFlight = true;
  do {
    S.dirty = false;
    await simulate('preview');
  } while (S.dirty && S.drag);
  S.inFlight = false;
}

async function edited() {
  S.dirty = false;
  renderFields();
  $('json').value = JSON.stringify(S.doc, null, 2);
  await simulate('full');
}

// ---------------------------------------------------------------- showing a result

async function show(result) {
  const previous = S.result;
  S.result = result;
  window.studio.result = result;
  $('room-name').textContent = result.geometry.name;
  setStatus(`v${result.version} · ${result.quality} · ${result.seconds.toFixed(2)} s${result.warnings.length ? ' · ' + result.warnings.join('; ') : ''}`);
  drawPlan();
  drawElevation();
  fillSpeakerSelects();
  drawMetrics(previous);
  drawResponse();
  drawEchogram();
  drawReflections();
  if (!S.drag) renderFields();
  await audio.load(result);
}

function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function bounds(g) {
  const m = 0.3;
  return { x0: g.minCorner[0] - m, y0: g.minCorner[1] - m, x1: g.maxCorner[0] + m, y1: g.maxCorner[1] + m, z0: g.minCorner[2] - m, z1: g.maxCorner[2] + m };
}

function drawPlan() {
  const g = S.result.geometry, svg = $('plan'), b = bounds(g);
  svg.replaceChildren();
  // Plan: x to the right, y up (the front wall, +y, at the top).
  svg.setAttribute('viewBox', `${b.x0} ${-b.y1} ${b.x1 - b.x0} ${b.y1 - b.y0}`);
  const faces = svgEl('g', {}, svg);
  for (const f of g.surfaces) {
    if (f.object) continue;
    const pts = f.points.map((p) => `${p[0]},${-p[1]}`).join(' ');
    svgEl('polygon', { class: 'face', points: pts }, faces).appendChild(title(`${f.name}: ${f.material}`));
  }
  for (const o of g.objects) {
    svgEl('rect', { class: 'object', x: o.min[0], y: -o.max[1], width: o.max[0] - o.min[0], height: o.max[1] - o.min[1] }, svg)
      .appendChild(title(`${o.name}: ${o.material}`));
  }
  drawMap(svg);
  // First-order reflection paths (speaker → wall → ears).
  const L = g.listener.position;
  S.result.reflections.forEach((sp, i) => {
    for (const r of sp.reflections) {
      if (r.order !== 1 || !r.points.length) continue;
      const p = r.points[0];
      svgEl('polyline', { class: 'path', stroke: COLORS[i % COLORS.length], points: `${sp.position[0]},${-sp.position[1]} ${p[0]},${-p[1]} ${L[0]},${-L[1]}` }, svg);
      svgEl('circle', { class: 'hit', cx: p[0], cy: -p[1], r: 0.05, fill: COLORS[i % COLORS.length] }, svg)
        .appendChild(title(`${sp.name} via ${r.surfaces.join(', ')}: ${(r.delaySeconds * 1000).toFixed(2)} ms`));
    }
  });
  g.speakers.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    svgEl('line', { class: 'aim', stroke: color, x1: s.position[0], y1: -s.position[1], x2: s.position[0] + 0.45 * s.forward[0], y2: -(s.position[1] + 0.45 * s.forward[1]) }, svg);
    const c = svgEl('circle', { class: 'speaker', cx: s.position[0], cy: -s.position[1], r: 0.13, fill: color, 'data-index': i, 'data-name': s.name }, svg);
    c.appendChild(title(`${s.name}: (${s.position.map((v) => v.toFixed(2)).join(', ')}) m, ${s.distance.toFixed(2)} m from the ears, ${s.azimuth.toFixed(1)}°`));
    svgEl('text', { class: 'label', x: s.position[0] + 0.16, y: -s.position[1] - 0.1 }, svg).textContent = s.name;
    if (canDrag(i)) dragHandle(c, i, 'plan');
  });
  const lc = svgEl('circle', { class: 'listener', cx: L[0], cy: -L[1], r: 0.12, 'data-index': -1 }, svg);
  lc.appendChild(title(`listener (${L.map((v) => v.toFixed(2)).join(', ')}) m`));
  svgEl('text', { class: 'label', x: L[0] + 0.15, y: -L[1] + 0.05 }, svg).textContent = 'listener';
  if (canDrag(-1)) dragHandle(lc, -1, 'plan');
  $('legend').textContent = layoutKind(S.doc) === 'other'
    ? 'This speaker layout is edited in the room file below (JSON); the listener can be dragged when it has a position.'
    : 'Dots on the walls: first-order reflection points; lines: their paths to the ears.';
}

function title(text) { const t = document.createElementNS(NS, 'title'); t.textContent = text; return t; }

function drawMap(svg) {
  if (!S.maps || !$('show-map').checked) return;
  const m = S.maps[$('map-kind').value];
  const values = m.cost.flat().filter((v) => v !== null);
  if (!values.length) return;
  const lo = Math.min(...values), hi = Math.max(...values);
  const dx = m.xs.length > 1 ? m.xs[1] - m.xs[0] : 0.1, dy = m.ys.length > 1 ? m.ys[1] - m.ys[0] : 0.1;
  const group = svgEl('g', { opacity: 0.55 }, svg);
  m.ys.forEach((y, j) => m.xs.forEach((x, i) => {
    const v = m.cost[j][i];
    if (v === null) return;
    const t = hi > lo ? (v - lo) / (hi - lo) : 0; // 0 best (green) … 1 worst (red)
    const fill = `hsl(${120 * (1 - t)}, 70%, 50%)`;
    svgEl('rect', { class: 'cell', x: x - dx / 2, y: -(y + dy / 2), width: Math.abs(dx), height: Math.abs(dy), fill }, group)
      .appendChild(title(`${m.subject} at (${x.toFixed(2)}, ${y.toFixed(2)}): cost ${v.toFixed(2)}`));
  }));
}

function drawElevation() {
  const g = S.result.geometry, svg = $('elevation'), b = bounds(g);
  svg.replaceChildren();
  // Side view: y to the right (front wall at the right), z up.
  svg.setAttribute('viewBox', `${b.y0} ${-b.z1} ${b.y1 - b.y0} ${b.z1 - b.z0}`);
  svgEl('rect', { class: 'face', x: g.minCorner[1], y: -g.maxCorner[2], width: g.maxCorner[1] - g.minCorner[1], height: g.maxCorner[2] - g.minCorner[2] }, svg);
  for (const o of g.objects) {
    svgEl('rect', { class: 'object', x: o.min[1], y: -o.max[2], width: o.max[1] - o.min[1], height: o.max[2] - o.min[2] }, svg);
  }
  g.speakers.forEach((s, i) => {
    const c = svgEl('circle', { class: 'speaker', cx: s.position[1], cy: -s.position[2], r: 0.09, fill: COLORS[i % COLORS.length], 'data-index': i }, svg);
    c.appendChild(title(`${s.name}: ${s.position[2].toFixed(2)} m high`));
    if (layoutKind(S.doc) !== 'other') dragHandle(c, i, 'elevation');
  });
  const L = g.listener.position;
  svgEl('circle', { class: 'listener', cx: L[1], cy: -L[2], r: 0.09 }, svg).appendChild(title(`ears ${L[2].toFixed(2)} m high`));
}

function svgPoint(svg, event) {
  const p = svg.createSVGPoint();
  p.x = event.clientX; p.y = event.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

function dragHandle(element, index, view) {
  element.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    try { element.setPointerCapture(event.pointerId); } catch (_) { /* synthetic events have no capture */ }
    element.classList.add('dragging');
    S.drag = { index, view, svg: element.ownerSVGElement };
  });
}

window.addEventListener('pointermove', (event) => {
  if (!S.drag) return;
  const p = svgPoint(S.drag.svg, event);
  if (S.drag.view === 'plan') movePlan(S.drag.index, p.x, -p.y);
  else moveHeight(S.drag.index, -p.y);
  renderFields();
  previewSoon();
});

window.addEventListener('pointerup', () => {
  if (!S.drag) return;
  S.drag = null;
  edited();
});

// ---------------------------------------------------------------- typed fields

function renderFields() {
  const form = $('fields'), doc = S.doc, kind = layoutKind(doc);
  form.replaceChildren();
  const add = (label, get, set, path) => {
    const l = document.createElement('label');
    l.textContent = label;
    const input = document.createElement('input');
    input.value = get() === undefined ? '' : get();
    input.dataset.path = path;
    input.addEventListener('change', () => {
      const text = input.value.trim();
      const number = Number(text);
      set(text === '' ? undefined : (Number.isFinite(number) && text !== '' ? number : text));
      edited();
    });
    l.appendChild(input);
    form.appendChild(l);
  };
  if (kind === 'stereo') {
    const sp = doc.speakers;
    for (const [key, label] of [['spacing', 'spacing (m)'], ['frontWallDistance', 'front-wall distance (m)'], ['listenerDistance', 'listener distance (m)'],
      ['height', 'height (m)'], ['toeIn', 'toe-in (° or "listener")']]) {
      add(label, () => sp[key], (v) => { if (v === undefined) delete sp[key]; else sp[key] = v; }, `speakers.${key}`);
    }
  } else if (kind === 'list') {
    doc.speakers.forEach((s, i) => ['x', 'y', 'z'].forEach((axis, k) => add(`${s.name} ${axis} (m)`, () => s.position[k],
      (v) => { s.position[k] = v; }, `speakers[${i}].position`)));
  }
  if (doc.listener && Array.isArray(doc.listener.position)) {
    ['x', 'y', 'z'].forEach((axis, k) => add(`listener ${axis} (m)`, () => doc.listener.position[k], (v) => { doc.listener.position[k] = v; }, 'listener.position'));
  }
}

function markInvalid(path) {
  for (const input of $('fields').querySelectorAll('input')) {
    input.classList.toggle('invalid', !!path && (path === input.dataset.path || path.startsWith(input.dataset.path + '[')));
  }
}

// ---------------------------------------------------------------- metrics, curves

function param(p) { return p && p.value !== undefined ? p.value : null; }

const METRIC_ROWS = [
  ['distance to ears (m)', (m, g, i) => g.speakers[i].distance, 2],
  ['azimuth (°)', (m, g, i) => g.speakers[i].azimuth, 1],
  ['T30 500 Hz (s)', (m) => param(m.omni.bands['500'].T30), 2],
  ['T30 1 kHz (s)', (m) => param(m.omni.bands['1k'].T30), 2],
  ['EDT 1 kHz (s)', (m) => param(m.omni.bands['1k'].EDT), 2],
  ['C80 1 kHz (dB)', (m) => param(m.omni.bands['1k'].C80), 1],
  ['D50 1 kHz', (m) => param(m.omni.bands['1k'].D50), 2],
  ['DRR (dB)', (m) => param(m.omni.bands.broadband.DRR), 1],
  ['ITDG (ms)', (m) => param(m.omni.ITDG), 1],
  ['first reflection (dB)', (m) => param(m.omni.firstReflectionLevel), 1],
  ['imaging (dB)', (m) => param(m.soundstage.imaging), 1],
  ['width', (m) => param(m.soundstage.width), 2],
  ['envelopment', (m) => param(m.soundstage.envelopment), 2],
  ['bass σ 20–300 Hz (dB)', (m) => param(m.soundstage.bass), 1],
  ['IACC_E broadband', (m) => m.binaural ? param(m.binaural.IACC_E.broadband) : null, 2],
];

function drawMetrics(previous) {
  const table = $('metrics'), r = S.result, a = S.pinned && S.pinned.result;
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement('th')).textContent = '';
  r.metrics.forEach((m) => { head.appendChild(document.createElement('th')).textContent = m.speaker; });
  if (a) a.metrics.forEach((m) => { const th = head.appendChild(document.createElement('th')); th.textContent = 'A: ' + m.speaker; th.className = 'pinned'; });
  const body = table.createTBody();
  for (const [label, get, digits] of METRIC_ROWS) {
    const row = body.insertRow();
    row.insertCell().textContent = label;
    r.metrics.forEach((m, i) => {
      const v = get(m, r.geometry, i), cell = row.insertCell();
      cell.textContent = v === null || v === undefined ? '—' : v.toFixed(digits);
      if (previous && previous.metrics[i]) {
        const old = get(previous.metrics[i], previous.geometry, i);
        if (old !== null && v !== null && old.toFixed(digits) !== v.toFixed(digits)) cell.classList.add('changed');
      }
    });
    if (a) a.metrics.forEach((m, i) => { const v = get(m, a.geometry, i), c = row.insertCell(); c.className = 'pinned'; c.textContent = v === null || v === undefined ? '—' : v.toFixed(digits); });
  }
  $('metrics-note').textContent = r.quality === 'preview' ? '(preview: the late decay is noisier)' : '';
}

function fillSpeakerSelects() {
  for (const id of ['response-speaker', 'echogram-speaker']) {
    const select = $(id), keep = select.value;
    const names = id === 'response-speaker' ? S.result.responses.map((x) => x.speaker) : S.result.echograms.map((x) => x.speaker);
    if ([...select.options].map((o) => o.value).join() !== names.join()) {
      select.replaceChildren(...names.map((n) => new Option(n === 'all' ? 'all speakers' : n, n)));
    }
    if (names.includes(keep)) select.value = keep;
  }
}

function plotFrame(canvas, xTicks, yRange, yStep, xOf, label) {
  const c = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
  const pad = { l: 42, r: 10, t: 8, b: 22 };
  c.clearRect(0, 0, w, h);
  c.font = '11px system-ui, sans-serif';
  c.strokeStyle = '#e3e7eb'; c.fillStyle = '#68717b';
  const X = (v) => pad.l + xOf(v) * (w - pad.l - pad.r);
  const Y = (v) => pad.t + (yRange[1] - v) / (yRange[1] - yRange[0]) * (h - pad.t - pad.b);
  for (const [v, text] of xTicks) { c.beginPath(); c.moveTo(X(v), pad.t); c.lineTo(X(v), h - pad.b); c.stroke(); c.fillText(text, X(v) - 8, h - 6); }
  for (let v = Math.ceil(yRange[0] / yStep) * yStep; v <= yRange[1]; v += yStep) {
    c.beginPath(); c.moveTo(pad.l, Y(v)); c.lineTo(w - pad.r, Y(v)); c.stroke(); c.fillText(String(v), 4, Y(v) + 4);
  }
  c.fillText(label, w - pad.r - c.measureText(label).width, pad.t + 10);
  return { c, X, Y };
}

function drawResponse() {
  const name = $('response-speaker').value;
  const find = (res) => res && res.responses.find((x) => x.speaker === name);
  const b = find(S.result), a = find(S.pinned && S.pinned.result);
  if (!b) return;
  const all = [...b.left.levelsDB, ...b.right.levelsDB];
  const top = Math.ceil((Math.max(...all) + 5) / 10) * 10;
  const logX = (f) => Math.log(f / 20) / Math.log(1000);
  const ticks = [[20, '20'], [50, '50'], [100, '100'], [200, '200'], [500, '500'], [1000, '1k'], [2000, '2k'], [5000, '5k'], [10000, '10k'], [20000, '20k']];
  const { c, X, Y } = plotFrame($('response'), ticks, [top - 50, top], 10, logX, 'dB · Hz');
  const line = (curve, color, dash) => {
    c.strokeStyle = color; c.setLineDash(dash); c.lineWidth = 1.5; c.beginPath();
    curve.hertz.forEach((f, i) => { const y = Math.max(top - 50, curve.levelsDB[i]); if (i) c.lineTo(X(f), Y(y)); else c.moveTo(X(f), Y(y)); });
    c.stroke(); c.setLineDash([]);
  };
  if (a) { line(a.left, '#9aa5b1', []); line(a.right, '#9aa5b1', [5, 4]); }
  line(b.left, COLORS[0], []);
  line(b.right, COLORS[1], [5, 4]);
}

function drawEchogram() {
  const name = $('echogram-speaker').value, e = S.result.echograms.find((x) => x.speaker === name);
  if (!e) return;
  const ms = e.levelsDB.length * e.binMilliseconds;
  const ticks = [0, 50, 100, 150, 200, 250, 300].filter((t) => t <= ms).map((t) => [t, t + ' ms']);
  const { c, X, Y } = plotFrame($('echogram'), ticks, [-80, 0], 20, (t) => t / ms, 'dB');
  c.strokeStyle = '#1d232a'; c.lineWidth = 1; c.beginPath();
  e.levelsDB.forEach((v, i) => { const t = i * e.binMilliseconds; c.moveTo(X(t), Y(-80)); c.lineTo(X(t), Y(Math.max(-80, v))); });
  c.stroke();
  const paths = S.result.reflections.find((x) => x.name === name);
  c.strokeStyle = COLORS[1];
  if (paths) for (const r of paths.reflections) {
    if (r.order !== 1) continue;
    const t = r.delaySeconds * 1000;
    c.beginPath(); c.moveTo(X(t), Y(0)); c.lineTo(X(t), Y(-6)); c.stroke();
  }
}

function drawReflections() {
  const table = $('reflections');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const h of ['speaker', 'via', 'delay (ms)', 'after direct (ms)', 'level 1 kHz re direct (dB)']) head.appendChild(document.createElement('th')).textContent = h;
  const body = table.createTBody();
  const k = S.result.bandsHz.indexOf(1000);
  for (const sp of S.result.reflections) {
    const direct = sp.reflections.find((r) => r.order === 0);
    const rows = sp.reflections.filter((r) => r.order === 1).sort((x, y) => x.delaySeconds - y.delaySeconds);
    for (const r of rows) {
      const row = body.insertRow();
      row.insertCell().textContent = sp.name;
      row.insertCell().textContent = r.surfaces.join(', ');
      row.insertCell().textContent = (r.delaySeconds * 1000).toFixed(2);
      row.insertCell().textContent = direct ? ((r.delaySeconds - direct.delaySeconds) * 1000).toFixed(2) : '—';
      row.insertCell().textContent = direct ? (r.levelDB[k] - direct.levelDB[k]).toFixed(1) : '—';
    }
  }
}

// ---------------------------------------------------------------- listening

/// Builds the graph of one set of BRIRs in `ctx` (an AudioContext or an OfflineAudioContext):
/// input channel c → for each (speaker, gain) of routing[c]: gain → that speaker's convolver;
/// the convolvers (2-channel BRIRs, normalization off) sum into the set's gain node.
function buildChain(ctx, set, destination) {
  const input = ctx.createChannelSplitter(2);
  const out = ctx.createGain();
  out.gain.value = set.gain;
  const convolvers = set.buffers.map((buffer) => {
    const conv = ctx.createConvolver();
    conv.normalize = false;
    conv.buffer = buffer;
    conv.connect(out);
    return conv;
  });
  set.routing.forEach((routes, channel) => {
    for (const { speaker, gain } of routes) {
      const g = ctx.createGain();
      g.gain.value = gain;
      input.connect(g, channel);
      g.connect(convolvers[speaker]);
    }
  });
  out.connect(destination);
  return { input, out, set };
}

/// The EQ for the IEMs: preamp, then a GraphicEQ's FIR in a ConvolverNode, then the biquads as
/// IIRFilterNodes.
function buildEQ(ctx, eq, destination) {
  let node = destination;
  if (!eq) return node;
  const nodes = eq.sections.map((s) => ctx.createIIRFilter(s.feedforward, s.feedback));
  if (eq.fir) {
    const fir = ctx.createBuffer(1, eq.fir.length, ctx.sampleRate);
    fir.copyToChannel(Float32Array.from(eq.fir), 0);
    const conv = ctx.createConvolver();
    conv.normalize = false;
    conv.buffer = fir;
    nodes.unshift(conv);
  }
  for (let i = nodes.length - 1; i >= 0; i--) { nodes[i].connect(node); node = nodes[i]; }
  const pre = ctx.createGain();
  pre.gain.value = 10 ** (eq.preampDB / 20);
  pre.connect(node);
  return pre;
}

const audio = {
  ctx: null, music: null, source: null, playing: false, startedAt: 0, offset: 0,
  b: null, a: null, bus: null, eqIn: null, eq: null, listening: 'B', master: null,
  setB: null,

  async fetchSet(result) {
    const ctx = this.decoder(result.sampleRate);
    const buffers = await Promise.all(result.geometry.speakers.map(async (s) => {
      const r = await fetch(`/api/brir/${result.version}/${encodeURIComponent(s.name)}.wav`);
      return ctx.decodeAudioData(await r.arrayBuffer());
    }));
    return { buffers, routing: result.routing, loudnessGainDB: result.loudnessGainDB, gain: 1, version: result.version };
  },

  decoder(rate) {
    if (this.ctx && this.ctx.sampleRate === rate) return this.ctx;
    if (!this._offline || this._offline.sampleRate !== rate) this._offline = new OfflineAudioContext(2, 1, rate);
    return this._offline;
  },

  gainOf(set) { return $('match').checked ? 10 ** (set.loudnessGainDB / 20) : 1; },

  async load(result) {
    const set = await this.fetchSet(result);
    if (S.result !== result) return; // a newer result arrived meanwhile
    this.setB = set;
    if (this.ctx) this.swap('b', set);
  },

  ensureContext() {
    if (this.ctx) return;
    this.ctx = new AudioContext({ sampleRate: S.result.sampleRate, latencyHint: 'playback' });
    this.master = this.ctx.createGain();
    this.master.gain.value = 10 ** (Number($('volume').value) / 20);
    this.master.connect(this.ctx.destination);
    this.bus = this.ctx.createGain();
    this.rebuildEQ();
    this.musicIn = this.ctx.createGain();
    if (this.setB) this.swap('b', this.setB);
    if (S.pinned) this.swap('a', S.pinned.set);
  },

  rebuildEQ() {
    if (!this.ctx) return;
    this.bus.disconnect();
    this.bus.connect(buildEQ(this.ctx, $('eq-on').checked ? this.eq : null, this.master));
  },

  /// Replaces chain `which` ('a' or 'b') with `set`, crossfading over 20 ms.
  swap(which, set) {
    const ctx = this.ctx, now = ctx.currentTime, old = this[which];
    set.gain = this.gainOf(set);
    const chain = buildChain(ctx, set, this.bus);
    const audible = (which === 'a') === (this.listening === 'A');
    chain.out.gain.setValueAtTime(0, now);
    chain.out.gain.linearRampToValueAtTime(audible ? set.gain : 0, now + 0.02);
    this.musicIn.connect(chain.input);
    if (old) {
      old.out.gain.cancelScheduledValues(now);
      old.out.gain.setValueAtTime(old.out.gain.value, now);
      old.out.gain.linearRampToValueAtTime(0, now + 0.02);
      setTimeout(() => { try { this.musicIn.disconnect(old.input); } catch (_) { /* already */ } old.out.disconnect(); }, 60);
    }
    this[which] = chain;
  },

  /// A/B: the same music runs through both chains; switching crossfades their gains (30 ms).
  listen(which) {
    this.listening = which;
    $('play-a').classList.toggle('active', which === 'A');
    $('play-b').classList.toggle('active', which === 'B');
    if (!this.ctx) return;
    const now = this.ctx.currentTime;
    for (const [key, chain] of [['A', this.a], ['B', this.b]]) {
      if (!chain) continue;
      chain.out.gain.cancelScheduledValues(now);
      chain.out.gain.setValueAtTime(chain.out.gain.value, now);
      chain.out.gain.linearRampToValueAtTime(key === which ? chain.set.gain : 0, now + 0.03);
    }
  },

  rematch() {
    for (const [key, chain] of [['A', this.a], ['B', this.b]]) {
      if (!chain) continue;
      chain.set.gain = this.gainOf(chain.set);
      if (this.ctx && key === this.listening) chain.out.gain.setTargetAtTime(chain.set.gain, this.ctx.currentTime, 0.01);
    }
  },

  async useMusic(arrayBuffer, name) {
    this.ensureContext();
    this.stop();
    this.music = await this.ctx.decodeAudioData(arrayBuffer);
    this.offset = 0;
    $('play').disabled = false;
    $('audio-note').textContent = `${name}: ${this.music.duration.toFixed(1)} s, ${this.music.numberOfChannels} channel(s).`;
  },

  play() {
    if (!this.music) return;
    this.ensureContext();
    this.ctx.resume();
    const source = this.ctx.createBufferSource();
    source.buffer = this.music;
    source.loop = true;
    source.connect(this.musicIn);
    source.start(0, this.offset % this.music.duration);
    this.startedAt = this.ctx.currentTime - this.offset;
    this.source = source;
    this.playing = true;
    $('play').textContent = 'Pause';
  },

  stop() {
    if (!this.source) return;
    this.offset = this.ctx.currentTime - this.startedAt;
    this.source.stop();
    this.source.disconnect();
    this.source = null;
    this.playing = false;
    $('play').textContent = 'Play';
  },
};

/// Renders `seconds` of `input` (an AudioBuffer, or a unit impulse in the left channel when
/// omitted) through the current BRIRs in an OfflineAudioContext — the same graph as playback.
async function renderOffline(seconds, input, useA) {
  const set = useA ? S.pinned.set : audio.setB;
  const rate = set.buffers[0].sampleRate, frames = Math.round(seconds * rate);
  const ctx = new OfflineAudioContext(2, frames, rate);
  if (!input) {
    input = ctx.createBuffer(2, frames, rate);
    input.getChannelData(0)[0] = 1;
  }
  const source = ctx.createBufferSource();
  source.buffer = input;
  const s = { ...set, gain: audio.gainOf(set) };
  const chain = buildChain(ctx, s, ctx.destination);
  source.connect(chain.input);
  source.start();
  const out = await ctx.startRendering();
  return { left: out.getChannelData(0), right: out.getChannelData(1), gain: s.gain, set: s };
}

// ---------------------------------------------------------------- optimizer

async function optimize() {
  const answer = await api('/api/optimize', { room: JSON.stringify(S.doc, null, 2) });
  if (!answer.ok) { showError(answer.data.error); return; }
  $('optimize').disabled = true;
  const poll = async () => {
    const r = await api('/api/optimize');
    if (r.data.status === 'running') {
      $('optimize-status').textContent = r.data.total ? `wave runs ${r.data.done}/${r.data.total}…` : 'starting…';
      setTimeout(poll, 700);
      return;
    }
    $('optimize').disabled = false;
    if (!r.ok) { showError(r.data.error); $('optimize-status').textContent = ''; return; }
    S.maps = r.data.maps;
    $('optimize-status').textContent = 'done';
    drawPlan();
    drawBest();
  };
  poll();
}

function drawBest() {
  const list = $('best');
  list.replaceChildren();
  if (!S.maps) return;
  for (const c of S.maps.best.slice(0, 5)) {
    const li = document.createElement('li');
    li.textContent = `spacing ${c.spacing.toFixed(2)} m, front wall ${c.frontWallDistance.toFixed(2)} m, listener ${c.listenerDistance.toFixed(2)} m, height ${c.height.toFixed(2)} m — cost ${c.cost !== null && c.cost !== undefined ? c.cost.toFixed(2) : '—'}`;
    const use = document.createElement('button');
    use.textContent = 'use';
    use.addEventListener('click', () => {
      const sp = S.doc.speakers;
      Object.assign(sp, { spacing: round(c.spacing), frontWallDistance: round(c.frontWallDistance), listenerDistance: round(c.listenerDistance), height: round(c.height) });
      if (c.toeIn !== null && c.toeIn !== undefined) sp.toeIn = round(c.toeIn, 1);
      edited();
    });
    li.appendChild(use);
    list.appendChild(li);
  }
}

// ---------------------------------------------------------------- wiring

async function start() {
  const room = await api('/api/room');
  S.doc = room.data;
  $('json').value = JSON.stringify(S.doc, null, 2);
  renderFields();
  await simulate('full');
}

function wire() {
  $('response-speaker').addEventListener('change', drawResponse);
  $('echogram-speaker').addEventListener('change', drawEchogram);
  $('json-apply').addEventListener('click', () => {
    try { S.doc = JSON.parse($('json').value); } catch (e) { showError('Room file (JSON): ' + e.message); return; }
    edited();
  });
  $('reset').addEventListener('click', async () => { S.doc = (await api('/api/original')).data; edited(); });
  $('save').addEventListener('click', async () => {
    const name = $('save-name').value.trim();
    const room = JSON.stringify(S.doc, null, 2);
    let r = await api('/api/save', { name, room });
    // An existing file other than the original: replaced only when the user confirms.
    if (r.status === 409 && r.data && /exists/.test(r.data.error) && window.confirm(r.data.error + ' Replace it?')) {
      r = await api('/api/save', { name, room, overwrite: true });
    }
    if (r.ok) { showError(''); setStatus('saved ' + r.data.saved); } else showError(r.data.error);
  });
  $('music').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (file) await audio.useMusic(await file.arrayBuffer(), file.name);
  });
  $('demo').addEventListener('click', async () => { const r = await fetch('/api/demo.wav'); await audio.useMusic(await r.arrayBuffer(), 'demo piece'); });
  $('play').addEventListener('click', () => (audio.playing ? audio.stop() : audio.play()));
  $('volume').addEventListener('input', () => { if (audio.master) audio.master.gain.setTargetAtTime(10 ** (Number($('volume').value) / 20), audio.ctx.currentTime, 0.02); });
  $('pin').addEventListener('click', () => {
    if (!audio.setB) return;
    S.pinned = { result: S.result, set: { ...audio.setB } };
    $('play-a').disabled = false;
    $('pin').textContent = `Pin as A (A = v${S.result.version})`;
    if (audio.ctx) audio.swap('a', S.pinned.set);
    drawMetrics(null);
    drawResponse();
  });
  $('play-a').addEventListener('click', () => audio.listen('A'));
  $('play-b').addEventListener('click', () => audio.listen('B'));
  $('match').addEventListener('change', () => audio.rematch());
  $('eq-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const rate = S.result ? S.result.sampleRate : 48000;
    const r = await api('/api/eq?rate=' + rate, await file.text());
    if (!r.ok) { $('eq-status').textContent = ''; showError(r.data.error); return; }
    audio.eq = r.data;
    const graphic = r.data.graphicPoints ? `, graphic EQ of ${r.data.graphicPoints} points` : '';
    $('eq-status').textContent = `${file.name}: ${r.data.filterCount} filters${graphic}, preamp ${r.data.preampDB.toFixed(1)} dB`;
    audio.rebuildEQ();
  });
  $('eq-on').addEventListener('change', () => audio.rebuildEQ());
  $('optimize').addEventListener('click', optimize);
  $('show-map').addEventListener('change', drawPlan);
  $('map-kind').addEventListener('change', drawPlan);
}

window.studio = { state: S, audio, renderOffline, movePlan, edited, simulate, result: null, buildChain };
wire();
start();
