/**
 * Locating agents.yaml. Kept apart from the loader so commands that only need the path (status,
 * down) do not pay for importing the YAML parser and the schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_ENV_VAR, CONFIG_FILENAMES } from './defaults.js';
import { ConfigError } from './errors.js';

export const NOT_FOUND_HINT = 'run lightning from the directory holding agents.yaml, or pass -c path/to/agents.yaml';

function isFile(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** A directory given where a file was expected means "the agents.yaml in it". */
function fileIn(candidate: string): string | null {
  if (isFile(candidate)) return candidate;
  if (isDirectory(candidate)) {
    for (const name of CONFIG_FILENAMES) {
      if (isFile(path.join(candidate, name))) return path.join(candidate, name);
    }
  }
  return null;
}

/**
 * Which agents.yaml to use: `-c` if given, else $LIGHTNING_CONFIG, else agents.yaml / agents.yml
 * in `cwd` or the nearest parent directory (like git finding .git, so any subdirectory works).
 */
export function findConfigPath(opts: { cwd: string; explicit?: string | undefined; env?: NodeJS.ProcessEnv }): string {
  const cwd = path.resolve(opts.cwd);
  const env = opts.env ?? process.env;
  const given: [string, string][] = [];
  if (opts.explicit !== undefined && opts.explicit !== '') given.push([opts.explicit, '-c']);
  else if (env[CONFIG_ENV_VAR]) given.push([env[CONFIG_ENV_VAR] as string, `$${CONFIG_ENV_VAR}`]);
  for (const [p, source] of given) {
    const abs = path.resolve(cwd, p);
    const found = fileIn(abs);
    if (found !== null) return found;
    throw new ConfigError({
      file: abs,
      problem: `config file not found: ${abs} (from ${source})`,
      hint:
        source === '-c'
          ? `check the path given to -c (relative paths resolve against ${cwd})`
          : `fix or unset ${CONFIG_ENV_VAR} (relative paths resolve against ${cwd})`,
    });
  }
  const looked: string[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    looked.push(dir);
    for (const name of CONFIG_FILENAMES) {
      const candidate = path.join(dir, name);
      if (isFile(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigError({
    file: CONFIG_FILENAMES[0] ?? 'agents.yaml',
    problem: `no ${CONFIG_FILENAMES.join(' or ')} found; looked in ${looked.join(', ')}`,
    hint: NOT_FOUND_HINT,
  });
}

