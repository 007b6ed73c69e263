/**
 * loadConfig for `up -d` (and `run`'s autostart), remembering a valid result in the state
 * directory. The detached supervisor spawns nothing until the CLI has validated agents.yaml, and
 * that validation — compiling and first running the YAML parser and the schema, ~90 ms of CPU on
 * the 2-core bench machine — was the longest step before the first worker started
 * (bench/supervision.js). A valid config's resolved form is kept with everything loadConfig's
 * answer depends on: the file's exact text and path, this build (lightning's version and the files
 * of this install), and the paths it checks on disk — each local agent's prompt file and cwd
 * (checkConfig in resolve.ts). Any difference, or any problem reading the cache: the full
 * loadConfig, which reports problems exactly as before and refreshes the cache. An invalid config
 * is never cached.
 */
import fs from 'node:fs';
import path from 'node:path';
import { INSTALL_KIND, roleCommand } from '../util/install.js';
import { VERSION } from '../util/version.js';
import type { LightningConfig } from './types.js';

interface CachedConfig {
  build: string;
  file: string;
  text: string;
  config: LightningConfig;
}

/** The resolved config of `file`, and its JSON (what the detached supervisor reads on stdin). */
export async function loadConfigCached(file: string, cacheFile: string): Promise<{ config: LightningConfig; json: string }> {
  const abs = path.resolve(file);
  const build = buildIdentity();
  const hit = readCache(cacheFile, abs, build);
  if (hit) return hit;
  const { loadConfig } = await import('./load.js');
  const config = loadConfig(abs);
  const json = JSON.stringify(config);
  writeCache(cacheFile, abs, build, config);
  return { config, json };
}

function readCache(cacheFile: string, abs: string, build: string): { config: LightningConfig; json: string } | null {
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as CachedConfig;
    if (cached.build !== build || cached.file !== abs) return null;
    if (fs.readFileSync(abs, 'utf8') !== cached.text) return null;
    const { config } = cached;
    for (const agent of config.agents) {
      if (agent.url !== null) continue;
      if (agent.prompt !== null && !isKind(agent.prompt, 'file')) return null;
      if (!isKind(agent.cwd, 'directory')) return null;
    }
    return { config, json: JSON.stringify(config) };
  } catch {
    return null;
  }
}

function writeCache(cacheFile: string, abs: string, build: string, config: LightningConfig): void {
  try {
    const text = fs.readFileSync(abs, 'utf8');
    const cached: CachedConfig = { build, file: abs, text, config };
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    // 0600 like the rest of the state directory's files: agents.yaml's env values are in it.
    fs.writeFileSync(temporary, JSON.stringify(cached), { mode: 0o600 });
    fs.renameSync(temporary, cacheFile);
  } catch {
    // Only a cache: the next start validates in full.
  }
}

function isKind(file: string, kind: 'file' | 'directory'): boolean {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return kind === 'file' ? stat?.isFile() === true : stat?.isDirectory() === true;
}

/** Changes with every build and install: the version, and the size and mtime of the programs run. */
function buildIdentity(): string {
  const files = [process.execPath, ...roleCommand('daemon').slice(1).filter((arg) => path.isAbsolute(arg))];
  const stamps = files.map((program) => {
    const stat = fs.statSync(program, { throwIfNoEntry: false });
    return `${program}:${stat?.size ?? 0}:${stat?.mtimeMs ?? 0}`;
  });
  return [VERSION, INSTALL_KIND, ...stamps].join(' ');
}
