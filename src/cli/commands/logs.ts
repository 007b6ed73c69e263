import fs from 'node:fs';
import type { AgentConfig } from '../../config/types.js';
import { followFile, logFileOf, logFilesOf, readLastLinesMarked } from '../../logs/tail.js';
import type { GlobalOptions } from '../context.js';
import { loadConfigOrWarn, resolveStateContext } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
  since?: string;
}

/** Lines shown when neither -n nor --since says otherwise. */
const DEFAULT_LINES = 50;

/**
 * `lightning logs [NAME[/i]]`: reads the log files directly, so it works with or without a
 * running supervisor, and with agents.yaml broken or gone (the logs directory says which agents
 * have logs). No NAME: every agent, like `docker compose logs`. Lines of several instances are
 * merged by their timestamps and prefixed `NAME/i | `.
 */
export async function logsCommand(target: string | undefined, options: LogsOptions): Promise<void> {
  const count = options.lines === undefined ? (options.since === undefined ? DEFAULT_LINES : Number.POSITIVE_INFINITY) : Number(options.lines);
  if (count !== Number.POSITIVE_INFINITY && (!Number.isInteger(count) || count < 0)) throw new ExitError(`bad -n "${options.lines}": use a whole number of lines`, EXIT.usage);
  const sinceMs = options.since === undefined ? null : durationFlag('--since', options.since, { positive: true, example: '10m' });
  // Every line starts with its ISO timestamp, so "since" is a string comparison.
  const since = sinceMs === null ? null : new Date(Date.now() - sinceMs).toISOString();
  const context = resolveStateContext(options);
  const { paths } = context;
  const config = await loadConfigOrWarn(context);
  const configured = config?.agents ?? [];
  const agents = [...configured, ...loggedAgents(paths.logsDir, configured)];
  const streams = target === undefined ? everyInstance(agents) : selectInstances(target, agents);
  if (streams.length === 0) {
    process.stderr.write(`no agents have logs yet (in ${paths.logsDir})\n`);
    return;
  }
  const prefixed = target === undefined || streams.length > 1;
  const prefix = (stream: Stream) => (prefixed ? `${stream.agent}/${stream.index} | ` : '');

  const reads = new Map(streams.map((stream) => [stream, readLastLinesMarked(logFilesOf(paths.logsDir, stream.agent, stream.index), count)]));
  const tails = streams.flatMap((stream) =>
    reads.get(stream)!.lines.filter((line) => since === null || line >= since).map((line) => ({ line, text: prefix(stream) + line })),
  );
  tails.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  const shown = count === Number.POSITIVE_INFINITY ? tails : tails.slice(Math.max(0, tails.length - count));
  for (const { text } of shown) process.stdout.write(text + '\n');
  if (!options.follow) {
    if (shown.length === 0) process.stderr.write(`no log lines${since ? ` since ${since}` : ' yet'} for ${target ?? 'any agent'} (in ${paths.logsDir})\n`);
    return;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
    process.exitCode = EXIT.interrupted;
  });
  await Promise.all(
    streams.map((stream) =>
      followFile(logFileOf(paths.logsDir, stream.agent, stream.index), (line) => process.stdout.write(prefix(stream) + line + '\n'), {
        signal: controller.signal,
        // Where the tail above stopped reading: lines written since are not lost.
        startAt: reads.get(stream)?.mark ?? null,
        fromEnd: true,
      }),
    ),
  );
}

/** What choosing instances needs of an agent. */
type LoggedAgent = Pick<AgentConfig, 'name' | 'instances'>;
/** One instance's log. */
interface Stream {
  agent: string;
  index: number;
}

/**
 * Agents with logs that agents.yaml does not list (or all of them, when it cannot be read):
 * agents that joined under names of their own, agents removed since, every agent of a fleet whose
 * config is broken. Their instance count is the highest `<agent>-<i>.log` there is.
 */
function loggedAgents(logsDir: string, configured: readonly LoggedAgent[]): LoggedAgent[] {
  let names: string[];
  try {
    names = fs.readdirSync(logsDir);
  } catch {
    return [];
  }
  const instances = new Map<string, number>();
  for (const name of names.sort()) {
    const match = /^(.+)-(\d+)\.log$/.exec(name);
    if (!match || configured.some((agent) => agent.name === match[1])) continue;
    instances.set(match[1]!, Math.max(instances.get(match[1]!) ?? 0, Number(match[2]) + 1));
  }
  return [...instances].map(([name, count]) => ({ name, instances: count }));
}

function everyInstance(agents: readonly LoggedAgent[]): Stream[] {
  return agents.flatMap((agent) => Array.from({ length: agent.instances }, (_, index) => ({ agent: agent.name, index })));
}

/** `name` → every instance; `name/1` → that one. Anything else is a usage error naming what exists. */
function selectInstances(target: string, agents: readonly LoggedAgent[]): Stream[] {
  const match = /^([^/#]+)(?:[/#](\d+))?$/.exec(target);
  const agent = match ? agents.find((candidate) => candidate.name === match[1]) : undefined;
  const known = agents.map((candidate) => (candidate.instances > 1 ? `${candidate.name} (/0…/${candidate.instances - 1})` : candidate.name));
  if (!match || !agent) {
    throw new ExitError(`unknown agent "${target}"\n  known agents: ${known.join(', ') || '(none have logs yet)'}`, EXIT.usage);
  }
  const all = everyInstance([agent]);
  if (match[2] === undefined) return all;
  const index = Number(match[2]);
  if (index >= agent.instances) {
    const choices = agent.instances === 1 ? `${agent.name} or ${agent.name}/0` : `${agent.name}/0…/${agent.instances - 1}`;
    throw new ExitError(`${agent.name} has ${agent.instances} instance(s): use ${choices} (there is no /${index})`, EXIT.usage);
  }
  return [{ agent: agent.name, index }];
}
