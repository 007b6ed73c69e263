import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWithCodeCache } from '../../src/util/code-cache.js';

// A CommonJS file with enough functions for V8 to cache, which records each run (and its own
// __filename and require) in a file beside it.
const PROGRAM = `
const fs = require('node:fs');
const path = require('node:path');
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
const helpers = Array.from({ length: 50 }, (_, i) => (x) => x * i + fib(10));
fs.appendFileSync(path.join(__dirname, 'runs.txt'), path.basename(__filename) + ' ' + helpers[7](2) + '\\n');
module.exports = { fib };
`;

describe('runWithCodeCache', () => {
  let dir: string;
  let file: string;
  let cacheDir: string;
  const runs = () => fs.readFileSync(path.join(dir, 'runs.txt'), 'utf8').trim().split('\n');
  const cacheFiles = () => fs.readdirSync(cacheDir).sort();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-code-cache-'));
    file = path.join(dir, 'program.cjs');
    cacheDir = path.join(dir, 'cache');
    fs.writeFileSync(file, PROGRAM);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('compiles from source the first time, saves the cache, and uses it the next time', () => {
    const first = runWithCodeCache(file, cacheDir, 'aaaa');
    expect(first.cache).toBe('absent');
    first.save();
    expect(cacheFiles()).toEqual(['program.cjs-aaaa.v8']);
    expect(fs.statSync(path.join(cacheDir, 'program.cjs-aaaa.v8')).size).toBeGreaterThan(0);
    const second = runWithCodeCache(file, cacheDir, 'aaaa');
    expect(second.cache).toBe('used');
    // Both runs ran the program as a CommonJS module, with its own __filename and require.
    expect(runs()).toEqual(['program.cjs 69', 'program.cjs 69']);
  });

  it('rejects a corrupt cache, runs the file from source all the same, and rewrites the cache', () => {
    fs.mkdirSync(cacheDir);
    const cacheFile = path.join(cacheDir, 'program.cjs-bbbb.v8');
    fs.writeFileSync(cacheFile, Buffer.from('not a V8 code cache at all, just bytes'.repeat(20)));
    const run = runWithCodeCache(file, cacheDir, 'bbbb');
    expect(run.cache).toBe('rejected');
    expect(runs()).toEqual(['program.cjs 69']);
    run.save();
    expect(runWithCodeCache(file, cacheDir, 'bbbb').cache).toBe('used');
  });

  it('never uses the cache of another build of the file, and drops it when saving', () => {
    const old = runWithCodeCache(file, cacheDir, 'old1');
    old.save();
    fs.writeFileSync(file, PROGRAM.replace('helpers[7](2)', 'helpers[8](2)'));
    const rebuilt = runWithCodeCache(file, cacheDir, 'new2');
    expect(rebuilt.cache).toBe('absent');
    rebuilt.save();
    expect(cacheFiles()).toEqual(['program.cjs-new2.v8']);
    expect(runs()).toEqual(['program.cjs 69', 'program.cjs 71']);
  });

  it('runs the file even where the cache cannot be written', () => {
    fs.writeFileSync(cacheDir, 'a file where the cache directory would be');
    const run = runWithCodeCache(file, cacheDir, 'cccc');
    expect(run.cache).toBe('absent');
    expect(() => run.save()).not.toThrow();
    expect(runs()).toEqual(['program.cjs 69']);
  });
});
