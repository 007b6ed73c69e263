import fs from 'node:fs';
import { loadConfig } from '../../config/load.js';
import type { AgentConfig } from '../../config/types.js';
import { followFile, logFileOf, logFilesOf, readLastLinesMarked } from '../../logs/tail.js';
import type { GlobalOptions } from '../context.js';
import { resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

/**
 * `lightning logs NAME[/i]`: reads the log files directly, so it works with or without a
 * running supervisor. Lines of several instances are merged by their timestamps.
 */
export async function logsCommand(target: string, options: LogsOptions): Promise<void> {
  const { configPath, paths } = resolveContext(options);
  const config = loadConfig(configPath);
  const count = Number(options.lines ?? '50');
  if (!Number.isInteger(count) || count < 0) throw new ExitError(`bad -n "${options.lines}": use a whole number of lines`, EXIT.usage);
  const { agent, indexes } = selectInstances(target, [...config.agents, ...joinedAgents(paths.logsDir, config.agents)]);
  const prefixed = indexes.length > 1;
  const prefix = (index: number) => (prefixed ? `${agent.name}/${index} | ` : '');

  const reads = new Map(indexes.map((index) => [index, readLastLinesMarked(logFilesOf(paths.logsDir, agent.name, index), count)]));
  const tails = indexes.flatMap((index) => reads.get(index)!.lines.map((line) => ({ line, text: prefix(index) + line })));
  tails.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  for (const { text } of tails.slice(Math.max(0, tails.length - count))) process.stdout.write(text + '\n');
  if (!options.follow) {
    if (tails.length === 0) process.stderr.write(`no log lines yet for ${target} (in ${paths.logsDir})\n`);
    return;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
    process.exitCode = EXIT.interrupted;
  });
  await Promise.all(
    indexes.map((index) =>
      followFile(logFileOf(paths.logsDir, agent.name, index), (line) => process.stdout.write(prefix(index) + line + '\n'), {
        signal: controller.signal,
        // Where the tail above stopped reading: lines written since are not lost.
        startAt: reads.get(index)?.mark ?? null,
        fromEnd: true,
      }),
    ),
  );
}

/**
 * Agents that joined the supervisor under names of their own are not in agents.yaml, but they
 * have logs (the supervisor's notes on their probes and lease): take them from the logs directory.
 */
function joinedAgents(logsDir: string, configured: AgentConfig[]): LoggedAgent[] {
  let names: string[];
  try {
    names = fs.readdirSync(logsDir);
  } catch {
    return [];
  }
  const instances = new Map<string, number>();
  for (const name of names) {
    const match = /^(.+)-(\d+)\.log$/.exec(name);
    if (!match || configured.some((agent) => agent.name === match[1])) continue;
    instances.set(match[1]!, Math.max(instances.get(match[1]!) ?? 0, Number(match[2]) + 1));
  }
  return [...instances].map(([name, count]) => ({ name, instances: count }));
}

/** `name` → every instance; `name/1` → that one. Anything else is a usage error naming what exists. */
/** What choosing instances needs of an agent. */
type LoggedAgent = Pick<AgentConfig, 'name' | 'instances'>;

function selectInstances(target: string, agents: LoggedAgent[]): { agent: LoggedAgent; indexes: number[] } {
  const match = /^([^/#]+)(?:[/#](\d+))?$/.exec(target);
  const agent = match ? agents.find((candidate) => candidate.name === match[1]) : undefined;
  const known = agents.map((candidate) => (candidate.instances > 1 ? `${candidate.name} (/0…/${candidate.instances - 1})` : candidate.name));
  if (!match || !agent) {
    throw new ExitError(`unknown agent "${target}"\n  known agents: ${known.join(', ')}`, EXIT.usage);
  }
  const all = Array.from({ length: agent.instances }, (_, index) => index);
  if (match[2] === undefined) return { agent, indexes: all };
  const index = Number(match[2]);
  if (index >= agent.instances) {
    const choices = agent.instances === 1 ? `${agent.name} or ${agent.name}/0` : `${agent.name}/0…/${agent.instances - 1}`;
    throw new ExitError(`${agent.name} has ${agent.instances} instance(s): use ${choices} (there is no /${index})`, EXIT.usage);
  }
  return { agent, indexes: [index] };
}
