import { readFile } from 'node:fs/promises';
import { describePortConflict, checkPortFree, findListener } from '../supervisor/port-check.js';
import type { PortListener } from '../supervisor/port-check.js';
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
 * own running supervisor and its instances, which is the fleet itself, not a conflict. Which one it
 * is, is told by the pid holding the port: the supervisor, one of its instances (or a process they
 * started), or someone else.
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
  /** The supervisor and its instances: a port held by one of them (or their children) is the fleet's. */
  const fleetPids = new Set<number>();
  if (running) {
    ours.add(Number(new URL(running.info.api).port));
    fleetPids.add(running.info.pid);
    for (const instance of running.status?.agents ?? []) {
      ours.add(instance.port);
      if (instance.pid !== null) fleetPids.add(instance.pid);
    }
  }
  let unknownOwner = 0;
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
    if (isFree) {
      free++;
      continue;
    }
    const owner = ours.has(use.port) ? await ownerOf(use.port, fleetPids) : null;
    if (owner?.kind === 'fleet') held++;
    else if (owner?.kind === 'unknown') {
      // No /proc (or another user's process): the running fleet planned this port, so most likely it is its own.
      held++;
      unknownOwner++;
    } else if (owner?.kind === 'foreign') {
      const who = `pid ${owner.listener.pid}${owner.listener.command ? ` (${owner.listener.command})` : ''}`;
      findings.push(
        problem(
          'ports',
          `port ${use.port} for ${use.label} is held by ${who}, which is not part of the running fleet (supervisor pid ${running?.info.pid})`,
          use.label === 'the control API' ? 'stop that process' : `stop that process (kill ${owner.listener.pid}); ${use.label} waits for the port and starts once it is free — or change its port in agents.yaml and \`lightning reload\``,
        ),
      );
    } else {
      const conflict = await describePortConflict(use.port, use.label);
      const [what, fix] = splitFix(conflict);
      findings.push(problem('ports', what, use.label === 'the control API' ? 'stop that process, or set supervisor: { port: N } in agents.yaml to a free port' : fix));
    }
  }
  if (findings.length === 0) {
    const unsure = unknownOwner > 0 ? ` (${unknownOwner} of them by a pid this user cannot see)` : '';
    const parts = [free > 0 ? `${plural(free, 'port')} free` : null, held > 0 ? `${plural(held, 'port')} held by the running fleet (supervisor pid ${running?.info.pid})${unsure}` : null];
    return [ok('ports', parts.filter(Boolean).join(', '))];
  }
  return findings;
}

/** describePortConflict ends with "; <what to do>": keep the two apart. */
function splitFix(text: string): [string, string] {
  const at = text.lastIndexOf('; ');
  return at === -1 ? [text, "stop that process or change the agent's port in agents.yaml"] : [text.slice(0, at), text.slice(at + 2)];
}

type Owner = { kind: 'fleet' } | { kind: 'foreign'; listener: PortListener } | { kind: 'unknown' };

/** Whose is the listener on `port`: the fleet's (a fleet pid or a descendant of one), someone else's, or unknown. */
async function ownerOf(port: number, fleetPids: ReadonlySet<number>): Promise<Owner> {
  const listener = await findListener(port).catch(() => null);
  if (!listener) return { kind: 'unknown' };
  // A `command:` agent may be a wrapper (sh, npm) whose child listens: walk up the parents.
  let pid: number | null = listener.pid;
  for (let depth = 0; pid !== null && pid > 1 && depth < 16; depth++) {
    if (fleetPids.has(pid)) return { kind: 'fleet' };
    pid = await parentOf(pid);
  }
  return { kind: 'foreign', listener };
}

async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ")".
    const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}
