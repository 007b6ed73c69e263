import { fstatSync } from 'node:fs';

/** How often the parent pid is checked; with the stdin signal this bounds exit to well under 1 s. */
const PARENT_POLL_MS = 250;

/**
 * A worker exits by itself when its supervisor is gone, even a SIGKILLed one that could not stop
 * it. Two signals, whichever comes first: the stdin pipe from the supervisor reaches EOF (the
 * kernel closes it when the supervisor dies), or our parent pid changes (we were re-parented).
 */
export function exitWhenSupervisorGone(supervisorPid: number | null, onGone: (why: string) => void): void {
  let fired = false;
  const fire = (why: string) => {
    if (fired) return;
    fired = true;
    onGone(why);
  };
  if (stdinIsPipe()) {
    process.stdin.on('end', () => fire('stdin closed'));
    process.stdin.on('error', () => fire('stdin error'));
    process.stdin.resume();
  }
  if (supervisorPid !== null) {
    const timer = setInterval(() => {
      if (process.ppid !== supervisorPid) fire(`parent ${supervisorPid} is gone`);
    }, PARENT_POLL_MS);
    timer.unref();
  }
}

/**
 * Only a pipe means "the supervisor holds the other end"; a TTY or /dev/null does not. Node's
 * `stdio: 'pipe'` is a socketpair on Unix, not a FIFO, so both count.
 */
function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
