import { readFileSync, readdirSync } from 'node:fs';

/**
 * Whether processes are alive, from /proc where there is one: what the supervisor, `down` and the
 * state files all ask of a pid. Here (not in supervisor/) because state/ needs it too.
 */

/** /proc is Linux's; elsewhere the answers fall back to kill(pid, 0). */
export const hasProc = process.platform === 'linux';

/**
 * Exists and is not a zombie (a zombie answers kill(pid, 0) but is already dead). A process whose
 * main thread is a zombie while other threads still run is still exiting — and may still hold its
 * ports — so it counts as alive until every thread is gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readStat(pid);
  return stat === null || stat.state !== 'Z' || threadsRunning(pid);
}

function threadsRunning(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tids.some((tid) => {
    const text = readProc(pid, `task/${tid}/stat`);
    return text !== null && text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  });
}

/** A file of /proc/<pid>/, or null when it cannot be read (the process is gone). */
export function readProc(pid: number, name: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return null;
  }
}

/** The state letter and process group of a pid, from /proc/<pid>/stat. */
export function readStat(pid: number): { state: string; pgrp: number } | null {
  const text = hasProc ? readProc(pid, 'stat') : null;
  if (text === null) return null;
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parens, so cut at the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  return state && Number.isInteger(pgrp) ? { state, pgrp } : null;
}

