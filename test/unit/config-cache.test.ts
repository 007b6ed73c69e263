import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigCached } from '../../src/config/cached-load.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project with one agent and its prompt file; returns the paths. */
function project(): { dir: string; file: string; prompt: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-config-cache-'));
  tmpDirs.push(dir);
  fs.mkdirSync(path.join(dir, 'prompts'));
  const prompt = path.join(dir, 'prompts', 'helper.md');
  fs.writeFileSync(prompt, 'You help.\n');
  const file = path.join(dir, 'agents.yaml');
  fs.writeFileSync(file, 'version: 1\nagents:\n  helper:\n    port: 0\n    prompt: prompts/helper.md\n');
  return { dir, file, prompt, cache: path.join(dir, 'config-cache.json') };
}

describe('loadConfigCached', () => {
  it('answers what loadConfig answers, from the cache once the file is unchanged', async () => {
    const { file, cache } = project();
    const first = await loadConfigCached(file, cache);
    expect(first.config).toEqual(loadConfig(file));
    expect(JSON.parse(first.json)).toEqual(JSON.parse(JSON.stringify(loadConfig(file))));
    expect(fs.existsSync(cache)).toBe(true);
    expect(fs.statSync(cache).mode & 0o777).toBe(0o600);
    // A cache entry that differs only in a value loadConfig would not give proves it was read.
    const cached = JSON.parse(fs.readFileSync(cache, 'utf8'));
    cached.config.agents[0].description = 'from the cache';
    fs.writeFileSync(cache, JSON.stringify(cached));
    expect((await loadConfigCached(file, cache)).config.agents[0]!.description).toBe('from the cache');
  });

  it('validates in full again when agents.yaml changes, and reports its problems as loadConfig does', async () => {
    const { file, cache } = project();
    await loadConfigCached(file, cache);
    fs.appendFileSync(file, '    capacity: 3\n');
    expect((await loadConfigCached(file, cache)).config.agents[0]!.capacity).toBe(3);
    fs.appendFileSync(file, '    capacity: lots\n');
    await expect(loadConfigCached(file, cache)).rejects.toThrow(ConfigError);
  });

  it('validates in full again when a prompt file it checked is gone', async () => {
    const { file, prompt, cache } = project();
    await loadConfigCached(file, cache);
    fs.rmSync(prompt);
    await expect(loadConfigCached(file, cache)).rejects.toThrow(/prompt file not found/);
  });

  it('ignores a cache it cannot read', async () => {
    const { file, cache } = project();
    fs.writeFileSync(cache, '{ not json');
    expect((await loadConfigCached(file, cache)).config).toEqual(loadConfig(file));
  });
});
