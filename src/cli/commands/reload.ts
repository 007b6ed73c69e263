import { ApiClient } from '../../api/client.js';
import type { GlobalOptions } from '../context.js';
import { requireSupervisor, resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';

/** A reload restarts changed agents one by one and waits for each: minutes on a big fleet. */
const RELOAD_TIMEOUT_MS = 120_000;

/** `lightning reload`: apply agents.yaml now (the supervisor also watches it). */
export async function reloadCommand(options: GlobalOptions): Promise<void> {
  const { paths } = resolveContext(options);
  const info = await requireSupervisor(paths);
  const response = await new ApiClient(info).reload({ timeoutMs: RELOAD_TIMEOUT_MS });
  if (response.status !== 200) {
    throw new ExitError(`${response.body.message ?? `HTTP ${response.status}`}\n  the running fleet was left as it was`, EXIT.usage);
  }
  process.stdout.write(`reloaded: ${response.body.summary}\n`);
}
