import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogWriter, MAX_PARTIAL_CHARS } from '../../src/supervisor/log-writer.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-logwriter-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2024-05-06T07:08:09.000Z');
/** A clock that advances 1 ms per call, so each line's timestamp shows which call stamped it. */
function tickingClock(): () => Date {
  let t = T0;
  return () => new Date(t++);
}
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
const read = (file: string): string => fs.readFileSync(file, 'utf8');

describe('LogWriter', () => {
  test('stamps every line of both streams and writes notes', () => {
    const file = path.join(dir, 'logs', 'a-0.log'); // logs/ does not exist yet
    const w = new LogWriter({ file, maxBytes: 1e6, files: 3, now: tickingClock() });
    const out = w.stream('stdout');
    const err = w.stream('stderr');
    w.note('started pid 123');
    out('hello\nworld\n');
    err(Buffer.from('oops\n'));
    w.note('exited with code 1; restarting in 200ms');
    w.close();
    expect(read(file)).toBe(
      [
        `${iso(0)} [lightning] started pid 123`,
        `${iso(1)} hello`,
        `${iso(2)} world`,
        `${iso(3)} oops`,
        `${iso(4)} [lightning] exited with code 1; restarting in 200ms`,
        '',
      ].join('\n'),
    );
  });

  test('joins partial lines across chunks, per stream', () => {
    const file = path.join(dir, 'b-0.log');
    const w = new LogWriter({ file, maxBytes: 1e6, files: 3, now: tickingClock() });
    const out = w.stream('stdout');
    const err = w.stream('stderr');
    out('hel');
    err('err-');
    out('lo wo');
    err('line\r\n'); // CRLF: the \r is dropped
    out('rld\nnext');
    // A multi-byte character split across two Buffer chunks survives.
    const euro = Buffer.from('€\n');
    out(euro.subarray(0, 1));
    out(euro.subarray(1));
    expect(read(file).split('\n')).toEqual([`${iso(0)} err-line`, `${iso(1)} hello world`, `${iso(2)} next€`, '']);
    out('tail without newline');
    w.flush();
    expect(read(file).split('\n').slice(-2)).toEqual([`${iso(3)} tail without newline`, '']);
    w.close();
  });

  test('flushes a runaway partial line so memory stays bounded', () => {
    const file = path.join(dir, 'c-0.log');
    const w = new LogWriter({ file, maxBytes: 1e7, files: 2, now: tickingClock() });
    const out = w.stream('stdout');
    out('x'.repeat(MAX_PARTIAL_CHARS + 10));
    const lines = read(file).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${iso(0)} ${'x'.repeat(MAX_PARTIAL_CHARS)}`);
    w.close(); // close flushes the remaining 10
    expect(read(file).split('\n')[1]).toBe(`${iso(1)} ${'x'.repeat(10)}`);
  });

  test('rotates by size, keeping exactly `files` files with the newest in .log', () => {
    const file = path.join(dir, 'd-0.log');
    const maxBytes = 300;
    const w = new LogWriter({ file, maxBytes, files: 3, now: tickingClock() });
    const out = w.stream('stdout');
    for (let i = 0; i < 200; i++) out(`line ${String(i).padStart(3, '0')}\n`);
    w.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['d-0.log', 'd-0.log.1', 'd-0.log.2']);
    const all = [`${file}.2`, `${file}.1`, file].map(read);
    for (const content of all) expect(Buffer.byteLength(content)).toBeLessThanOrEqual(maxBytes);
    // Content is contiguous across the kept files and ends with the newest line.
    const lines = all.join('').trimEnd().split('\n').map((l) => l.slice(l.indexOf(' ') + 1));
    const firstKept = Number(lines[0]!.slice(5));
    expect(lines).toEqual(Array.from({ length: 200 - firstKept }, (_, k) => `line ${String(firstKept + k).padStart(3, '0')}`));
    expect(read(file).trimEnd().endsWith('line 199')).toBe(true);
  });

  test('appends to an existing log, counting its size', () => {
    const file = path.join(dir, 'e-0.log');
    fs.writeFileSync(file, 'x'.repeat(90) + '\n');
    const w = new LogWriter({ file, maxBytes: 100, files: 2, now: tickingClock() });
    w.note('restarted'); // 91 + ~38 bytes > 100 → rotate first
    w.close();
    expect(read(`${file}.1`)).toBe('x'.repeat(90) + '\n');
    expect(read(file)).toBe(`${iso(0)} [lightning] restarted\n`);
  });

  test('writes a line longer than maxBytes whole, after rotating', () => {
    const file = path.join(dir, 'f-0.log');
    const w = new LogWriter({ file, maxBytes: 50, files: 2, now: tickingClock() });
    const out = w.stream('stdout');
    out('short\n');
    out('y'.repeat(200) + '\n');
    w.close();
    expect(read(`${file}.1`)).toBe(`${iso(0)} short\n`);
    expect(read(file)).toBe(`${iso(1)} ${'y'.repeat(200)}\n`);
  });

  test('files: 1 keeps only the live file', () => {
    const file = path.join(dir, 'g-0.log');
    const w = new LogWriter({ file, maxBytes: 40, files: 1, now: tickingClock() });
    for (let i = 0; i < 10; i++) w.note(`n${i}`);
    w.close();
    expect(fs.readdirSync(dir)).toEqual(['g-0.log']);
    expect(read(file)).toBe(`${iso(9)} [lightning] n9\n`);
  });

  test('ignores output after close', () => {
    const file = path.join(dir, 'h-0.log');
    const w = new LogWriter({ file, maxBytes: 1000, files: 2, now: tickingClock() });
    const out = w.stream('stdout');
    w.close();
    out('late\n');
    w.note('late');
    expect(read(file)).toBe('');
  });
});
