import { spawn } from 'node:child_process';
import { ApiClient } from '../../api/client.js';
import type { GlobalOptions } from '../context.js';
import { requireSupervisor, resolveStateContext } from '../context.js';
import { ExitError } from '../exit-error.js';

/**
 * `lightning dashboard [--open]`: prints a one-time login URL for the live dashboard (valid for a
 * minute, usable once; the browser gets an HttpOnly cookie), and opens it with --open.
 */
export async function dashboardCommand(options: GlobalOptions & { open?: boolean }): Promise<void> {
  const { paths } = resolveStateContext(options);
  const info = await requireSupervisor(paths);
  const response = await new ApiClient(info).dashboardLogin();
  if (response.status !== 201 || !response.body.url) throw new ExitError(response.body.message ?? `HTTP ${response.status}`);
  process.stdout.write(`${response.body.url}\n`);
  process.stderr.write('(a one-time link, valid for 60 s; open it in a browser on this machine)\n');
  if (options.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [response.body.url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`could not run ${opener}; open the link yourself\n`));
    child.unref();
  }
}
