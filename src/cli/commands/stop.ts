import { controlCommand } from '../agent-control.js';
import type { GlobalOptions } from '../context.js';

/** `lightning stop NAME[/i]`: stop an agent; it stays stopped (no probe restarts it) until `start`, `restart` or `up`. */
export function stopCommand(target: string, options: GlobalOptions): Promise<void> {
  return controlCommand('stop', target, options);
}
