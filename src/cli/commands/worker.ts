import type { AgentConfig } from '../../config/types.js';
import type { GlobalOptions } from '../context.js';
import { findConfigPath } from '../../config/find.js';
import { durationFlag } from '../duration-flag.js';
import { JOIN_LEASE } from '../../config/defaults.js';
import { JOIN_TOKEN_ENV } from '../../state/join-token.js';
import { isHttpUrl } from '../../util/url.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface WorkerCommandOptions extends GlobalOptions {
  agent: string;
  port: string;
  instance?: string;
  host?: string;
  join?: string;
  token?: string;
  advertise?: string;
  lease?: string;
}

/** `lightning worker`: the built-in agent worker, run by hand (the supervisor spawns its own entry). */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ExitError(`bad --port "${options.port}": use an integer 0–65535`, EXIT.usage);
  }
  const instance = Number(options.instance ?? '0');
  if (!Number.isInteger(instance) || instance < 0) throw new ExitError(`bad --instance "${options.instance}"`, EXIT.usage);
  const join = joinSettings(options);
  const spec = await agentFromConfig(options.agent, findConfigPath({ cwd: process.cwd(), explicit: options.config }));
  const { runWorker, WorkerStartError } = await import('../../worker/main.js');
  try {
    await runWorker({ agent: options.agent, port, instance, spec, ...(options.host ? { host: options.host } : {}), ...(join ? { join } : {}) });
  } catch (error) {
    if (error instanceof WorkerStartError) throw new ExitError(error.message, EXIT.failed);
    throw error;
  }
}

async function agentFromConfig(name: string, configPath: string): Promise<AgentConfig> {
  const [{ loadConfig }, { findAgent }] = await Promise.all([import('../../config/load.js'), import('../../config/plan.js')]);
  const config = loadConfig(configPath);
  const agent = findAgent(config, name);
  if (!agent) {
    const known = config.agents.map((candidate) => candidate.name).join(', ');
    throw new ExitError(`no agent "${name}" in ${config.path} (known: ${known})`, EXIT.failed);
  }
  return agent;
}

/** --join, or an agent started anywhere with LIGHTNING_SUPERVISOR and a join token in its environment. */
function joinSettings(options: WorkerCommandOptions): { supervisor: string; token: string; advertise?: string; leaseMs: number } | null {
  const token = options.token ?? process.env[JOIN_TOKEN_ENV];
  const supervisor = options.join ?? (token ? process.env.LIGHTNING_SUPERVISOR : undefined);
  if (!supervisor) {
    if (options.token || options.advertise) throw new ExitError('--token and --advertise only make sense with --join URL (the supervisor to join)', EXIT.usage);
    return null;
  }
  if (!isHttpUrl(supervisor)) {
    throw new ExitError(`bad --join "${supervisor}": use the supervisor's control API URL, e.g. http://10.0.0.2:9000`, EXIT.usage);
  }
  if (!token) {
    throw new ExitError(`joining ${supervisor} needs its join token: pass --token, or set ${JOIN_TOKEN_ENV} (it is in .lightning/join-token on the supervisor's machine)`, EXIT.usage);
  }
  if (options.advertise !== undefined && !isHttpUrl(options.advertise)) {
    throw new ExitError(`bad --advertise "${options.advertise}": use the URL the supervisor reaches this worker at, e.g. http://10.0.0.5:9105`, EXIT.usage);
  }
  const leaseMs = durationFlag('--lease', options.lease ?? '15s');
  if (leaseMs < JOIN_LEASE.minMs || leaseMs > JOIN_LEASE.maxMs) {
    throw new ExitError(`bad --lease "${options.lease}": use a duration from 1s to 10m, e.g. 15s`, EXIT.usage);
  }
  return { supervisor, token, leaseMs, ...(options.advertise ? { advertise: options.advertise } : {}) };
}
