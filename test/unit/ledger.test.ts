import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LedgerEvent, LedgerEventBody } from '../../src/protocol/events.js';
import { TaskIndex, deriveTasks, readEvents, readRecentTasks, toTaskResult } from '../../src/ledger/reader.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { Secrets } from '../../src/util/secrets.js';
import type { TaskStatus } from '../../src/protocol/task.js';

type Body = LedgerEventBody & { taskId: string };

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-ledger-'));
  file = path.join(dir, '.lightning', 'ledger.jsonl'); // .lightning/ does not exist yet
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const lines = (f: string): string[] => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
const submitted = (taskId: string, input = `do ${taskId}`): Body => ({
  event: 'task.submitted', taskId, input, agent: null, timeoutMs: 60_000,
});
const routed = (taskId: string, agent = 'coder', attempt = 1): Body => ({
  event: 'task.routed', taskId, attempt, agent, instance: 0, candidates: [{ agent, score: 0.9 }], reason: 'best match',
});
const attempt = (taskId: string, status: 'completed' | 'failed' | 'timeout', agent = 'coder'): Body => ({
  event: 'task.attempt', taskId, attempt: 1, agent, instance: 0, status, error: status === 'completed' ? null : status, durationMs: 5,
});
const completed = (taskId: string, agent = 'coder', output = `done ${taskId}`): Body => ({
  event: 'task.completed', taskId, agent, instance: 0, output, outputFile: null, usage: null, files: ['a.txt'], durationMs: 7,
});
const failed = (taskId: string, reason: 'error' | 'timeout' = 'error'): Body => ({
  event: 'task.failed', taskId, reason, error: `it ${reason}`, durationMs: 9,
});
let clock = 0;
/** Events as the writer would stamp them, for derivation tests that need no file. */
const ev = (body: Body): LedgerEvent =>
  ({ v: 1, ts: new Date(Date.UTC(2024, 0, 1) + clock++ * 1000).toISOString(), ...body }) as LedgerEvent;

describe('LedgerWriter', () => {
  test('group commit: 1,000 concurrent appends take a handful of flushes, all lines in order', async () => {
    const batches: number[] = [];
    const w = LedgerWriter.open(file, { onFlush: (n) => batches.push(n) });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => w.append(submitted(`t${i}`))));
    await w.close();
    expect(batches.length).toBeLessThanOrEqual(5);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(1000);
    const got = lines(file);
    expect(got).toHaveLength(1000);
    got.forEach((line, i) => {
      expect(line.startsWith('{"v":1,"ts":"')).toBe(true);
      const parsed = JSON.parse(line) as LedgerEvent;
      expect(parsed).toMatchObject({ v: 1, event: 'task.submitted', taskId: `t${i}` });
      expect(new Date(parsed.ts).toISOString()).toBe(parsed.ts);
    });
  });

  test('appends made while a flush is in flight share the next one', async () => {
    const w = LedgerWriter.open(file);
    // 50 writers, each waiting for its previous append to be durable before the next.
    await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        for (let j = 0; j < 20; j += 1) await w.append(submitted(`w${k}-${j}`));
      }),
    );
    expect(w.flushes).toBeLessThanOrEqual(25); // one per round of the 50 writers, ideally 20
    await w.close();
    const got = lines(file).map((l) => (JSON.parse(l) as LedgerEvent).taskId);
    expect(got).toHaveLength(1000);
    for (let k = 0; k < 50; k += 1) {
      const mine = got.filter((id) => id.startsWith(`w${k}-`));
      expect(mine).toEqual(Array.from({ length: 20 }, (_, j) => `w${k}-${j}`));
    }
  });

  test("'soon' lines ride with the next 'now' line: one durable write for a task's four lines", async () => {
    const batches: number[] = [];
    const w = LedgerWriter.open(file, { onFlush: (n) => batches.push(n) });
    const soon = { by: 'soon', withinMs: 60_000 } as const;
    const early = [w.append(submitted('t1'), soon), w.append(attempt('t1', 'completed'), soon)];
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(batches).toEqual([]); // nobody waits on them yet: not written
    await w.append(completed('t1'));
    await Promise.all(early);
    expect(batches).toEqual([3]);
    expect(lines(file).map((l) => (JSON.parse(l) as LedgerEvent).event)).toEqual(['task.submitted', 'task.attempt', 'task.completed']);
    await w.close();
  });

  test("'soon' lines are written within their time, by flush(), and by close()", async () => {
    const batches: number[] = [];
    const w = LedgerWriter.open(file, { onFlush: (n) => batches.push(n) });
    await w.append(submitted('a'), { by: 'soon', withinMs: 20 }); // no one else: its own time comes
    expect(batches).toEqual([1]);
    const flushed = w.append(submitted('b'), { by: 'soon', withinMs: 60_000 });
    w.flush();
    await flushed;
    expect(batches).toEqual([1, 1]);
    const closing = w.append(submitted('c'), { by: 'soon', withinMs: 60_000 });
    await w.close();
    await closing;
    expect(lines(file).map((l) => (JSON.parse(l) as LedgerEvent).taskId)).toEqual(['a', 'b', 'c']);
  });

  test('secrets are redacted, escaped or not, and the line stays valid JSON', async () => {
    const key = 'sk-live-0123456789abcdef';
    const odd = 'pa"ss\\word-99';
    const w = LedgerWriter.open(file, { secrets: new Secrets([key, odd, 'short', '']) });
    await w.append(submitted('t1', `use ${key} and ${odd} please, short`));
    await w.append({ event: 'task.failed', taskId: 't1', reason: 'error', error: `401 for key ${key}`, durationMs: 1 });
    await w.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(JSON.stringify(odd).slice(1, -1));
    const [a, b] = lines(file).map((l) => JSON.parse(l) as Record<string, string>);
    expect(a?.input).toBe('use [redacted] and [redacted] please, short');
    expect(b?.error).toBe('401 for key [redacted]');
  });

  test('a torn line left by a crash does not swallow the next append', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const whole = JSON.stringify(ev(submitted('t1')));
    fs.writeFileSync(file, `${whole}\n${whole.slice(0, 25)}`);
    const w = LedgerWriter.open(file);
    await w.append(submitted('t2'));
    await w.close();
    expect(readEvents(file).map((e) => e.taskId)).toEqual(['t1', 't2']);
  });

  const devFull = process.platform === 'linux' && fs.existsSync('/dev/full');
  (devFull ? test : test.skip)('a failed write rejects the affected appends, nothing crashes', async () => {
    const w = LedgerWriter.open('/dev/full');
    const results = await Promise.allSettled([w.append(submitted('a')), w.append(submitted('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(w.append(submitted('c'))).rejects.toMatchObject({ code: 'ENOSPC' });
    await w.close();
    await expect(w.append(submitted('d'))).rejects.toThrow(/closed/);
  });
});

describe('readEvents', () => {
  test('missing file is an empty ledger', () => {
    expect(readEvents(path.join(dir, 'nope.jsonl'))).toEqual([]);
  });

  test('skips a torn last line, garbage, and lines without the envelope', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const good = [ev(submitted('t1')), ev(routed('t1')), ev(completed('t1'))].map((e) => JSON.stringify(e));
    const content = [
      good[0],
      'garbage {{{',
      '{"v":1,"event":"task.routed","ts":"x"}', // no taskId
      '{"taskId":"t1","event":"task.failed","ts":"x"}', // no v
      '{"v":1,"taskId":"t1","ts":"x"}', // no event
      '{"v":1,"taskId":"t1","ts":"x","event":"task.exploded"}', // not an event we know
      '[1,2]',
      '',
      good[1],
      good[2],
      good[2]!.slice(0, 40),
    ].join('\n');
    fs.writeFileSync(file, content);
    expect(readEvents(file).map((e) => e.event)).toEqual(['task.submitted', 'task.routed', 'task.completed']);
  });
});

describe('derivation', () => {
  test('each status', () => {
    const events = [
      ...['s', 'r', 'c', 'f', 'to', 'x', 'i'].map((id) => ev(submitted(id))),
      ...['r', 'c', 'f', 'to', 'x', 'i'].map((id) => ev(routed(id, id === 'f' ? 'writer' : 'coder'))),
      ev(attempt('c', 'completed')),
      ev(completed('c')),
      ev(failed('f')),
      ev(attempt('to', 'timeout')),
      ev(failed('to', 'timeout')),
      ev({ event: 'task.cancelled', taskId: 'x', by: 'user', durationMs: 3 }),
      ev({ event: 'task.interrupted', taskId: 'i', error: 'supervisor restarted' }),
      ev({ event: 'feedback', taskId: 'c', rating: 'good', note: 'nice' }),
    ];
    const tasks = deriveTasks(events);
    expect([...tasks.keys()]).toEqual(['s', 'r', 'c', 'f', 'to', 'x', 'i']);
    expect([...tasks.values()].map((t) => t.status)).toEqual([
      'submitted', 'running', 'completed', 'failed', 'timeout', 'cancelled', 'interrupted',
    ]);
    const c = tasks.get('c')!;
    expect(c).toMatchObject({ agent: 'coder', instance: 0, output: 'done c', files: ['a.txt'], durationMs: 7, error: null });
    expect(c.attempts).toEqual([{ agent: 'coder', instance: 0, status: 'completed', error: null, durationMs: 5 }]);
    expect(c.routed).toEqual([{ attempt: 1, agent: 'coder', instance: 0, candidates: [{ agent: 'coder', score: 0.9 }], reason: 'best match', static: null, explored: false, decision: null }]);
    expect(c.feedback).toEqual([{ rating: 'good', note: 'nice', ts: events[events.length - 1]!.ts }]);
    expect(c.finishedAt).toBe(events.find((e) => e.event === 'task.completed')!.ts);
    expect(tasks.get('to')).toMatchObject({ error: 'it timeout', durationMs: 9 });
    expect(tasks.get('i')).toMatchObject({ error: 'supervisor restarted', durationMs: null });
    expect(tasks.get('s')).toMatchObject({ agent: null, finishedAt: null, requestedAgent: null });
    expect(toTaskResult(c)).toEqual({
      id: 'c', agent: 'coder', instance: 0, status: 'completed', input: 'do c', output: 'done c', error: null,
      attempts: c.attempts, durationMs: 7, usage: null, files: ['a.txt'], submittedAt: c.submittedAt, finishedAt: c.finishedAt, failure: null,
      routing: { candidates: [{ agent: 'coder', score: 0.9 }], reason: 'best match', static: null, explored: false },
      waiting: null,
    });

    const index = new TaskIndex(events);
    expect(index.unfinished().map((t) => t.id)).toEqual(['s', 'r']);
    expect(index.list({ limit: 3 }).map((t) => t.id)).toEqual(['i', 'x', 'to']);
    expect(index.list({ status: 'failed' }).map((t) => t.id)).toEqual(['f']);
    expect(index.counts()).toEqual(new Map([['coder', { completed: 1, failed: 1 }], ['writer', { completed: 0, failed: 1 }]]));
  });

  test('waiting for an agent: a status of its own, cleared by the routing that ends it', () => {
    const waiting = ev({ event: 'task.waiting', taskId: 'w', agent: 'coder', reason: 'restarting', message: 'no healthy instance' });
    const submittedW = ev(submitted('w'));
    const index = new TaskIndex([submittedW, waiting]);
    expect(index.get('w')).toMatchObject({ status: 'waiting', waiting: { agent: 'coder', since: waiting.ts, reason: 'restarting', message: 'no healthy instance' } });
    expect(toTaskResult(index.get('w')!).waiting).toMatchObject({ agent: 'coder' });
    expect(index.unfinished().map((t) => t.id)).toEqual(['w']);
    expect(index.list({ status: 'waiting' }).map((t) => t.id)).toEqual(['w']);
    index.apply(ev(routed('w', 'coder')));
    expect(index.get('w')).toMatchObject({ status: 'running', waiting: null });
    index.apply(ev(completed('w')));
    index.apply(ev({ event: 'task.waiting', taskId: 'w', agent: 'coder', reason: 'restarting', message: 'late' }));
    expect(index.get('w')).toMatchObject({ status: 'completed', waiting: null });
  });

  test('the first terminal event is final; strays are ignored', () => {
    const index = new TaskIndex();
    for (const body of [
      completed('ghost'), // never submitted
      submitted('t1'),
      routed('t1'),
      completed('t1'),
      failed('t1'), // second terminal event
      { event: 'task.interrupted', taskId: 't1', error: 'x' } as Body,
      routed('t1', 'other', 2), // a late routing must not make it running again
      submitted('t1', 'resubmitted'), // a duplicate id must not reset it
    ]) {
      index.apply(ev(body));
    }
    expect(index.get('ghost')).toBeUndefined();
    expect(index.get('t1')).toMatchObject({ status: 'completed', agent: 'coder', error: null, input: 'do t1', routed: [expect.anything()] });
    expect(index.counts()).toEqual(new Map([['coder', { completed: 1, failed: 0 }]]));
  });
});

describe('readRecentTasks', () => {
  /** A deterministic pseudo-random ledger: tasks overlap, some never finish, some outputs span blocks. */
  async function generate(tasks: number): Promise<void> {
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const w = LedgerWriter.open(file);
    const active: Array<{ id: string; step: number; fate: number }> = [];
    let next = 0;
    const pending: Array<Promise<void>> = [];
    while (next < tasks || active.length > 0) {
      if (next < tasks && (active.length < 8 || rand(3) === 0)) {
        const id = `t${next++}`;
        active.push({ id, step: 0, fate: rand(7) });
        pending.push(w.append(submitted(id, `input ${id} `.repeat(rand(10) + 1))));
        continue;
      }
      const k = rand(active.length);
      const t = active[k]!;
      t.step += 1;
      const agent = ['coder', 'writer', 'tester'][rand(3)]!;
      let body: Body | null = null;
      if (t.fate === 0 || (t.fate === 1 && t.step > 1)) body = null; // stays submitted / running
      else if (t.step === 1) body = routed(t.id, agent);
      else if (t.step === 2) body = attempt(t.id, t.fate === 3 ? 'failed' : 'completed', agent);
      else if (t.step === 3) {
        if (t.fate === 2) body = failed(t.id, 'timeout');
        else if (t.fate === 3) body = failed(t.id);
        else if (t.fate === 4) body = { event: 'task.cancelled', taskId: t.id, by: 'api', durationMs: 1 };
        else if (t.fate === 5) body = { event: 'task.interrupted', taskId: t.id, error: 'restart' };
        else body = completed(t.id, agent, 'out '.repeat(rand(25) === 0 ? 20_000 : rand(200)));
      } else if (t.step === 4) body = { event: 'feedback', taskId: t.id, rating: 'bad', note: null };
      if (body) pending.push(w.append(body));
      if (!body || t.step >= 4) active.splice(k, 1);
    }
    await Promise.all(pending);
    await w.close();
  }

  test('matches deriving the whole file, for several limits and filters', async () => {
    await generate(400);
    fs.appendFileSync(file, '{"v":1,"ts":"2024-01-01T00:00:00.000Z","event":"task.comp'); // torn tail
    expect(fs.statSync(file).size).toBeGreaterThan(256 * 1024); // several backward blocks, lines longer than one
    const raw = lines(file);
    expect(Math.max(...raw.map((l) => l.length))).toBeGreaterThan(64 * 1024); // longer than the first block
    const ids = raw.slice(0, -1).map((l) => (JSON.parse(l) as LedgerEvent).taskId);
    expect(ids.findIndex((id, i) => i > 0 && id !== ids[i - 1] && ids.indexOf(id) < i - 1)).toBeGreaterThan(0); // interleaved
    const whole = new TaskIndex(readEvents(file));
    expect(whole.size).toBe(400);
    const statuses: Array<TaskStatus | undefined> = [
      undefined, 'submitted', 'running', 'completed', 'failed', 'timeout', 'cancelled', 'interrupted',
    ];
    for (const status of statuses) {
      for (const limit of [1, 3, 20, 10_000]) {
        const expected = whole.list({ status, limit });
        expect(readRecentTasks(file, { limit, status })).toEqual(expected);
      }
    }
    expect(readRecentTasks(file, { limit: 0 })).toEqual([]);
    expect(readRecentTasks(path.join(dir, 'nope.jsonl'), { limit: 5 })).toEqual([]);
  });
});
