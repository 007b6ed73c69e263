import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { followFile, logFilesOf, readLastLines, readLastLinesMarked } from '../../src/logs/tail.js';
import { LogWriter } from '../../src/supervisor/log-writer.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-tail-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await sleep(5);
  }
}
/** Drops the `<ISO> ` prefix a LogWriter puts on each line. */
const body = (line: string): string => line.slice(line.indexOf(' ') + 1);

describe('logFilesOf', () => {
  test('lists the live file and rotated siblings, oldest first, ignoring others', () => {
    for (const name of ['a-0.log', 'a-0.log.1', 'a-0.log.2', 'a-0.log.10', 'a-1.log', 'a-0.log.tmp', 'aa-0.log.1']) {
      fs.writeFileSync(path.join(dir, name), '');
    }
    expect(logFilesOf(dir, 'a', 0)).toEqual(['a-0.log.10', 'a-0.log.2', 'a-0.log.1', 'a-0.log'].map((n) => path.join(dir, n)));
    expect(logFilesOf(dir, 'a', 1)).toEqual([path.join(dir, 'a-1.log')]);
    expect(logFilesOf(dir, 'b', 0)).toEqual([]);
    expect(logFilesOf(path.join(dir, 'missing'), 'a', 0)).toEqual([]);
  });
});

describe('readLastLines', () => {
  test('reads the last n lines across a rotation boundary', () => {
    const file = path.join(dir, 'w-0.log');
    const w = new LogWriter({ file, maxBytes: 400, files: 5 });
    for (let i = 0; i < 30; i++) w.note(`m${i}`);
    w.close();
    const files = logFilesOf(dir, 'w', 0);
    expect(files.length).toBeGreaterThan(1);
    const liveCount = fs.readFileSync(file, 'utf8').trimEnd().split('\n').length;
    const n = liveCount + 3; // reaches 3 lines into .log.1
    expect(readLastLines(files, n).map(body)).toEqual(Array.from({ length: n }, (_, k) => `[lightning] m${30 - n + k}`));
    expect(readLastLines(files, 1).map(body)).toEqual(['[lightning] m29']);
    expect(readLastLines(files, 0)).toEqual([]);
    expect(readLastLines(files, 1000)).toHaveLength(30);
  });

  test('reads backwards in blocks from a large file, and handles no trailing newline', () => {
    const file = path.join(dir, 'big.log');
    const lines = Array.from({ length: 50_000 }, (_, i) => `row ${i} ${'é'.repeat(i % 7)}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    expect(readLastLines([file], 3)).toEqual(lines.slice(-3));
    expect(readLastLines([file], 20_000)).toEqual(lines.slice(-20_000));
    fs.writeFileSync(file, 'a\nb\nc');
    expect(readLastLines([file], 2)).toEqual(['b', 'c']);
    expect(readLastLines([file, path.join(dir, 'gone.log')], 2)).toEqual(['b', 'c']);
  });
});

describe('followFile', () => {
  test('sees appended lines, joins partial ones, and stops on abort', async () => {
    const file = path.join(dir, 'f.log');
    fs.writeFileSync(file, 'old\n');
    const got: string[] = [];
    const ac = new AbortController();
    const done = followFile(file, (l) => got.push(l), { pollMs: 10, signal: ac.signal });
    await waitFor(() => got.length === 1);
    fs.appendFileSync(file, 'one\ntw');
    await waitFor(() => got.length === 2);
    fs.appendFileSync(file, 'o\n');
    await waitFor(() => got.length === 3);
    expect(got).toEqual(['old', 'one', 'two']);
    ac.abort();
    await done; // resolves, does not hang or reject
  });

  test('fromEnd skips existing content', async () => {
    const file = path.join(dir, 'e.log');
    fs.writeFileSync(file, 'old\n');
    const got: string[] = [];
    const ac = new AbortController();
    const done = followFile(file, (l) => got.push(l), { pollMs: 10, signal: ac.signal, fromEnd: true });
    await sleep(30);
    fs.appendFileSync(file, 'new\n');
    await waitFor(() => got.length === 1);
    ac.abort();
    await done;
    expect(got).toEqual(['new']);
  });

  test('waits for a file created later', async () => {
    const file = path.join(dir, 'later.log');
    const got: string[] = [];
    const ac = new AbortController();
    // fromEnd applies only to a file present at start; one appearing later is read whole.
    const done = followFile(file, (l) => got.push(l), { pollMs: 10, signal: ac.signal, fromEnd: true });
    await sleep(50);
    fs.writeFileSync(file, 'born\n');
    await waitFor(() => got.length === 1);
    ac.abort();
    await done;
    expect(got).toEqual(['born']);
  });

  test('starts over after truncation in place', async () => {
    const file = path.join(dir, 't.log');
    fs.writeFileSync(file, 'aaaaaaaa\nbbbbbbbb\n');
    const got: string[] = [];
    const ac = new AbortController();
    const done = followFile(file, (l) => got.push(l), { pollMs: 10, signal: ac.signal });
    await waitFor(() => got.length === 2);
    fs.truncateSync(file, 0);
    await sleep(40);
    fs.appendFileSync(file, 'c\n');
    await waitFor(() => got.length === 3);
    ac.abort();
    await done;
    expect(got).toEqual(['aaaaaaaa', 'bbbbbbbb', 'c']);
  });

  test('follows a LogWriter through many rotations without losing or duplicating lines', async () => {
    const file = path.join(dir, 'r-0.log');
    // ~45-byte lines, 400-byte files: a rotation every ~8 lines, ~60 rotations in all.
    const w = new LogWriter({ file, maxBytes: 400, files: 3 });
    const got: string[] = [];
    const ac = new AbortController();
    const done = followFile(file, (l) => got.push(body(l)), { pollMs: 10, signal: ac.signal });
    const out = w.stream('stdout');
    const total = 500;
    const batch = 4; // fewer lines than a file holds: at most one rotation between catch-ups
    for (let i = 0; i < total; i += batch) {
      for (let k = i; k < Math.min(i + batch, total); k++) out(`line ${k}\n`);
      const want = Math.min(i + batch, total);
      await waitFor(() => got.length >= want);
    }
    w.close();
    await sleep(30); // give a duplicate, if any, the chance to show up
    ac.abort();
    await done;
    expect(got).toEqual(Array.from({ length: total }, (_, k) => `line ${k}`));
    expect(fs.readdirSync(dir).sort()).toEqual(['r-0.log', 'r-0.log.1', 'r-0.log.2']);
  }, 20000);
});

describe('readLastLinesMarked + followFile startAt', () => {
  test('following continues where the tail stopped: lines written in between are neither lost nor repeated', async () => {
    const file = path.join(dir, 'a-0.log');
    fs.writeFileSync(file, 'one\ntwo\nthree\n');
    const { lines, mark } = readLastLinesMarked([file], 2);
    expect(lines).toEqual(['two', 'three']);
    fs.appendFileSync(file, 'written between tail and follow\n');
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followFile(file, (line) => seen.push(line), { signal: controller.signal, startAt: mark, fromEnd: true, pollMs: 10 });
    fs.appendFileSync(file, 'after\n');
    await waitFor(() => seen.length >= 2);
    controller.abort();
    await following;
    expect(seen).toEqual(['written between tail and follow', 'after']);
  });
});
