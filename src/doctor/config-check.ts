import { findConfigPath } from '../config/find.js';
import { ConfigError, formatConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { LightningConfig } from '../config/types.js';
import type { Finding } from './finding.js';
import { ok, plural, problem } from './finding.js';

export interface ConfigCheck {
  finding: Finding;
  /** Where agents.yaml is (or was looked for), when it could be determined: the state dir hangs off it. */
  configPath: string | null;
  /** The resolved config, or null when it is missing or invalid. */
  config: LightningConfig | null;
}

/** Finds and loads agents.yaml exactly as `lightning up` would, reporting the loader's own error. */
export function checkConfig(options: { cwd: string; explicit?: string | undefined }): ConfigCheck {
  let configPath: string | null = null;
  try {
    configPath = findConfigPath({ cwd: options.cwd, explicit: options.explicit });
    const config = loadConfig(configPath);
    const local = config.agents.filter((agent) => agent.url === null);
    const instances = local.reduce((sum, agent) => sum + agent.instances, 0);
    const remote = config.agents.length - local.length;
    const extra = remote > 0 ? `, ${plural(remote, 'remote agent')}` : '';
    return { finding: ok('config', `${config.path} is valid: ${plural(local.length, 'agent')}, ${plural(instances, 'instance')}${extra}`), configPath, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const where = formatConfigError(error.file, error.line, error.col, error.problem, null);
    // A file that was found but is invalid still locates the state directory beside it.
    return { finding: problem('config', where, error.hint ?? 'fix agents.yaml at the place named'), configPath, config: null };
  }
}
