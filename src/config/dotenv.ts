import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { DOTENV_FILENAME } from './defaults.js';

/** `.env` beside agents.yaml as last read: its variables, and a stamp to tell when it changed. */
export interface DotEnv {
  file: string;
  /** False when there is no such file (not an error: `.env` is optional). */
  present: boolean;
  values: Readonly<Record<string, string>>;
  /** mtime and size, or null without a file. */
  stamp: string | null;
}

export class DotEnvError extends Error {}

export function dotEnvPath(configPath: string): string {
  return path.join(path.dirname(configPath), DOTENV_FILENAME);
}

/**
 * Reads `.env` (KEY=VALUE lines, `#` comments, quotes, `export KEY=…`: Node's util.parseEnv, the
 * dotenv/compose syntax). A missing file is an empty one; an unreadable one is an error that names it.
 */
export function readDotEnv(configPath: string): DotEnv {
  const file = dotEnvPath(configPath);
  const stamp = stampOf(file);
  if (stamp === null) return { file, present: false, values: {}, stamp: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DotEnvError(`cannot read ${file}: ${(error as Error).message}\n  fix: make it readable by this user (chmod 600 ${file}), or remove it`);
  }
  return { file, present: true, values: parseEnv(text) as Record<string, string>, stamp };
}

export function stampOf(file: string): string | null {
  try {
    const stat = statSync(file);
    return stat.isFile() ? `${stat.mtimeMs}:${stat.size}` : null;
  } catch {
    return null;
  }
}
