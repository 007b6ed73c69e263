import { controlCommand } from '../agent-control.js';
import type { GlobalOptions } from '../context.js';

/** `lightning restart NAME[/i]`: restart an agent's instances one at a time, each healthy before the next; a failed one starts with a fresh crash streak. */
export function restartCommand(target: string, options: GlobalOptions): Promise<void> {
  return controlCommand('restart', target, options);
}
