// Ledger: durable append throughput (group commit), and `lightning tasks` / `lightning stats` on a
// 100,000-task ledger (plus the reader functions in process, which the CLI wraps).
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { deriveTasks, readEvents, readRecentTasks } from '../dist/ledger/reader.js';
import { LedgerWriter } from '../dist/ledger/writer.js';
import { Secrets } from '../dist/util/secrets.js';
import { QUICK, lightning, median, removeDir, sixAgentProject, summary } from './lib.js';

const RUNS = QUICK ? 3 : 5;
/** The in-process reads of the whole 161 MB file take seconds each: fewer of them. */
const WHOLE_FILE_RUNS = QUICK ? 1 : 3;
const APPENDS = 20_000;
const CONCURRENCY = 200;
const TASKS = 100_000;
/** Tasks in flight at once while generating, so each task's five lines interleave with others'. */
const OVERLAP = 16;
const AGENTS = ['web_developer', 'researcher', 'writer', 'data_analyst', 'reviewer', 'tester'];

function text(length, seed) {
  const words = ['build', 'a', 'landing', 'page', 'for', 'the', 'report', 'with', 'charts', 'and', 'tests', 'please'];
  let out = '';
  for (let i = seed; out.length < length; i += 7) out += `${words[i % words.length]} `;
  return out.slice(0, length);
}

async function appendThroughput(dir) {
  const file = path.join(dir, `append-${Math.random().toString(36).slice(2)}.jsonl`);
  const writer = LedgerWriter.open(file, { secrets: new Secrets(['sk-bench-0123456789']) });
  let issued = 0;
  const started = performance.now();
  // A pool of 200 callers, each appending as soon as its previous append is durable.
  const worker = async () => {
    while (issued < APPENDS) {
      const i = issued++;
      await writer.append({ event: 'task.submitted', taskId: `t${i}`, input: text(100, i), agent: null, timeoutMs: 600_000 });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - started;
  const fsyncs = writer.flushes;
  await writer.close();
  rmSync(file);
  return { rate: (APPENDS / ms) * 1000, fsyncs };
}

/** Lines as LedgerWriter writes them, without paying a durable write per batch to build the fixture. */
export function generateLedger(file) {
  const fd = openSync(file, 'w');
  const t0 = Date.UTC(2024, 0, 1);
  let seq = 0;
  let buffer = [];
  const line = (event, taskId, rest) => {
    const ts = new Date(t0 + seq++ * 250).toISOString();
    buffer.push(JSON.stringify({ v: 1, ts, event, taskId, ...rest }));
    if (buffer.length >= 4096) flush();
  };
  const flush = () => {
    writeSync(fd, buffer.join('\n') + '\n');
    buffer = [];
  };
  const steps = [
    (id, i) => line('task.submitted', id, { input: text(100, i), agent: null, timeoutMs: 600_000 }),
    (id, i) => {
      const agent = AGENTS[i % AGENTS.length];
      const candidates = AGENTS.map((name, k) => ({ agent: name, score: Number((1 - k / 10).toFixed(2)) }));
      line('task.routed', id, { attempt: 1, agent, instance: i % 2, candidates, reason: `best match for "${text(20, i)}"` });
    },
    (id, i) => {
      const agent = AGENTS[i % AGENTS.length];
      line('task.attempt', id, { attempt: 1, agent, instance: i % 2, status: 'completed', error: null, durationMs: 1200 + (i % 900) });
    },
    (id, i) => {
      const agent = AGENTS[i % AGENTS.length];
      const usage = { promptTokens: 812, completionTokens: 240, totalTokens: 1052 };
      const output = text(500, i);
      line('task.completed', id, { agent, instance: i % 2, output, outputFile: null, usage, files: ['index.html'], durationMs: 1300 + (i % 900) });
    },
    (id, i) => line('feedback', id, { rating: i % 5 ? 'good' : 'bad', note: i % 3 ? null : 'could be shorter' }),
  ];
  // A sliding window: task i's k-th event is written in round i+k, between other tasks' events.
  const stepSpacing = Math.ceil(OVERLAP / steps.length);
  for (let round = 0; round < TASKS + steps.length * stepSpacing; round += 1) {
    for (let k = 0; k < steps.length; k += 1) {
      const i = round - k * stepSpacing;
      if (i >= 0 && i < TASKS) steps[k](`task-${String(i).padStart(6, '0')}`, i);
    }
  }
  flush();
  closeSync(fd);
}

/** summary() rounds to whole ms, which hides a sub-millisecond read. */
function precise(values) {
  const fmt = (value) => `${value.toFixed(2)} ms`;
  return `median ${fmt(median(values))} (min ${fmt(Math.min(...values))}, max ${fmt(Math.max(...values))}, n=${values.length})`;
}

function time(fn, count = RUNS) {
  const runs = [];
  let result;
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    result = fn();
    runs.push(performance.now() - started);
  }
  return { runs, result };
}

export async function run() {
  const dir = sixAgentProject();
  try {
    const appends = [];
    for (let i = 0; i < RUNS; i += 1) appends.push(await appendThroughput(dir));
    const rates = appends.map((a) => a.rate);
    const fsyncs = appends.map((a) => a.fsyncs);
    console.log(
      `ledger append, durable (${APPENDS} appends, ${CONCURRENCY} in flight): ${summary(rates, 'events/s')}; ` +
        `durable writes per run median ${median(fsyncs)} (${(APPENDS / median(fsyncs)).toFixed(0)} events/write)`,
    );

    // The fixture sits where `lightning tasks` and `lightning stats` look (no supervisor running).
    mkdirSync(path.join(dir, '.lightning'));
    const file = path.join(dir, '.lightning/ledger.jsonl');
    const generating = performance.now();
    generateLedger(file);
    const mb = statSync(file).size / 1024 / 1024;
    console.log(`generated ${TASKS} tasks × 5 events, ${mb.toFixed(0)} MB in ${(performance.now() - generating).toFixed(0)} ms`);

    const recent = time(() => readRecentTasks(file, { limit: 20 }));
    if (recent.result.length !== 20) throw new Error(`readRecentTasks returned ${recent.result.length} tasks`);
    console.log(`readRecentTasks(limit 20) on ${TASKS} tasks: ${precise(recent.runs)}`);

    const rare = time(() => readRecentTasks(file, { limit: 20, status: 'failed' }), WHOLE_FILE_RUNS);
    console.log(`readRecentTasks(limit 20, status failed — none exist, whole file read): ${summary(rare.runs)}`);

    const full = time(() => deriveTasks(readEvents(file)), WHOLE_FILE_RUNS);
    if (full.result.size !== TASKS) throw new Error(`deriveTasks found ${full.result.size} tasks`);
    console.log(`readEvents + deriveTasks, whole ledger: ${summary(full.runs)}`);

    const tasksCli = time(() => lightning(dir, ['tasks', '-n', '20']).ms).runs;
    const statsCli = time(() => lightning(dir, ['stats']).ms).runs;
    console.log(`lightning tasks over ${TASKS} tasks: ${summary(tasksCli)}; lightning stats: ${summary(statsCli)}`);
    return [
      {
        id: 'ledger',
        title: 'Ledger',
        method:
          `Durable appends: ${APPENDS.toLocaleString('en-US')} \`task.submitted\` events through LedgerWriter (group commit: one durable write per batch, the file opened O_DSYNC), ${CONCURRENCY} callers each awaiting durability before the next, ${RUNS} runs. ` +
          `Reads: a generated ledger of ${TASKS.toLocaleString('en-US')} tasks × 5 events (${mb.toFixed(0)} MB, lines as LedgerWriter writes them, tasks interleaved); the CLI commands with no supervisor running, wall time including Node start.`,
        rows: [
          { key: 'appendRate', label: 'durable appends', unit: 'events/s', runs: rates },
          { key: 'perFsync', label: 'events per durable write', unit: 'events', runs: fsyncs.map((n) => APPENDS / n) },
          { key: 'tasksCli', label: `\`lightning tasks\` (newest 20) over ${TASKS.toLocaleString('en-US')} tasks`, unit: 'ms', runs: tasksCli },
          { key: 'statsCli', label: `\`lightning stats\` over ${TASKS.toLocaleString('en-US')} tasks`, unit: 'ms', runs: statsCli },
          { key: 'recent', label: 'readRecentTasks(limit 20), in process', unit: 'ms', runs: recent.runs },
          { key: 'rare', label: 'readRecentTasks(limit 20, status with no match: whole file), in process', unit: 'ms', runs: rare.runs },
          { key: 'full', label: 'readEvents + deriveTasks, whole ledger, in process', unit: 'ms', runs: full.runs },
        ],
        comparisons: [],
      },
    ];
  } finally {
    removeDir(dir);
  }
}
