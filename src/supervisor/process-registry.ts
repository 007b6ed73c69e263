/**
 * Crash hygiene. Agents run detached in their own process groups, so a supervisor that dies
 * uncleanly (SIGKILL, OOM) leaves them running, holding ports and API quota. The supervisor
 * records each group here; the next start sweeps whatever survived. Because pids are reused, an
 * entry is only acted on after checking the live process is still the one we started.
 */
import { mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { hasProc, isAlive, readProc, readStat } from '../util/proc.js';

export { isAlive } from '../util/proc.js';

export interface ProcessEntry {
  pid: number;
  pgid: number;
  command: string[];
  startedAt: string;
}

export interface SweepOptions {
  graceMs?: number;
  log?: (msg: string) => void;
  /** LIGHTNING_HOME of the supervisor; lets an orphaned group (leader gone) be recognised. */
  home?: string;
}

export interface SweepResult {
  killed: Array<{ id: string; pid: number }>;
  skipped: Array<{ id: string; pid: number; why: string }>;
}

export interface RegistryFile {
  version: 1;
  supervisorPid: number;
  entries: Record<string, ProcessEntry>;
}

const POLL_MS = 20;

export class ProcessRegistry {
  private readonly entries = new Map<string, ProcessEntry>();

  /** Starts empty: sweep() the file first, or a dead supervisor's survivors are forgotten. */
  constructor(private readonly file: string) {}

  record(id: string, entry: ProcessEntry): void {
    this.entries.set(id, { ...entry, command: [...entry.command] });
    this.write();
  }

  forget(id: string): void {
    if (this.entries.delete(id)) this.write();
  }

  /**
   * Synchronous on purpose: the file must be current the moment spawn returns (a SIGKILL can come
   * at any time), and ordering is trivially right with no overlapping async writes. It is tiny.
   * fsync is skipped: a killed process loses nothing in the page cache; only power loss would.
   */
  private write(): void {
    if (this.entries.size === 0) {
      removeQuietly(this.file); // A clean shutdown leaves nothing behind to sweep.
      return;
    }
    const data: RegistryFile = {
      version: 1,
      supervisorPid: process.pid,
      entries: Object.fromEntries(this.entries),
    };
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    removeQuietly(tmp); // 'wx' below so the 0600 mode applies to a fresh file, never an old one.
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, this.file);
  }

  /**
   * Stops every recorded group that is verifiably still ours, then deletes the file. Run it before
   * this process creates its own registry on the same file, which the final unlink would remove.
   */
  static async sweep(file: string, opts: SweepOptions = {}): Promise<SweepResult> {
    const log = opts.log ?? (() => undefined);
    const result: SweepResult = { killed: [], skipped: [] };
    let data: RegistryFile | null;
    try {
      data = await readRegistryFile(file);
    } catch (err) {
      log(`process registry ${file} is corrupt (${(err as Error).message}); nothing to sweep`);
      await unlink(file).catch(() => undefined); // Otherwise every start would complain again.
      return result;
    }
    if (!data) return result;

    const targets: Array<{ id: string; entry: ProcessEntry }> = [];
    for (const [id, entry] of Object.entries(data.entries)) {
      const why = verify(entry, opts.home);
      if (why === null) targets.push({ id, entry });
      else if (why !== 'gone') result.skipped.push({ id, pid: entry.pid, why });
    }
    // A second supervisor on the same home still owns these groups: leave them and its file alone.
    if (targets.length > 0 && data.supervisorPid !== process.pid && looksLikeSupervisor(data.supervisorPid)) {
      const why = `supervisor pid ${data.supervisorPid} is still running`;
      log(`not sweeping ${file}: ${why}`);
      for (const { id, entry } of targets) result.skipped.push({ id, pid: entry.pid, why });
      return result;
    }

    for (const { id, entry } of targets) {
      log(`stopping leftover ${id} (pid ${entry.pid}, group ${entry.pgid}): ${entry.command.join(' ')}`);
      signalGroup(entry.pgid, 'SIGTERM');
    }
    // All groups share one grace period, so ten hung agents cost graceMs, not ten times it.
    let remaining = await waitForGroups(targets, opts.graceMs ?? 2000);
    for (const { id, entry } of remaining) {
      log(`leftover ${id} (group ${entry.pgid}) ignored SIGTERM; sending SIGKILL`);
      signalGroup(entry.pgid, 'SIGKILL');
    }
    remaining = await waitForGroups(remaining, 1000);
    for (const { id, entry } of targets) {
      // Surviving SIGKILL means uninterruptible sleep (D state): nothing more a signal can do.
      if (remaining.some((r) => r.id === id)) {
        result.skipped.push({ id, pid: entry.pid, why: 'still alive after SIGKILL' });
      } else {
        result.killed.push({ id, pid: entry.pid });
      }
    }
    await unlink(file).catch(() => undefined);
    return result;
  }
}

/** The file's contents; null when there is none. Throws when it is not a registry file. */
export async function readRegistryFile(file: string): Promise<RegistryFile | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const parsed = JSON.parse(text) as Partial<RegistryFile>;
  const entries: Record<string, ProcessEntry> = {};
  for (const [id, raw] of Object.entries(parsed.entries ?? {})) {
    if (!isEntry(raw)) throw new Error(`bad entry ${JSON.stringify(id)}`);
    entries[id] = raw;
  }
  return { version: 1, supervisorPid: Number(parsed.supervisorPid) || 0, entries };
}

/** Polls until every pid has exited; returns those still alive at the timeout. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    alive = alive.filter(isAlive);
  }
  return alive;
}

async function waitForGroups<T extends { entry: ProcessEntry }>(targets: T[], ms: number): Promise<T[]> {
  const deadline = Date.now() + ms;
  let remaining = targets.filter(({ entry }) => groupAlive(entry.pgid));
  while (remaining.length > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    remaining = remaining.filter(({ entry }) => groupAlive(entry.pgid));
  }
  return remaining;
}

/** null = ours, kill it; 'gone' = nothing to do; anything else = why it was left alone. */
function verify(entry: ProcessEntry, home: string | undefined): string | null {
  // -0 and -1 would signal our own group or every process we may signal: never.
  if (entry.pgid <= 1 || entry.pgid === process.pid || entry.pgid === readStat(process.pid)?.pgrp) {
    return `refusing to signal process group ${entry.pgid}`;
  }
  try {
    process.kill(-entry.pgid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    return code === 'EPERM' ? 'process group belongs to another user' : `cannot probe group: ${code}`;
  }
  if (!hasProc) return 'cannot verify the process without /proc';
  const members = groupMembers(entry.pgid);
  if (members.length === 0) return 'gone'; // Only zombies left, waiting for init to reap them.

  const leader = readStat(entry.pid);
  if (leader && leader.state !== 'Z' && leader.pgrp === entry.pgid) {
    const argv = readArgv(entry.pid);
    // A process that set its title has one space-joined string instead of NUL-separated args.
    const live = argv?.length === 1 && argv[0]?.includes(' ') ? argv[0].split(' ') : argv;
    if (live && commandMatches(entry.command, live)) return null;
    return `pid ${entry.pid} now runs "${(argv ?? []).join(' ')}", not "${entry.command.join(' ')}"`;
  }
  // The leader exited but something it started lives on in the group. Its argv says nothing
  // about us, so rely on the marker the supervisor puts in every child's environment.
  if (home === undefined) return `leader ${entry.pid} is gone; group members cannot be verified`;
  const marker = `LIGHTNING_HOME=${home}`;
  for (const pid of members) {
    if (readProc(pid, 'environ')?.split('\0').includes(marker)) return null;
  }
  return `leader ${entry.pid} is gone; no group member has ${marker}`;
}

/**
 * Every recorded arg appears in the live argv, in order. argv[0] is compared by basename because
 * the live one may be the resolved path, or an interpreter may precede it (a #! script runs as
 * `node /path/script.js`). A setpriv wrapper execs in place, so only what follows its `--` counts.
 */
export function commandMatches(recorded: string[], live: string[]): boolean {
  let wanted = recorded;
  const separator = wanted.indexOf('--');
  if (wanted[0] !== undefined && path.basename(wanted[0]) === 'setpriv' && separator >= 0) {
    wanted = wanted.slice(separator + 1);
  }
  const [first, ...rest] = wanted;
  if (first === undefined) return false;
  const start = live.findIndex((arg) => path.basename(arg) === path.basename(first));
  if (start < 0) return false;
  let i = start + 1;
  for (const arg of rest) {
    while (i < live.length && live[i] !== arg) i++;
    if (i >= live.length) return false;
    i++;
  }
  return true;
}

function looksLikeSupervisor(pid: number): boolean {
  if (pid <= 0 || !isAlive(pid)) return false;
  if (!hasProc) return true;
  // A reused pid running something else must not block the sweep forever.
  const argv = readArgv(pid);
  return argv !== null && argv.some((arg) => /node|lightning/.test(path.basename(arg)));
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {} // Already gone.
}

function groupAlive(pgid: number): boolean {
  if (hasProc) return groupMembers(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) processes in a group, from /proc/<pid>/stat. */
function groupMembers(pgid: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(name));
  }
  return members;
}

/** A /proc/<pid> file, or null: gone (ENOENT), another user's (EACCES), or no /proc at all. */
function readArgv(pid: number): string[] | null {
  // Drop only the trailing NUL's empty string; empty args in the middle are real arguments.
  const args = readProc(pid, 'cmdline')?.split('\0');
  return args?.filter((arg, i) => arg || i < args.length - 1) ?? null;
}

function isEntry(value: unknown): value is ProcessEntry {
  const v = (value ?? {}) as Partial<ProcessEntry>;
  const argv = v.command;
  return Number.isInteger(v.pid) && Number.isInteger(v.pgid) && typeof v.startedAt === 'string' &&
    Array.isArray(argv) && argv.every((arg) => typeof arg === 'string');
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {} // Not there: fine.
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
