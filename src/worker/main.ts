import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '../config/types.js';
import { instanceId } from '../config/types.js';
import { VERSION } from '../util/version.js';
import { startTracing, stopTracing } from '../util/tracing.js';
import type { JoinHandle } from './join.js';
import { exitWhenSupervisorGone } from './orphan-watch.js';
import { startWorkerServer } from './server.js';

/** The supervisor passes each built-in worker its resolved agent config as JSON in this variable. */
export const AGENT_SPEC_ENV = 'LIGHTNING_AGENT_SPEC';

export interface WorkerOptions {
  agent: string;
  port: number;
  instance: number;
  host?: string;
  /** The resolved agent (from the supervisor, or agents.yaml read by `lightning worker`). */
  spec: AgentConfig;
  /** Join a supervisor (possibly on another machine) instead of being spawned by one. */
  join?: { supervisor: string; token: string; advertise?: string; leaseMs: number };
}

export class WorkerStartError extends Error {}

/**
 * The built-in worker: serves one agent's health and card (and its tasks) until SIGTERM, or until
 * the supervisor that started it is gone.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const agent = options.spec;
  const label = instanceId(agent.name, options.instance);
  // Nothing starts here: each server starts when a task first needs its tools.
  const mcp = Object.keys(agent.tools.mcp).length > 0
    ? new (await import('./mcp/servers.js')).McpServers(agent.tools.mcp, { env: process.env, cwd: agent.cwd })
    : null;
  // Bounded: the worker's stop grace (SIGKILL after it) must not be spent waiting on a server.
  const closeMcp = (): Promise<unknown> => (mcp ? Promise.race([mcp.close(), new Promise((resolve) => setTimeout(resolve, 2500).unref())]) : Promise.resolve());
  const server = await startWorkerServer(
    {
      agent,
      instance: options.instance,
      version: VERSION,
      // A joined worker answers only whoever holds the join token: the supervisor it joined.
      token: options.join?.token ?? (process.env.LIGHTNING_TOKEN || null),
      workspacesDir: process.env.LIGHTNING_WORKSPACES || path.resolve('.lightning', 'workspaces'),
      mcp,
    },
    options.port,
    options.host,
  ).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new WorkerStartError(`port ${options.port} is already in use; ${label} cannot listen`);
    throw error;
  });
  // After listening, so /health answers while the OTel SDK loads (only when OTEL_* asks for it).
  await startTracing('lightning-worker', { 'lightning.agent': agent.name, 'lightning.instance': options.instance });
  console.log(`${label} ready on http://${options.host ?? '127.0.0.1'}:${server.port} (pid ${process.pid})`);
  const joining = options.join ? await joinSupervisor(options.join, agent.name, options.host ?? '127.0.0.1', server.port) : null;

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${label} stopping: ${why}`);
    void joining?.leave();
    // Drain: /health turns 503 so no new task arrives; tasks in flight finish (the supervisor's
    // grace period bounds how long), then the server closes.
    server.drain();
    void server
      .idle()
      .then(() => Promise.all([server.close(), closeMcp(), stopTracing()]))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A joined worker lives on its own machine's terms: its supervisor may be elsewhere and restart.
  if (joining) return;
  const supervisorPid = Number.parseInt(process.env.LIGHTNING_SUPERVISOR_PID ?? '', 10);
  exitWhenSupervisorGone(Number.isInteger(supervisorPid) ? supervisorPid : null, (why) => {
    console.log(`${label} exiting: supervisor gone (${why})`);
    void Promise.all([closeMcp(), stopTracing()]).then(() => process.exit(0));
  });
}

async function joinSupervisor(join: NonNullable<WorkerOptions['join']>, name: string, host: string, port: number): Promise<JoinHandle> {
  const { startJoining } = await import('./join.js');
  // 0.0.0.0 is where we listen, not an address anyone can reach us at.
  const reachable = host === '0.0.0.0' || host === '::' ? os.hostname() : host.includes(':') ? `[${host}]` : host;
  const handle = startJoining({
    supervisor: join.supervisor,
    token: join.token,
    advertise: join.advertise ?? `http://${reachable}:${port}`,
    name,
    leaseMs: join.leaseMs,
    log: (message) => console.log(message),
  });
  handle.joined.catch((error: Error) => {
    console.error(`lightning worker: ${error.message}`);
    process.exit(1);
  });
  return handle;
}
