import { readDotEnv } from '../config/dotenv.js';
import { resolveHome, statePaths } from '../state/home.js';
import { checkCommands } from './commands.js';
import { checkConfig } from './config-check.js';
import type { CheckName, DoctorReport, Finding } from './finding.js';
import { CHECK_NAMES } from './finding.js';
import { checkMcpServers } from './mcp-servers.js';
import { checkModelEndpoints } from './model-endpoint.js';
import { checkFleetModelSettings } from './fleet-model.js';
import { checkNodeVersion } from './node-version.js';
import { checkPorts } from './ports.js';
import { checkPrompts } from './prompts.js';
import { checkRemoteAgents } from './remote-agents.js';
import { checkStateDir } from './state-dir.js';
import { checkSupervisorFiles } from './supervisor-files.js';

/** What `lightning up` from this shell would give the agents: this environment with `.env` over it. */
function envWithDotEnv(configPath: string | null | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!configPath) return env;
  try {
    return { ...env, ...readDotEnv(configPath).values };
  } catch {
    return env;
  }
}

export interface DoctorOptions {
  cwd: string;
  config?: string | undefined;
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Checks that only make sense once agents.yaml is valid. */
const NEED_CONFIG: readonly CheckName[] = ['ports', 'prompts', 'commands', 'model', 'mcp', 'remote'];

/**
 * Everything `lightning up` and a first task depend on, checked without starting the fleet (the
 * agents' MCP servers are started once each, to list their tools, and closed).
 * Independent checks run concurrently (the network ones are bounded at 2 s each); findings come
 * back in a fixed order.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const findings: Finding[] = [checkNodeVersion()];
  const loaded = checkConfig({ cwd: options.cwd, explicit: options.config });
  findings.push(loaded.finding);

  const explicitHome = options.home ?? env.LIGHTNING_HOME;
  const home = explicitHome || loaded.configPath ? resolveHome({ home: explicitHome, configPath: loaded.configPath ?? '' }) : null;
  const config = loaded.config;
  // What `up` from this shell gives the agents: this environment with `.env` over it.
  const agentEnv = envWithDotEnv(loaded.configPath, env);
  const [supervisor, mcp, remote] = await Promise.all([
    home ? checkSupervisorFiles(statePaths(home)) : null,
    config ? checkMcpServers(config.agents, agentEnv) : [],
    config ? checkRemoteAgents(config.agents) : [],
  ]);
  // A running fleet's agents see its environment and .env, not this shell's: ask it.
  const model = !config ? [] : supervisor?.running ? await checkFleetModelSettings(supervisor.running) : await checkModelEndpoints(config.agents, agentEnv);
  if (home) findings.push(checkStateDir(home), ...(supervisor?.findings ?? []));
  if (config) {
    findings.push(...(await checkPorts(config, supervisor?.running ?? null)));
    findings.push(...checkPrompts(config), ...checkCommands(config, env), ...model, ...mcp, ...remote);
  }
  findings.sort((a, b) => CHECK_NAMES.indexOf(a.check) - CHECK_NAMES.indexOf(b.check));
  const problems = findings.filter((finding) => finding.status === 'problem').length;
  return {
    ok: problems === 0,
    problems,
    warnings: findings.filter((finding) => finding.status === 'warn').length,
    findings,
    skipped: config ? [] : [...NEED_CONFIG, ...(home ? [] : (['state', 'supervisor'] as CheckName[]))],
  };
}
