/**
 * The process the supervisor spawns for a built-in agent. It skips commander and the config
 * loader (zod + yaml cost ~200 ms of start-up per worker on these machines): the supervisor hands
 * the resolved agent over in LIGHTNING_AGENT_SPEC. `lightning worker` is the same worker for
 * people starting one by hand.
 */
import { parseArgs } from 'node:util';
import type { AgentConfig } from '../config/types.js';
import { AGENT_SPEC_ENV, runWorker, WorkerStartError } from './main.js';

// No top-level await: the single executable's bundle is CommonJS, where it does not exist.
void spawnedWorker(process.argv.slice(2));

async function spawnedWorker(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      agent: { type: 'string' },
      port: { type: 'string' },
      instance: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const specText = process.env[AGENT_SPEC_ENV];
  try {
    if (!values.agent || !values.port || !specText) {
      throw new WorkerStartError(`usage: entry.js --agent NAME --port N with ${AGENT_SPEC_ENV} set (or run \`lightning worker\`)`);
    }
    await runWorker({
      agent: values.agent,
      port: Number(values.port),
      instance: Number(values.instance),
      host: values.host,
      spec: JSON.parse(specText) as AgentConfig,
    });
  } catch (error) {
    process.stderr.write(`lightning worker: ${error instanceof WorkerStartError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  }
}
