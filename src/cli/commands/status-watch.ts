import type { StatusDocument } from '../../protocol/status.js';
import type { SupervisorInfo } from '../../state/supervisor-file.js';
import { EXIT } from '../exit-error.js';
import { renderStatusTable } from '../render/status-table.js';
import { fetchStatus } from '../../api/client.js';

/** How often the watch view refreshes. */
const REFRESH_MS = 1000;
const CLEAR_AND_HOME = '\u001b[H\u001b[2J';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

/**
 * `lightning status --watch`: the status table redrawn in place every second, with in-flight
 * tasks and success rate; `q` or Ctrl-C leaves (the terminal is restored either way).
 */
export async function watchStatus(info: SupervisorInfo): Promise<void> {
  const tty = Boolean(process.stdout.isTTY);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const restore = () => {
    if (tty) process.stdout.write(SHOW_CURSOR);
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
  };
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on('data', (key: Buffer) => {
      // q, Q, Ctrl-C (raw mode delivers it as a byte instead of a signal), Esc.
      if (['q', 'Q', '\u0003', '\u001b'].includes(key.toString())) stop();
    });
  }
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  if (tty) process.stdout.write(HIDE_CURSOR);
  try {
    for (;;) {
      let frame: string;
      try {
        frame = renderWatch(await fetchStatus(info));
      } catch (error) {
        frame = `lost the supervisor at ${info.api}: ${(error as Error).message}`;
        process.exitCode = EXIT.noSupervisor;
        process.stdout.write((tty ? CLEAR_AND_HOME : '') + frame + '\n');
        return;
      }
      process.stdout.write((tty ? CLEAR_AND_HOME : '') + frame + '\n');
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise((resolve) => (timer = setTimeout(resolve, REFRESH_MS)));
      const next = await Promise.race([tick.then(() => 'tick'), stopped.then(() => 'stop')]);
      clearTimeout(timer);
      if (next === 'stop') return;
    }
  } finally {
    restore();
  }
}

function renderWatch(document: StatusDocument): string {
  const footer = `${new Date().toLocaleTimeString()} · refreshing every ${REFRESH_MS / 1000}s · q or Ctrl-C to leave`;
  return `${renderStatusTable(document, { load: true })}\n\n${footer}`;
}
