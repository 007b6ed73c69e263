import type { ModelSettingsDocument } from '../protocol/model-settings.js';
import type { LightningConfig } from '../config/types.js';
import type { FleetAgentSummary } from '../protocol/agent-card.js';
import type { ControlAnswer, ControlRequest } from '../protocol/control.js';
import type { StatusDocument } from '../protocol/status.js';
import type { TaskService } from '../tasks/service.js';
import { isLoopback } from '../util/url.js';
import type { StatePaths } from '../state/home.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import { acquireLock, releaseLock, removeSupervisorInfo, writeSupervisorInfo } from '../state/supervisor-file.js';
import { newToken } from '../state/token.js';
import { JoinTokenError, loadA2AToken, loadJoinToken } from '../state/join-token.js';
import type { ProbeFn } from './health-prober.js';
import type { RegisterResult } from './registrations.js';
import { describePortConflict } from './port-check.js';
import { ProcessRegistry } from './process-registry.js';
import type { Spawner } from './spawn.js';
import type { StateChange } from './supervisor.js';
import { Supervisor, waitUntil } from './supervisor.js';
import type { LiveReload } from './live-reload.js';
import type { SupervisorTasks } from './task-service.js';
import { markInterrupted } from '../tasks/interrupted.js';
import { FleetEnvironment } from '../config/fleet-env.js';
import { Secrets } from '../util/secrets.js';

export class RuntimeStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'already-running' | 'api-port-in-use' | 'bad-join-token' | 'bad-env-file',
  ) {
    super(message);
  }
}

/**
 * What the runtime serves through its control API. The API (api/server.ts) sits above the
 * supervisor, so the runtime never imports it: whoever starts a runtime (the CLI) hands it an
 * `openApi` that takes these.
 */
export interface RuntimeHandlers {
  register(body: unknown): Promise<RegisterResult>;
  heartbeat(id: string): RegisterResult | null;
  leave(id: string): Promise<boolean>;
  status(): StatusDocument;
  /** Begins a graceful stop; the response is sent before the supervisor exits. */
  shutdown(): void;
  /** Resolves once the ledger and router are loaded (at once after start-up); null if they failed to. */
  tasks(): Promise<TaskService | null>;
  /** Re-reads agents.yaml and applies it (`lightning reload`). */
  reload(): Promise<{ ok: true; summary: string } | { ok: false; error: string }>;
  /** `lightning restart|stop|start NAME[/i]`: resolves once done (a restart: each instance back). */
  control(request: ControlRequest): Promise<ControlAnswer>;
  /** Prometheus text, once the task side is loaded. */
  metrics(): Promise<{ contentType: string; body: string } | null>;
  /** The fleet's agents and what they can do: the skills of the supervisor's own agent card. */
  fleetAgents(): FleetAgentSummary[];
  /** Which agents have a model endpoint and a key, as the fleet sees them (never a key). */
  modelSettings(): ModelSettingsDocument;
}

/** An open control API: where it listens, and how to close it. */
export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

/** Opens the control API (api/server.ts's startControlApi, wired in by the CLI). */
export type OpenControlApi = (options: {
  host: string;
  port: number;
  token: string;
  joinToken: string;
  a2aToken: string | null;
  workspacesDir: string;
  /** The Secrets service, applied to every response body. */
  redact: (text: string) => string;
  handlers: RuntimeHandlers;
}) => Promise<ControlApi>;

export interface Runtime {
  supervisor: Supervisor;
  info: SupervisorInfo;
  /** Resolves when the fleet is stopped and the state files are cleaned up. */
  readonly stopped: Promise<void>;
  /** Graceful stop; calling it again returns the same promise. */
  stop(): Promise<void>;
  /**
   * Second Ctrl-C: SIGKILL every instance at once, with no restart, cancel what is in flight and
   * let the stop in progress finish without waiting out its grace periods.
   */
  forceKill(): void;
  /** Tasks not yet finished (what a graceful stop drains). */
  unfinishedTasks(): number;
  /**
   * Start-up is over: the fleet has settled (or TASKS_AFTER_MS passed) and the status `up -d`
   * waits for then has been answered (or TASKS_GRACE_MS passed). The task side loads next.
   */
  readonly startedUp: Promise<void>;
}

/**
 * Brings up a supervisor in this process: takes the state directory's lock, sweeps processes a
 * crashed predecessor left behind, opens the control API, writes supervisor.json and spawns the
 * fleet. The same code serves `up` in the foreground and the detached daemon of `up -d`.
 */
export async function startRuntime(options: {
  config: LightningConfig;
  paths: StatePaths;
  spawner: Spawner;
  probe: ProbeFn;
  openApi: OpenControlApi;
  onChange?: (change: StateChange) => void;
  log?: (message: string) => void;
  /**
   * The one Secrets service (created here when not given): the caller passes its own so that what
   * it prints of state changes goes through the same redaction as everything else.
   */
  secrets?: Secrets;
}): Promise<Runtime> {
  const { config, paths } = options;
  // One Secrets service for everything that leaves the supervisor: its output, the instance logs,
  // the ledger, the control API. Its `env` group follows `.env` (rebuilt at reload and restart).
  const secrets = options.secrets ?? new Secrets();
  const log = (message: string) => (options.log ?? (() => undefined))(secrets.redact(message));
  let environment: FleetEnvironment;
  try {
    environment = new FleetEnvironment(config.path);
  } catch (error) {
    throw new RuntimeStartError((error as Error).message, 'bad-env-file');
  }
  const lock = acquireLock(paths);
  if (!lock.ok) {
    throw new RuntimeStartError(`a supervisor (pid ${lock.holder}) already runs for ${paths.home}`, 'already-running');
  }
  const swept = await ProcessRegistry.sweep(paths.processesFile, { home: paths.home, log });
  for (const entry of swept.killed) log(`stopped ${entry.id} (pid ${entry.pid}) left behind by a supervisor that did not stop cleanly`);

  // Before the API opens (and so before `up -d` can return): no one may see a task of the
  // crashed predecessor as running. A quick scan; the full ledger loads once the fleet settles.
  try {
    const interrupted = await markInterrupted(paths.ledger);
    if (interrupted.length > 0) log(`marked ${interrupted.length} task(s) interrupted: they were in flight when the previous supervisor stopped`);
  } catch (error) {
    releaseLock(paths);
    throw error;
  }
  const token = newToken();
  const workerToken = newToken();
  let joinToken: string;
  let a2aToken: string | null;
  try {
    joinToken = loadJoinToken(paths);
    a2aToken = loadA2AToken();
  } catch (error) {
    releaseLock(paths);
    throw error instanceof JoinTokenError ? new RuntimeStartError(error.message, 'bad-join-token') : error;
  }
  secrets.set('tokens', [token, workerToken, joinToken, a2aToken]);
  const supervisor = new Supervisor({ config, paths, workerToken, spawner: options.spawner, probe: options.probe, log, environment, secrets });
  if (options.onChange) supervisor.on('change', options.onChange);
  // `lightning restart|stop|start`: a line in the supervisor's output and an event in the ledger.
  supervisor.on('control', ({ action, agent, instance, message }) => {
    log(message);
    tasks?.recordSystem({ event: 'control', action, agent, instance, message });
  });
  let forced: () => void = () => undefined;
  const forcedStop = new Promise<void>((resolve) => (forced = resolve));
  // Set once the ledger and router are loaded, which happens while the workers boot.
  let tasks: SupervisorTasks | null = null;
  let tasksLoaded: Promise<void> = Promise.resolve();
  // Called when a status is served to someone waiting for the fleet (see where the task side loads).
  let statusServed: () => void = () => undefined;
  const statusAnswered = new Promise<void>((resolve) => (statusServed = resolve));
  let startUpOver: () => void = () => undefined;
  let liveReload: LiveReload | null = null;
  let stopping: Promise<void> | null = null;
  let api: ControlApi;
  try {
    api = await options.openApi({
      host: config.supervisor.host,
      port: config.supervisor.port,
      token,
      joinToken,
      a2aToken,
      workspacesDir: paths.workspacesDir,
      redact: (text) => secrets.redact(text),
      handlers: {
        modelSettings: () => ({ file: environment.file, present: environment.present, agents: environment.modelSettings(supervisor.config) }),
        register: (body) => supervisor.registrations.register(body),
        heartbeat: (id) => supervisor.registrations.heartbeat(id),
        leave: (id) => supervisor.registrations.leave(id),
        status: () => {
          if (supervisor.allSettledOrHealthy()) statusServed();
          return withDiscoveredCapabilities({ ...(tasks ? tasks.decorate(supervisor.status()) : supervisor.status()), configError: liveReload?.error ?? null }, fleetAgents(supervisor, tasks));
        },
        fleetAgents: () => fleetAgents(supervisor, tasks),
        reload: async () => {
          await tasksLoaded;
          return liveReload ? liveReload.reload() : { ok: false, error: 'the supervisor is not ready to reload' };
        },
        shutdown: () => void runtime.stop(),
        control: async (request) => {
          const result = await supervisor.control(request);
          if (!result.ok) return result;
          const rows = (tasks ? tasks.decorate(supervisor.status()) : supervisor.status()).agents;
          const instances = rows.filter((row) => row.name === request.agent && result.members.some((member) => member.spec.index === row.instance));
          return { ok: true, document: { ...request, message: result.message, instances } };
        },
        // Task requests that arrive while the ledger loads wait for it rather than fail.
        tasks: async () => {
          await tasksLoaded;
          return tasks?.service() ?? null;
        },
        metrics: async () => {
          await tasksLoaded;
          return (await tasks?.metrics?.render()) ?? null;
        },
      },
    });
  } catch (error) {
    releaseLock(paths);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const conflict = await describePortConflict(config.supervisor.port, 'the control API');
      throw new RuntimeStartError(`${conflict}\n  fix: set supervisor.port in ${config.path}`, 'api-port-in-use');
    }
    throw error;
  }
  supervisor.apiUrl = api.url;
  if (!isLoopback(config.supervisor.host)) {
    log(`the control API listens on ${api.url}, beyond loopback (supervisor.host in ${config.path}): every route but /healthz needs a token; agents join with the join token in ${paths.joinTokenFile}`);
  }
  const info: SupervisorInfo = {
    pid: process.pid,
    api: api.url,
    token,
    config: config.path,
    home: paths.home,
    startedAt: supervisor.startedAt.toISOString(),
  };

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const runtime: Runtime = {
    supervisor,
    info,
    stopped,
    stop() {
      stopping ??= (async () => {
        await tasksLoaded;
        await liveReload?.close();
        await Promise.race([tasks?.drain(Math.max(0, ...config.agents.map((agent) => agent.stop.graceMs))), forcedStop]);
        await supervisor.stop();
        await tasks?.close();
        await api.close();
        removeSupervisorInfo(paths);
        releaseLock(paths);
        resolveStopped();
      })();
      return stopping;
    },
    forceKill: () => {
      supervisor.forceKill();
      forced();
      // Drained at once: what is still in flight is cancelled rather than waited for.
      void tasks?.drain(0);
    },
    unfinishedTasks: () => tasks?.index.unfinished().length ?? 0,
    startedUp: new Promise<void>((resolve) => (startUpOver = resolve)),
  };
  try {
    await supervisor.start();
    writeSupervisorInfo(paths, info);
  } catch (error) {
    // Never leave a half-started fleet behind: without supervisor.json nothing could stop it.
    log(`could not start the fleet: ${(error as Error).stack ?? String(error)}`);
    await supervisor.stop().catch(() => supervisor.forceKill());
    await api.close();
    releaseLock(paths);
    throw error;
  }
  // The ledger and router load once the fleet has settled, so on a small machine they do not take
  // CPU from workers that are booting; until then task routes answer 503 "starting". And after the
  // status that `up -d` (or `run`'s autostart) asks for at that moment has been answered: loading
  // them holds the event loop for tens of ms (the package's daemon is one CommonJS file, so their
  // modules initialise in one go), and that answer is all `up -d` still waits for.
  tasksLoaded = waitUntil(() => supervisor.allSettledOrHealthy(), supervisor, TASKS_AFTER_MS)
    .then(() => Promise.race([statusAnswered, new Promise((resolve) => setTimeout(resolve, TASKS_GRACE_MS))]))
    .then(() => startUpOver())
    .then(() => new Promise((resolve) => setImmediate(resolve)))
    .then(() => import('./task-service.js'))
    .then(async ({ SupervisorTasks }) => {
      tasks = await SupervisorTasks.open(supervisor, paths, config, { worker: workerToken, join: joinToken }, secrets);
      const { LiveReload } = await import('./live-reload.js');
      liveReload = new LiveReload(supervisor, (result) => {
        const message = result.ok ? `agents.yaml reloaded: ${result.summary}` : `agents.yaml not applied (the fleet keeps running as it was): ${result.error}`;
        log(message);
        tasks?.recordSystem({ event: 'config', state: result.ok ? 'applied' : 'invalid', message });
      });
      await liveReload.watch();
    })
    .catch((error: Error) => log(`could not open the task ledger: ${error.stack ?? error.message}`));
  return runtime;
}

/**
 * Each agent as its profile says (agents.yaml merged with the skills its own card reports, once
 * the task side has read the cards): the skills of the supervisor's agent card.
 */
function fleetAgents(supervisor: Supervisor, tasks: SupervisorTasks | null): FleetAgentSummary[] {
  if (!tasks) return supervisor.agents().map(({ name, description, capabilities, examples }) => ({ name, description, capabilities, examples }));
  return tasks.fleet.profiles().profiles.map((profile) => ({
    name: profile.name,
    description: profile.description,
    capabilities: [...new Set(profile.skills.flatMap((skill) => [skill.id, ...skill.tags]).filter(Boolean))],
    examples: [...new Set(profile.skills.flatMap((skill) => skill.examples))],
  }));
}

/** Capabilities in `status` are what the router matches on: agents.yaml's and the card's. */
function withDiscoveredCapabilities(document: StatusDocument, agents: FleetAgentSummary[]): StatusDocument {
  const byName = new Map(agents.map((agent) => [agent.name, agent.capabilities]));
  for (const instance of document.agents) instance.capabilities = byName.get(instance.name) ?? instance.capabilities;
  return document;
}

/** Longest the task side waits for the fleet to settle before loading anyway. */
const TASKS_AFTER_MS = 3000;
/** Longest the task side waits, once the fleet has settled, for that status request. */
const TASKS_GRACE_MS = 100;

