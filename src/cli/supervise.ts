import type { LightningConfig } from '../config/types.js';
import type { StatePaths } from '../state/home.js';
import type { Runtime } from '../supervisor/runtime.js';
import { Instance } from '../supervisor/instance.js';
import type { StateChange } from '../supervisor/supervisor.js';
import { EXIT, ExitError } from './exit-error.js';
import { paint, paintState } from './render/color.js';
import { Secrets } from '../util/secrets.js';
import { startTracing, stopTracing } from '../util/tracing.js';
import { readDotEnv } from '../config/dotenv.js';

/**
 * The supervisor in this process. Ctrl-C (or SIGTERM, or `lightning down`) stops the fleet
 * gracefully; a second Ctrl-C kills what is left at once.
 */
export async function superviseHere(
  paths: StatePaths,
  config: LightningConfig,
  { daemon, onStarted }: { daemon: boolean; onStarted?: (runtime: Runtime) => void },
): Promise<void> {
  // Everything the supervisor prints goes through its one Secrets service (keys, tokens).
  const secrets = new Secrets();
  const print = (line: string) => process.stdout.write(`${timestamp(daemon)} ${secrets.redact(line)}\n`);
  // The composition root: the supervisor's runtime, and the control API it serves through (the
  // supervisor never imports the API that sits above it).
  const [{ RuntimeStartError, startRuntime }, { spawnProcess }, { httpProbe }, { startControlApi }] = await Promise.all([
    import('../supervisor/runtime.js'),
    import('../supervisor/spawn.js'),
    import('../supervisor/http-probe.js'),
    import('../api/server.js'),
  ]);
  // Loads the OTel SDK only when OTEL_* asks for traces; the workers get the same variables. The
  // SDK reads process.env itself, so OTEL_* written in .env (which the fleet gets) is set here too.
  try {
    for (const [key, value] of Object.entries(readDotEnv(config.path).values)) if (key.startsWith('OTEL_')) process.env[key] = value;
  } catch {
    // An unreadable .env is reported where the fleet's environment is built; tracing reads what it can.
  }
  await startTracing('lightning-supervisor');
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      config,
      paths,
      spawner: spawnProcess,
      probe: httpProbe,
      openApi: startControlApi,
      onChange: (change) => print(describeChange(change)),
      log: print,
      secrets,
    });
  } catch (error) {
    if (error instanceof RuntimeStartError) throw new ExitError(error.message, EXIT.failed);
    throw error;
  }
  print(`supervisor pid ${process.pid} · control API ${runtime.info.api} · ${runtime.supervisor.instances.length} instance(s) from ${config.path}`);
  if (!daemon) print(paint('press Ctrl-C to stop', 'dim'));
  onStarted?.(runtime);

  let exitCode: number = EXIT.ok;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signal === 'SIGINT') exitCode = EXIT.interrupted;
    if (signals === 1) {
      const draining = runtime.unfinishedTasks();
      const tasks = draining === 0 ? 'no task in flight' : `draining ${draining} task${draining === 1 ? '' : 's'} in flight`;
      print(`${signal}: stopping gracefully, ${tasks}${daemon ? '' : '; press Ctrl-C again to force (kills every instance at once)'}`);
      void runtime.stop();
    } else if (signals === 2) {
      print(`${signal} again: killing every instance now (SIGKILL, no restart); tasks still in flight are cancelled`);
      runtime.forceKill();
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  await runtime.stopped;
  print('all instances stopped');
  await stopTracing();
  process.exitCode = exitCode;
  // Forced: leave now rather than wait for idle sockets or timers to wind down.
  if (signals >= 2) process.exit(exitCode);
}

function describeChange({ instance }: StateChange): string {
  const name = instance.id.padEnd(24);
  if (!(instance instanceof Instance)) {
    const label = paintState(instance.state.name.padEnd(11));
    return `${name} ${label} ${instance.kind} ${instance.baseUrl}${instance.reason ? ` — ${instance.reason}` : ''}`;
  }
  const { state } = instance;
  const label = paintState(state.name.padEnd(9));
  switch (state.name) {
    case 'starting':
      return `${name} ${label} pid ${state.pid} port ${instance.port}`;
    case 'healthy':
      return `${name} ${label} pid ${state.pid} port ${instance.port} (${Date.now() - state.startedAt} ms after spawn)`;
    case 'unhealthy':
      return `${name} ${label} ${state.failures} failed probe(s): ${state.lastError}`;
    case 'backoff':
      return state.stable
        ? `${name} ${label} ${state.lastExit}; it had run, restarting at once`
        : `${name} ${label} ${state.lastExit}; crash-loop restart ${state.attempt} in ${state.until - state.since} ms`;
    case 'failed':
      return `${name} ${label} ${state.reason}`;
    case 'stopping':
      return `${name} ${label} pid ${state.pid}`;
    case 'stopped':
      return `${name} ${label} ${state.heldBy ?? instance.lastExit ?? ''}`;
    default: {
      const unreachable: never = state;
      return String(unreachable);
    }
  }
}

function timestamp(full: boolean): string {
  const iso = new Date().toISOString();
  return paint(full ? iso : iso.slice(11, 23), 'gray');
}
