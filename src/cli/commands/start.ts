import { controlCommand } from '../agent-control.js';
import type { GlobalOptions } from '../context.js';

/** `lightning start NAME[/i]`: start a stopped or failed agent again. */
export function startCommand(target: string, options: GlobalOptions): Promise<void> {
  return controlCommand('start', target, options);
}
