import type { GlobalOptions } from '../context.js';
import { findConfigPath } from '../../config/find.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface WorkerCommandOptions extends GlobalOptions {
  agent: string;
  port: string;
  instance?: string;
  host?: string;
}

/** Hidden `lightning worker`: the built-in agent worker the supervisor spawns. */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ExitError(`bad --port "${options.port}": use an integer 0–65535`, EXIT.usage);
  }
  const instance = Number(options.instance ?? '0');
  if (!Number.isInteger(instance) || instance < 0) throw new ExitError(`bad --instance "${options.instance}"`, EXIT.usage);
  const configPath = findConfigPath({ cwd: process.cwd(), explicit: options.config });
  const { runWorker, WorkerStartError } = await import('../../worker/main.js');
  try {
    await runWorker({ agent: options.agent, port, instance, configPath, ...(options.host ? { host: options.host } : {}) });
  } catch (error) {
    if (error instanceof WorkerStartError) throw new ExitError(error.message, EXIT.failed);
    throw error;
  }
}
