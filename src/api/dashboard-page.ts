/**
 * The live dashboard: one self-contained page (no CDN, works offline). It reads the same API as
 * the CLI — /v1/agents, /v1/tasks, /v1/stats — with the session cookie, and refreshes on /v1/events.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lightning · fleet</title>
<style>
  :root { --bg:#0f1115; --panel:#171a21; --line:#262b36; --text:#e6e9ef; --dim:#8b93a7; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --info:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:baseline; padding:1rem 1.25rem; border-bottom:1px solid var(--line); }
  header h1 { font-size:1.15rem; margin:0; }
  header .meta { color:var(--dim); font-size:.85rem; }
  #live { font-size:.8rem; color:var(--dim); }
  #live.on::before { content:"●"; color:var(--ok); margin-right:.3rem; }
  main { display:grid; gap:1rem; padding:1rem 1.25rem; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:.75rem 1rem; overflow:auto; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size:.8rem; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:.2rem 0 .6rem; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:.3rem .5rem; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:500; font-size:.8rem; }
  .state { font-weight:600; }
  .healthy, .completed { color:var(--ok); } .starting, .running, .submitted { color:var(--info); }
  .unhealthy, .backoff, .waiting, .awaiting-approval, .cancelled, .interrupted { color:var(--warn); } .failed, .timeout { color:var(--bad); }
  .stopping, .stopped { color:var(--dim); }
  details summary { cursor:pointer; } details pre { white-space:pre-wrap; max-height:16rem; overflow:auto; background:#0b0d11; padding:.5rem; border-radius:4px; }
  .alert { color:var(--bad); margin:.2rem 0; } .none { color:var(--dim); }
  .team-tag { color:var(--info); font-size:.75rem; border:1px solid var(--info); border-radius:3px; padding:0 .25rem; margin-right:.35rem; }
  tr.step td:first-child { color:var(--dim); font-family:ui-monospace, monospace; padding-left:1.2rem; }
  svg { width:100%; height:120px; } .bar { fill:var(--info); } .bar.lat { fill:var(--warn); } .axis { fill:var(--dim); font-size:10px; }
  @media (max-width: 600px) { th.opt, td.opt { display:none; } main { padding:.5rem; } }
</style>
</head>
<body>
<header>
  <h1>⚡ lightning</h1>
  <span class="meta" id="meta">connecting…</span>
  <span id="live">live</span>
</header>
<main>
  <section class="wide"><h2>Agents</h2>
    <table><thead><tr><th>Agent</th><th>State</th><th>PID</th><th class="opt">Port</th><th>Restarts</th><th class="opt">Health</th><th>In flight</th><th>Success</th><th class="opt">Last exit / reason</th></tr></thead>
    <tbody id="agents"></tbody></table>
  </section>
  <section class="wide"><h2>Awaiting approval</h2><div id="approvals" class="none">none</div></section>
  <section><h2>Alerts</h2><div id="alerts" class="none">none</div></section>
  <section><h2>Throughput · last hour (tasks / 5 min)</h2><svg id="throughput" viewBox="0 0 360 120" preserveAspectRatio="none"></svg></section>
  <section><h2>Latency p50 · last hour (seconds)</h2><svg id="latency" viewBox="0 0 360 120" preserveAspectRatio="none"></svg></section>
  <section class="wide"><h2>Learning · what the router learned (as lightning stats and route say it)</h2>
    <table><thead><tr><th>Kind</th><th>Agent</th><th>Tasks</th><th>Success</th><th>Learned success</th><th class="opt">Share</th></tr></thead>
    <tbody id="learning"><tr><td class="none" colspan="6">no finished tasks yet</td></tr></tbody></table>
  </section>
  <section class="wide"><h2>Spending · tokens and cost per agent (team steps included)</h2>
    <table><thead><tr><th>Agent</th><th>Tasks</th><th>Tokens</th><th>Cost</th></tr></thead>
    <tbody id="spend"><tr><td class="none" colspan="4">nothing spent yet</td></tr></tbody></table>
  </section>
  <section class="wide"><h2>Recent tasks · a team task with its steps beneath it</h2>
    <table><thead><tr><th>Submitted</th><th>Status</th><th>Agent</th><th class="opt">Duration</th><th>Tokens</th><th>Cost</th><th>Task</th></tr></thead>
    <tbody id="tasks"></tbody></table>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&':'&amp;', '<':'&lt;', '>':'&gt;', '"':'&quot;', "'":'&#39;' })[c]);
const dur = (ms) => ms == null ? '-' : ms < 1000 ? Math.round(ms) + 'ms' : ms < 60000 ? (ms / 1000).toFixed(1) + 's' : Math.round(ms / 60000) + 'm';
async function get(path) { const r = await fetch(path, { credentials: 'same-origin' }); if (!r.ok) throw new Error(path + ' ' + r.status); return r.json(); }
function renderAgents(doc) {
  $('meta').textContent = 'supervisor pid ' + doc.supervisor.pid + ' · ' + doc.agents.length + ' instances · ' + doc.supervisor.config;
  $('agents').innerHTML = doc.agents.map((a) => {
    const done = a.tasks.completed + a.tasks.failed;
    const success = done ? Math.round(100 * a.tasks.completed / done) + '% of ' + done : '-';
    return '<tr data-agent="' + esc(a.name + '#' + a.instance) + '"><td>' + esc(a.name) + (a.instance ? '#' + a.instance : '') + '</td>' +
      '<td class="state ' + esc(a.state) + '">' + esc(a.state) + '</td><td>' + esc(a.pid ?? '-') + '</td><td class="opt">' + esc(a.port) + '</td>' +
      '<td>' + esc(a.restarts) + '</td><td class="opt">' + (a.healthLatencyMs == null ? '-' : esc(a.healthLatencyMs) + ' ms') + '</td>' +
      '<td>' + esc(a.inflight) + '</td><td>' + esc(success) + '</td><td class="opt">' + esc(a.reason ?? a.lastExit ?? '') + '</td></tr>';
  }).join('');
  renderApprovals(doc.approvals ?? []);
  const alerts = doc.alerts ?? [];
  $('alerts').className = alerts.length ? '' : 'none';
  $('alerts').innerHTML = alerts.length ? alerts.map((x) => '<div class="alert">' + esc(x.rule) + ' · ' + esc(x.message) + '</div>').join('') : 'none';
}
// A tool call waiting for a person: Approve / Deny (with an optional note) through the control API,
// as \`lightning approve|deny\` does; the session cookie is this page's control token.
function renderApprovals(items) {
  const box = $('approvals');
  // Redrawn only when the set changes: a note being typed must survive the refreshes.
  const key = items.map((x) => x.id).join(',');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.className = items.length ? '' : 'none';
  box.innerHTML = items.length ? items.map((x) =>
    '<div class="approval" data-task="' + esc(x.taskId) + '"><b>' + esc(x.tool) + '</b> <code>' + esc(x.args.slice(0, 300)) + '</code> · ' +
    esc(x.agent + '#' + x.instance) + ' · task ' + esc(x.taskId.slice(0, 8)) + ' · denied at ' + esc(new Date(x.deadline).toLocaleTimeString()) +
    ' <input class="note" placeholder="note (optional)"> <button data-verdict="approve">Approve</button> <button data-verdict="deny">Deny</button></div>').join('') : 'none';
}
$('approvals').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-verdict]');
  if (!button) return;
  const row = button.closest('[data-task]');
  const note = row.querySelector('.note').value.trim();
  button.disabled = true;
  const r = await fetch('/v1/tasks/' + encodeURIComponent(row.dataset.task) + '/' + button.dataset.verdict, {
    method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: note || null, from: 'dashboard' }),
  });
  if (!r.ok) { button.disabled = false; row.title = (await r.json().catch(() => ({}))).message ?? String(r.status); }
  delete $('approvals').dataset.key; // redraw on the next refresh, whatever it brings
  refresh();
});
// The learned numbers come worded by the supervisor (the one describeRecord), never recomputed here.
function renderSpend(stats) {
  const rows = stats.spend ?? [];
  $('spend').innerHTML = rows.length ? rows.map((r) =>
    '<tr data-spend="' + esc(r.agent) + '"><td>' + esc(r.agent) + '</td><td>' + esc(r.tasks) + '</td><td class="tokens">' + esc(r.tokens) + '</td><td class="cost">' + money(r.cost) + '</td></tr>').join('')
    : '<tr><td class="none" colspan="4">nothing spent yet</td></tr>';
}
function renderLearning(stats) {
  const rows = stats.rows ?? [];
  const pct = (v) => v == null ? '-' : Math.round(v * 100) + '%';
  $('learning').innerHTML = rows.length ? rows.map((r) =>
    '<tr data-learning="' + esc(r.kind + '/' + r.agent) + '"><td>' + esc(r.kind) + '</td><td>' + esc(r.agent) + '</td><td>' + esc(r.tasks) + '</td><td>' + pct(r.successRate) + '</td>' +
    '<td class="learned">' + esc(r.learned ? (r.learned.text ?? '-') : 'learning off') + '</td><td class="opt">' + pct(r.share) + '</td></tr>').join('')
    : '<tr><td class="none" colspan="6">no finished tasks yet</td></tr>';
}
const tokens = (t) => t.usage ? String(t.usage.totalTokens) : '-';
const money = (cost) => typeof cost === 'number' ? '$' + cost.toFixed(4) : '-';
function taskRow(t, step) {
  // A team step's first cell is its place in the tree (├─ / └─ and its name: plan, s1 …, combine).
  const first = step ? esc(step.branch + ' ' + (t.role === 'subtask' ? (t.subtask ?? '?') : t.role)) : esc(new Date(t.submittedAt).toLocaleTimeString());
  const tag = t.team ? '<span class="team-tag"' + (t.teamReason ? ' title="' + esc("the router's proposal: " + t.teamReason) + '"' : '') + '>team</span>' : '';
  return '<tr data-task="' + esc(t.id) + '"' + (step ? ' class="step" data-parent="' + esc(t.parentId) + '"' : '') + '><td>' + first + '</td>' +
    '<td class="state ' + esc(t.status) + '">' + esc(t.status) + '</td><td>' + esc(t.agent ?? '-') + '</td><td class="opt">' + dur(t.durationMs) + '</td>' +
    '<td class="tokens">' + tokens(t) + '</td><td class="cost">' + money(t.cost) + '</td>' +
    '<td>' + tag + '<details><summary>' + esc(t.input.slice(0, 70)) + '</summary><pre>' + esc(t.output ?? t.error ?? '') + '</pre></details></td></tr>';
}
// Team tasks as trees: the list holds every task, steps included; each step goes under its team
// task (in the order it was submitted), a step whose team is not in the list stands on its own.
// The list comes newest first in the ledger's order, so its reverse is the order of submission —
// which timestamps cannot give: steps submitted together share a millisecond.
function renderTasks(tasks) {
  const ids = new Set(tasks.map((t) => t.id)), steps = new Map();
  for (const t of tasks.slice().reverse()) if (t.parentId && ids.has(t.parentId)) (steps.get(t.parentId) ?? steps.set(t.parentId, []).get(t.parentId)).push(t);
  const rows = [];
  for (const t of tasks.filter((t) => !(t.parentId && ids.has(t.parentId))).slice(0, 50)) {
    rows.push(taskRow(t, null));
    const children = steps.get(t.id) ?? [];
    children.forEach((c, i) => rows.push(taskRow(c, { branch: i === children.length - 1 ? '└─' : '├─' })));
  }
  $('tasks').innerHTML = rows.join('');
  const now = Date.now(), buckets = 12, width = 5 * 60 * 1000;
  const counts = new Array(buckets).fill(0), lat = Array.from({ length: buckets }, () => []);
  for (const t of tasks) {
    // A team task counts once: its steps are its work, not tasks of their own here.
    if (!t.finishedAt || t.parentId) continue;
    const i = buckets - 1 - Math.floor((now - Date.parse(t.finishedAt)) / width);
    if (i < 0 || i >= buckets) continue;
    counts[i] += 1;
    if (t.status === 'completed' && t.durationMs != null) lat[i].push(t.durationMs / 1000);
  }
  const p50 = lat.map((l) => l.length ? l.sort((a, b) => a - b)[Math.floor(l.length / 2)] : 0);
  bars($('throughput'), counts, ''); bars($('latency'), p50, 'lat');
}
function bars(svg, values, cls) {
  const max = Math.max(1e-9, ...values), w = 360 / values.length;
  svg.innerHTML = values.map((v, i) => { const h = v ? Math.max(2, 100 * v / max) : 0;
    return '<rect class="bar ' + cls + '" x="' + (i * w + 2) + '" y="' + (105 - h) + '" width="' + (w - 4) + '" height="' + h + '"><title>' + v + '</title></rect>'; }).join('') +
    '<text class="axis" x="2" y="118">-60m</text><text class="axis" x="330" y="118">now</text><text class="axis" x="2" y="10">' + (Number.isInteger(max) ? max : max.toFixed(2)) + '</text>';
}
let pending = null;
function refresh() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    try { const [doc, list, stats] = await Promise.all([get('/v1/agents'), get('/v1/tasks?limit=500'), get('/v1/stats')]); renderAgents(doc); renderTasks(list.tasks); renderLearning(stats); renderSpend(stats); }
    catch (e) { $('meta').textContent = 'disconnected: ' + e.message; }
  }, 150);
}
function connect() {
  const source = new EventSource('/v1/events');
  source.onopen = () => { $('live').className = 'on'; refresh(); };
  source.onerror = () => { $('live').className = ''; };
  for (const name of ['agent.state', 'task.submitted', 'task.planned', 'task.waiting', 'task.completed', 'task.failed', 'task.cancelled', 'task.routed', 'alert.fired', 'alert.resolved', 'approval.requested', 'approval.decided']) source.addEventListener(name, refresh);
}
refresh(); connect(); setInterval(refresh, 5000);
</script>
</body>
</html>
`;

export const LOGIN_NEEDED_HTML = `<!doctype html><meta charset="utf-8"><title>lightning</title>
<body style="font:15px system-ui;background:#0f1115;color:#e6e9ef;padding:2rem">
<h1>⚡ lightning</h1><p>This dashboard needs a login link. Run <code>lightning dashboard</code> (or <code>lightning dashboard --open</code>) and open the URL it prints.</p></body>`;
