import { describePortConflict, checkPortFree } from '../supervisor/port-check.js';
import type { LightningConfig } from '../config/types.js';
import type { Finding } from './finding.js';
import { ok, plural, problem } from './finding.js';
import type { RunningSupervisor } from './supervisor-files.js';

interface PortUse {
  port: number;
  host: string;
  /** `web_developer#0`, or `the control API`. */
  label: string;
}

/**
 * Every fixed port the fleet will bind must be free — or already bound by this state directory's
 * own running supervisor and its instances, which is the fleet itself, not a conflict.
 */
export async function checkPorts(config: LightningConfig, running: RunningSupervisor | null): Promise<Finding[]> {
  const uses: PortUse[] = [];
  if (config.supervisor.port !== 0) uses.push({ port: config.supervisor.port, host: config.supervisor.host, label: 'the control API' });
  for (const agent of config.agents) {
    if (agent.port === 0 || agent.url !== null) continue;
    for (let index = 0; index < agent.instances; index++) uses.push({ port: agent.port + index, host: '127.0.0.1', label: `${agent.name}#${index}` });
  }
  if (uses.length === 0) return [ok('ports', 'every port is picked free at start (port: 0)')];

  const ours = new Set<number>();
  if (running) {
    ours.add(Number(new URL(running.info.api).port));
    for (const instance of running.status?.agents ?? []) ours.add(instance.port);
  }
  const findings: Finding[] = [];
  let free = 0;
  let held = 0;
  for (const use of uses) {
    let isFree: boolean;
    try {
      isFree = await checkPortFree(use.port, use.host);
    } catch (error) {
      findings.push(problem('ports', `cannot listen on ${use.host}:${use.port} for ${use.label}: ${(error as Error).message}`, 'check supervisor.host is an address of this machine (127.0.0.1 by default)'));
      continue;
    }
    if (isFree) free++;
    else if (ours.has(use.port)) held++;
    else {
      const conflict = await describePortConflict(use.port, use.label);
      const [what, fix] = splitFix(conflict);
      findings.push(problem('ports', what, use.label === 'the control API' ? 'stop that process, or set supervisor: { port: N } in agents.yaml to a free port' : fix));
    }
  }
  if (findings.length === 0) {
    const parts = [free > 0 ? `${plural(free, 'port')} free` : null, held > 0 ? `${plural(held, 'port')} held by the running supervisor (pid ${running?.info.pid})` : null];
    return [ok('ports', parts.filter(Boolean).join(', '))];
  }
  return findings;
}

/** describePortConflict ends with "; <what to do>": keep the two apart. */
function splitFix(text: string): [string, string] {
  const at = text.lastIndexOf('; ');
  return at === -1 ? [text, "stop that process or change the agent's port in agents.yaml"] : [text.slice(0, at), text.slice(at + 2)];
}
