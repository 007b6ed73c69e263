import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { planInstances } from '../config/plan.js';
import type { InstanceSpec, LightningConfig } from '../config/types.js';
import type { StatusDocument } from '../protocol/status.js';
import type { StatePaths } from '../state/home.js';
import { instanceLogFile } from '../state/home.js';
import type { Clock } from './clock.js';
import { realClock } from './clock.js';
import { ConfigReloader } from './config-reloader.js';
import { diffConfigs } from './config-diff.js';
import type { ConfigDiff } from './config-diff.js';
import type { ProbeFn } from './health-prober.js';
import type { AgentConfig } from '../config/types.js';
import type { FleetMember, MemberStateName } from './fleet-member.js';
import { Instance } from './instance.js';
import { LogWriter } from './log-writer.js';
import { Registrations } from './registrations.js';
import type { RegistrationHost } from './registrations.js';
import { RemoteAgent } from './remote-agent.js';
import { checkPortFree, describePortConflict, findFreePort } from './port-check.js';
import { ProcessRegistry } from './process-registry.js';
import type { SpawnRequest, Spawner } from './spawn.js';
import { launchRequest } from './launch.js';
import { memberStatus } from './member-status.js';
import { runControl } from './agent-control.js';
import type { ControlEvent, ControlResult } from './agent-control.js';
import type { ControlRequest } from '../protocol/control.js';
import type { FleetEnvironment } from '../config/fleet-env.js';
import type { Secrets } from '../util/secrets.js';


export interface SupervisorOptions {
  config: LightningConfig;
  paths: StatePaths;
  /** Filled in once the control API listens; workers get it as LIGHTNING_SUPERVISOR. */
  apiUrl?: string;
  workerToken: string;
  spawner: Spawner;
  probe: ProbeFn;
  clock?: Clock;
  /** Fleet-level notes (agents joining and leaving) for the supervisor's own output. */
  log?: (message: string) => void;
  /** `.env` over the supervisor's environment: what agents are started with. */
  environment: FleetEnvironment;
  /** The one redaction service; its `env` group is rebuilt whenever `.env` is read again. */
  secrets: Secrets;
}

export interface ProbeResult {
  instance: FleetMember;
  ok: boolean;
  latencyMs: number;
}

export interface StateChange {
  instance: FleetMember;
  previous: { readonly name: MemberStateName };
}

/**
 * The fleet: one member per planned process (an Instance) or agent running elsewhere (a
 * RemoteAgent, from `url:` or a registration), the registry of the process groups, and the status
 * document. Emits `change` with a StateChange on every state transition.
 */
export class Supervisor extends EventEmitter<{ change: [StateChange]; probe: [ProbeResult]; reload: [ConfigDiff]; control: [ControlEvent] }> implements RegistrationHost {
  instances: FleetMember[] = [];
  readonly registrations: Registrations;
  readonly startedAt = new Date();
  apiUrl: string;
  private readonly clock: Clock;
  private readonly registry: ProcessRegistry;
  private readonly logs = new Map<FleetMember, LogWriter>();
  private readonly reloader: ConfigReloader;
  /** Set once stop() begins: nothing may start after it (a reload or a control in flight bails out). */
  private stopping = false;
  /** Reloads and user controls run one at a time, so two never restart the same instance at once. */
  private busy: Promise<unknown> = Promise.resolve();
  /** `.env`'s variables as of the last up or reload: what a reload compares against. */
  private appliedEnv: Readonly<Record<string, string>>;
  /** agents() as last built, from these two lists. */
  private agentList: { configured: readonly AgentConfig[]; extra: readonly AgentConfig[]; all: readonly AgentConfig[] } | null = null;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.clock = options.clock ?? realClock;
    this.apiUrl = options.apiUrl ?? '';
    this.registry = new ProcessRegistry(options.paths.processesFile);
    this.reloader = new ConfigReloader(options.config);
    this.registrations = new Registrations(this, this.clock, options.log ?? (() => undefined));
    this.appliedEnv = options.environment.values;
    options.secrets.set('env', options.environment.secretValues(options.config));
  }

  get environment(): FleetEnvironment {
    return this.options.environment;
  }

  /**
   * Reads `.env` again (at reload and before every spawn); a changed one rebuilds the secrets. A
   * `.env` that cannot be read keeps the variables last read, and says why.
   */
  refreshEnvironment(): { changed: boolean; error: string | null } {
    try {
      const changed = this.options.environment.refresh();
      if (changed) this.options.secrets.set('env', this.options.environment.secretValues(this.options.config));
      return { changed, error: null };
    } catch (error) {
      return { changed: false, error: (error as Error).message };
    }
  }

  /** For Registrations: a member for an agent that joined at `url`. */
  createJoined(spec: InstanceSpec, url: string): RemoteAgent {
    return this.createRemote(spec, 'registered', url);
  }

  async addJoined(member: RemoteAgent): Promise<void> {
    this.instances.push(member);
    await member.start();
  }

  async removeJoined(member: RemoteAgent): Promise<void> {
    this.instances = this.instances.filter((candidate) => candidate !== member);
    await this.retire(member);
  }

  /** Every agent tasks can go to: agents.yaml's, then those that joined under a name of their own. */
  agents(): readonly AgentConfig[] {
    // Asked several times per task: the same list until agents.yaml or the joined agents move.
    const configured = this.options.config.agents;
    const extra = this.registrations.extraAgents();
    if (this.agentList?.configured !== configured || this.agentList.extra !== extra) {
      this.agentList = { configured, extra, all: extra.length === 0 ? configured : [...configured, ...extra] };
    }
    return this.agentList.all;
  }

  get config(): LightningConfig {
    return this.options.config;
  }

  /** Spawns every planned instance; resolves once each has been spawned (not yet healthy). */
  async start(): Promise<void> {
    mkdirSync(this.options.paths.logsDir, { recursive: true });
    mkdirSync(this.options.paths.workspacesDir, { recursive: true });
    for (const spec of planInstances(this.options.config)) this.instances.push(this.createMember(spec));
    await Promise.all(this.instances.map((instance) => instance.start()));
  }

  /**
   * Graceful stop of every instance at once; resolves when all are gone. A reload or control in
   * flight does not delay it: it sees `stopping` at its next step and starts nothing more, and
   * whatever it started before that is stopped here too, so nothing runs once this resolves.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.registrations.close();
    await Promise.all(this.instances.map((instance) => instance.stop()));
    await this.busy;
    await Promise.all(this.instances.map((instance) => instance.stop()));
    for (const log of this.logs.values()) log.close();
  }

  /** Runs `work` after every reload or control before it; nothing runs once the fleet stops. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.busy.then(work);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** `lightning restart|stop|start NAME[/i]`: see agent-control.ts. */
  control(request: ControlRequest): Promise<ControlResult> {
    return this.serially(async () => {
      const result = await runControl(request, {
        members: this.instances,
        stopping: () => this.stopping,
        waitSettled: (instance) => waitUntil(() => instance.settled || this.stopping, this, ROLLING_WAIT_MS),
      });
      if (result.ok) this.emit('control', { action: request.action, agent: request.agent, instance: request.instance, message: result.message });
      return result;
    });
  }

  /**
   * Applies a new agents.yaml to the running fleet: new agents start, removed ones are drained and
   * stopped, changed ones restart one instance at a time (each back healthy before the next) so
   * the agent stays available, and unchanged ones are not touched.
   */
  applyConfig(next: LightningConfig): Promise<ConfigDiff> {
    return this.serially(() => this.applyConfigNow(next));
  }

  private async applyConfigNow(next: LightningConfig): Promise<ConfigDiff> {
    const { environment } = this.options;
    const before = this.appliedEnv;
    this.appliedEnv = environment.values;
    // A local agent whose `.env` variables changed restarts like one whose settings changed.
    const envChanged = (agent: AgentConfig) =>
      agent.url === null && JSON.stringify(environment.reaching(agent, before)) !== JSON.stringify(environment.reaching(agent));
    const diff = diffConfigs(this.options.config, next, envChanged);
    this.options.config = next;
    this.options.secrets.set('env', environment.secretValues(next));
    // Joined agents of an agent that changed, went or now exists in the file hold its old settings
    // and may hold an index the file now plans: they leave, and re-join at their next heartbeat.
    const touched = new Set([...diff.added, ...diff.changed].map((agent) => agent.name).concat(diff.removed));
    for (const member of this.instances.filter((instance) => instance.kind === 'registered' && touched.has(instance.spec.agent.name))) {
      await this.registrations.leave(member.id, 'agents.yaml changed its agent; it re-joins at its next heartbeat');
    }
    const ofAgent = (name: string) => this.instances.filter((instance) => instance.spec.agent.name === name);
    const removed = diff.removed.flatMap(ofAgent);
    const added = planInstances(next)
      .filter((spec) => diff.added.some((agent) => agent.name === spec.agent.name))
      .map((spec) => this.createMember(spec));
    this.instances = [...this.instances.filter((instance) => !removed.includes(instance)), ...added];
    // Ports first: whatever leaves a port that another instance of the new file takes is stopped
    // before anything starts, so a port moving between agents in one edit never collides.
    const leaving = portsLeaving(this.instances, planInstances(next), new Set(diff.changed.map((agent) => agent.name)));
    await Promise.all([...removed, ...leaving].map((instance) => this.retire(instance)));
    if (!this.stopping) await Promise.all(added.map((instance) => instance.start()));
    for (const agent of diff.changed) {
      if (this.stopping) break;
      await this.rollingRestart(agent.name, planInstances(next).filter((spec) => spec.agent.name === agent.name));
    }
    this.instances.sort((a, b) => order(next, a) - order(next, b));
    this.emit('reload', diff);
    return diff;
  }

  private async rollingRestart(agent: string, specs: InstanceSpec[]): Promise<void> {
    const current = this.instances.filter((instance) => instance.spec.agent.name === agent);
    for (const old of current.filter((instance) => instance.spec.index >= specs.length)) {
      this.instances = this.instances.filter((instance) => instance !== old);
      await this.retire(old);
    }
    for (const spec of specs) {
      if (this.stopping) return;
      const old = current.find((instance) => instance.spec.index === spec.index);
      // A user's `lightning stop` outlives a reload: the new settings apply at its `start`.
      const heldBy = old instanceof Instance && old.state.name === 'stopped' ? old.state.heldBy : null;
      if (old) await this.retire(old);
      const fresh = this.createMember(spec);
      this.instances = old ? this.instances.map((instance) => (instance === old ? fresh : instance)) : [...this.instances, fresh];
      if (heldBy !== null && fresh instanceof Instance) {
        await fresh.stop(heldBy);
        continue;
      }
      if (this.stopping) return;
      await fresh.start();
      await waitUntil(() => fresh.settled || this.stopping, this, ROLLING_WAIT_MS);
    }
  }

  private async retire(instance: FleetMember): Promise<void> {
    await instance.stop();
    this.logs.get(instance)?.close();
    this.logs.delete(instance);
  }

  forceKill(): void {
    this.stopping = true;
    for (const instance of this.instances) instance.forceKill();
  }

  /** True when every instance is healthy, or has settled (failed/stopped) and will not become so. */
  allSettledOrHealthy(): boolean {
    return this.instances.every((instance) => instance.settled);
  }

  status(): StatusDocument {
    return {
      supervisor: {
        pid: process.pid,
        api: this.apiUrl,
        config: this.options.config.path,
        startedAt: this.startedAt.toISOString(),
      },
      agents: this.instances.map((instance) => memberStatus(instance, this.registrations.leaseExpiry(instance))),
    };
  }

  private createMember(spec: InstanceSpec): FleetMember {
    return spec.agent.url === null ? this.createInstance(spec) : this.createRemote(spec, 'remote', spec.agent.url);
  }

  private createRemote(spec: InstanceSpec, kind: 'remote' | 'registered', url: string): RemoteAgent {
    const log = this.logWriter(spec);
    const member = new RemoteAgent(spec, kind, url, {
      probe: this.options.probe,
      clock: this.clock,
      note: (message) => log.note(message),
      onChange: (changed, previous) => this.emit('change', { instance: changed, previous }),
      onProbe: (probed, ok, latencyMs) => this.emit('probe', { instance: probed, ok, latencyMs }),
    });
    this.logs.set(member, log);
    return member;
  }

  private logWriter(spec: InstanceSpec): LogWriter {
    return new LogWriter({
      file: instanceLogFile(this.options.paths, spec.agent.name, spec.index),
      maxBytes: this.options.config.logs.maxBytes,
      files: this.options.config.logs.files,
      redact: (line) => this.options.secrets.redact(line),
    });
  }

  private createInstance(spec: InstanceSpec): Instance {
    const log = this.logWriter(spec);
    const instance = new Instance(spec, {
      spawner: this.options.spawner,
      probe: this.options.probe,
      clock: this.clock,
      log,
      launchFor: (current, port) => this.launchFor(current, port),
      reloadSpec: (current) => this.reloadSpec(current, log),
      acquirePort: (current) => acquirePort(current),
      onSpawned: (id, child, argv) =>
        this.registry.record(id, { pid: child.pid, pgid: child.pid, command: argv, startedAt: new Date().toISOString() }),
      onExited: (id) => this.registry.forget(id),
      onChange: (instance, previous) => this.emit('change', { instance, previous }),
      onProbe: (instance, ok, latencyMs) => this.emit('probe', { instance, ok, latencyMs }),
    });
    this.logs.set(instance, log);
    return instance;
  }

  /** The agent as agents.yaml says now; null (keep what we have) if it is gone or the file is broken. */
  private async reloadSpec(current: InstanceSpec, log: LogWriter): Promise<InstanceSpec | null> {
    const { config, error } = await this.reloader.latest();
    if (error) log.note(`agents.yaml has an error; keeping the previous settings: ${error}`);
    const env = this.refreshEnvironment();
    if (env.error) log.note(`keeping the .env variables last read: ${env.error}`);
    return planInstances(config).find((spec) => spec.agent.name === current.agent.name && spec.index === current.index) ?? null;
  }

  private launchFor(spec: InstanceSpec, port: number): SpawnRequest {
    return launchRequest(spec, port, {
      workerToken: this.options.workerToken,
      apiUrl: this.apiUrl,
      paths: this.options.paths,
      configPath: this.options.config.path,
      environment: this.options.environment.merged(),
    });
  }
}

/** How long a rolling restart waits for a restarted instance before moving on to the next. */
const ROLLING_WAIT_MS = 30_000;

function order(config: LightningConfig, instance: FleetMember): number {
  const position = config.agents.findIndex((agent) => agent.name === instance.spec.agent.name);
  // Agents that joined under names of their own come after the file's.
  return (position === -1 ? config.agents.length : position) * 1000 + instance.spec.index;
}

/** Resolves when `done()` holds after some state change, or after `timeoutMs`. */
export function waitUntil(done: () => boolean, supervisor: Supervisor, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      finish();
    };
    const finish = () => {
      clearTimeout(timer);
      supervisor.off('change', check);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    supervisor.on('change', check);
    check();
  });
}

/**
 * Instances of changed agents whose port a new instance of another agent (or another index) takes:
 * they must stop before anything starts. Port 0 (picked at spawn) never collides.
 */
export function portsLeaving(members: readonly FleetMember[], planned: readonly InstanceSpec[], changed: ReadonlySet<string>): FleetMember[] {
  return members.filter((member) => {
    if (member.kind !== 'local' || !changed.has(member.spec.agent.name) || member.spec.port === 0) return false;
    return planned.some(
      (spec) => spec.port === member.spec.port && (spec.agent.name !== member.spec.agent.name || spec.index !== member.spec.index),
    );
  });
}

async function acquirePort(spec: InstanceSpec): Promise<{ port: number } | { conflict: string }> {
  if (spec.port === 0) return { port: await findFreePort() };
  if (await checkPortFree(spec.port)) return { port: spec.port };
  return { conflict: await describePortConflict(spec.port, `${spec.agent.name}#${spec.index}`) };
}
