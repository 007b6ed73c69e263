import type { GlobalOptions } from '../context.js';
import { requireSupervisor, requireSupervisorStatus, resolveStateContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
  watch?: boolean;
}

export async function statusCommand(options: StatusOptions, name?: string): Promise<void> {
  const { paths } = resolveStateContext(options);
  // The renderers compile while the supervisor answers; awaited (and any failure reported) where used.
  const renderers = Promise.all([import('../render/status-table.js'), import('../render/agent-detail.js')]);
  renderers.catch(() => undefined);
  if (options.watch) {
    if (name !== undefined) throw new ExitError('--watch shows the whole fleet: lightning status --watch (without a name)', EXIT.usage);
    if (options.json) throw new ExitError('--watch and --json do not go together: poll `status --json` instead', EXIT.usage);
    const info = await requireSupervisor(paths);
    const { watchStatus } = await import('./status-watch.js');
    return watchStatus(info);
  }
  const { document } = await requireSupervisorStatus(paths);
  if (name !== undefined) {
    const instances = document.agents.filter((agent) => agent.name === name);
    if (instances.length === 0) {
      const known = [...new Set(document.agents.map((agent) => agent.name))];
      throw new ExitError(`no agent "${name}" in the fleet\n  fix: one of ${known.join(', ') || '(none)'} — \`lightning status\` lists them`, EXIT.usage);
    }
    if (options.json) process.stdout.write(JSON.stringify({ ...document, agents: instances }, null, 2) + '\n');
    else process.stdout.write((await renderers)[1].renderAgentDetail(name, instances) + '\n');
    return;
  }
  if (options.json) process.stdout.write(JSON.stringify(document, null, 2) + '\n');
  else process.stdout.write((await renderers)[0].renderStatusTable(document) + '\n');
}
