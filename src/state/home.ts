import path from 'node:path';

/** Files of the state directory (`.lightning/` beside agents.yaml unless --home / LIGHTNING_HOME). */
export interface StatePaths {
  home: string;
  supervisorFile: string;
  lockFile: string;
  processesFile: string;
  supervisorLog: string;
  ledger: string;
  /** The last valid agents.yaml, resolved, for a quicker `up -d` (src/config/cached-load.ts). */
  configCache: string;
  logsDir: string;
  workspacesDir: string;
  /** The token agents on other machines present to join (`POST /v1/agents/register`). */
  joinTokenFile: string;
  /** The package's V8 code cache for the detached supervisor (src/util/code-cache.ts). */
  codeCacheDir: string;
}

export function resolveHome(options: { home?: string | undefined; configPath: string }): string {
  const explicit = options.home ?? process.env.LIGHTNING_HOME;
  if (explicit) return path.resolve(explicit);
  return path.join(path.dirname(options.configPath), '.lightning');
}

export function statePaths(home: string): StatePaths {
  return {
    home,
    supervisorFile: path.join(home, 'supervisor.json'),
    lockFile: path.join(home, 'supervisor.lock'),
    processesFile: path.join(home, 'processes.json'),
    supervisorLog: path.join(home, 'supervisor.log'),
    ledger: path.join(home, 'ledger.jsonl'),
    configCache: path.join(home, 'config-cache.json'),
    logsDir: path.join(home, 'logs'),
    workspacesDir: path.join(home, 'workspaces'),
    joinTokenFile: path.join(home, 'join-token'),
    codeCacheDir: path.join(home, 'code-cache'),
  };
}

/** `web_developer#1` logs to `logs/web_developer-1.log`. */
export function instanceLogFile(paths: StatePaths, agent: string, index: number): string {
  return path.join(paths.logsDir, `${agent}-${index}.log`);
}
