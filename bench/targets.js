// The performance targets the issues set (#16: the task hot path, #17: start-up and idle cost),
// each computed from one run's medians: bench/report.js shows them, this run beside the previous.
// A target's figure is null when its benchmark was not part of the run (`--only`). `bare`, where
// there is one, is the same figure for a minimal Node program doing the same job, measured in the
// same run: where it misses a target too, the target asks for less than Node alone costs here.

/** `m(sectionId, rowKey)` → that row's median in a run, or undefined. */
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);

export const TARGETS = [
  { issue: 16, figure: 'Supervisor CPU per task, concurrency 100', target: '≤ 0.35 ms', unit: 'ms', limit: 0.35, of: (m) => m('routing', 'supervisorCpu100'), bare: (m) => m('routing', 'bareProxyCpu100') },
  { issue: 16, figure: 'Routing overhead at p50, one task at a time', target: '≤ 0.5 ms', unit: 'ms', limit: 0.5, of: (m) => m('routing', 'overheadP50_1'), bare: (m) => m('routing', 'bareProxyOverheadP50_1') },
  { issue: 16, figure: 'Throughput through the supervisor ÷ direct, concurrency 100', target: '≥ 0.9×', unit: '×', atLeast: 0.9, of: (m) => ratio(m('routing', 'supervisor100'), m('routing', 'direct100')), bare: (m) => ratio(m('routing', 'bareProxy100'), m('routing', 'direct100')) },
  { issue: 16, figure: 'Throughput through the supervisor ÷ direct, concurrency 1,000', target: '≥ 0.9×', unit: '×', atLeast: 0.9, of: (m) => ratio(m('routing', 'supervisor1000'), m('routing', 'direct1000')), bare: (m) => ratio(m('routing', 'bareProxy1000'), m('routing', 'direct1000')) },
  { issue: 17, id: 'up', figure: '`up -d` → six agents healthy', target: '≤ 350 ms', unit: 'ms', limit: 350, of: (m) => m('cold-start', 'lightning'), bare: (m) => m('cold-start', 'bareSix') },
  { issue: 17, figure: '`up -d` → six healthy ÷ PM2 cold start (→ /health)', target: '≤ 0.55×', unit: '×', limit: 0.55, of: (m) => ratio(m('cold-start', 'lightning'), m('cold-start', 'pm2Healthy')), bare: (m) => ratio(m('cold-start', 'bareSix'), m('cold-start', 'pm2Healthy')) },
  { issue: 17, figure: '`up -d` → six healthy ÷ six bare Node servers started at once (the floor)', target: '≤ 1.75×', unit: '×', limit: 1.75, of: (m) => ratio(m('cold-start', 'lightning'), m('cold-start', 'bareSix')) },
  { issue: 17, figure: 'A worker ready ÷ `node -e 0`', target: '≤ 1.5×', unit: '×', limit: 1.5, of: (m) => ratio(m('worker-start', 'worker'), m('worker-start', 'floor')) },
  { issue: 17, figure: '`lightning status` ÷ `node -e 0` (the package)', target: '≤ 1.3×', unit: '×', limit: 1.3, of: (m) => ratio(m('cli-builds', 'status-bundle'), m('cli-builds', 'floor')) },
  { issue: 17, figure: '`lightning tasks` ÷ `node -e 0` (the package)', target: '≤ 1.3×', unit: '×', limit: 1.3, of: (m) => ratio(m('cli-builds', 'tasks-bundle'), m('cli-builds', 'floor')) },
  { issue: 17, figure: 'Idle supervisor CPU, six agents probed each second', target: '≤ 0.6 %', unit: '%', limit: 0.6, of: (m) => m('idle', 'supervisorCpu'), bare: (m) => m('idle', 'proberCpu') },
  { issue: 17, figure: 'Idle supervisor RSS', target: '≤ 60 MiB', unit: 'MiB', limit: 60, of: (m) => m('idle', 'supervisorRss'), bare: (m) => m('idle', 'proberRss') },
];

/** Whether a figure meets its target (null: not measured in that run). */
export function met(target, figure) {
  if (figure === undefined || figure === null || !Number.isFinite(figure)) return null;
  return target.atLeast !== undefined ? figure >= target.atLeast : figure <= target.limit;
}
