import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

const BLOCK = 64 * 1024;
/** A follower's unterminated line is bounded like the writer's, so a runaway line cannot eat memory. */
const MAX_PARTIAL_BYTES = 1024 * 1024;
const NL = 0x0a;

/** The log file of one instance (`<agent>-<i>.log`). */
export function logFileOf(logsDir: string, agent: string, instance: number): string {
  return path.join(logsDir, `${agent}-${instance}.log`);
}

/**
 * The live log of one instance and its rotated siblings, oldest first (`.log.4` … `.log.1`, `.log`).
 * Found by listing the directory rather than probing `.1`, `.2`, … so a gap (a deleted file) or a
 * `files` setting changed between runs does not hide anything.
 */
export function logFilesOf(logsDir: string, agent: string, instance: number): string[] {
  const base = `${agent}-${instance}.log`;
  let names: string[];
  try {
    names = fs.readdirSync(logsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: { name: string; age: number }[] = [];
  for (const name of names) {
    if (name === base) found.push({ name, age: 0 });
    else if (name.startsWith(`${base}.`)) {
      const suffix = name.slice(base.length + 1);
      if (/^[1-9]\d*$/.test(suffix)) found.push({ name, age: Number(suffix) });
    }
  }
  found.sort((a, b) => b.age - a.age);
  return found.map((f) => path.join(logsDir, f.name));
}

/**
 * The last `n` lines across `files` (given oldest first), oldest line first. Each file is read
 * backwards in blocks until enough lines are in hand, so 10 lines of a 10 MB log cost one block.
 */
export function readLastLines(files: string[], n: number): string[] {
  return readLastLinesMarked(files, n).lines;
}

/** Where a read of a file ended: following from here continues without a gap or a repeat. */
export interface FileMark {
  ino: bigint;
  pos: number;
}

/** readLastLines, plus the mark of the newest (live) file for `followFile`'s `startAt`. */
export function readLastLinesMarked(files: string[], n: number): { lines: string[]; mark: FileMark | null } {
  let lines: string[] = [];
  let mark: FileMark | null = null;
  for (let i = files.length - 1; i >= 0 && (lines.length < n || i === files.length - 1); i--) {
    const tail = tailOfFile(files[i]!, Math.max(0, n - lines.length));
    if (i === files.length - 1) mark = tail.mark;
    lines = [...tail.lines, ...lines];
  }
  return { lines, mark };
}

function tailOfFile(file: string, n: number): { lines: string[]; mark: FileMark | null } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    // Rotated away between listing and reading: simply has no lines for us.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], mark: null };
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd, { bigint: true });
    const size = Number(stat.size);
    const mark = { ino: stat.ino, pos: size };
    if (n <= 0) return { lines: [], mark };
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // n lines need n+1 newlines (the one before the first line) unless we reach the file's start;
    // a trailing newline adds one more, so stop at n+1 plus that.
    while (pos > 0 && newlines <= n) {
      const len = Math.min(BLOCK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const r = fs.readSync(fd, buf, got, len - got, pos + got);
        if (r === 0) break;
        got += r;
      }
      chunks.unshift(buf.subarray(0, got));
      for (let k = 0; k < got; k++) if (buf[k] === NL) newlines++;
    }
    let data = Buffer.concat(chunks);
    // Cutting at a newline byte is UTF-8 safe; cutting mid-block may split a character.
    if (pos > 0) data = data.subarray(data.indexOf(NL) + 1);
    const lines = data.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines: lines.slice(-n), mark };
  } finally {
    fs.closeSync(fd);
  }
}

export interface FollowOptions {
  /** How often to look for new data and for rotation. Default 200 ms. */
  pollMs?: number;
  /** Following stops (and the promise resolves) when this aborts. */
  signal?: AbortSignal;
  /**
   * Skip what the file holds when following starts (e.g. after printing `readLastLines`).
   * Files that appear later — after a rotation or when the file did not exist yet — are always
   * read from their start. Default false.
   */
  fromEnd?: boolean;
  /**
   * Continue exactly where a read of this file ended (`readLastLinesMarked`), so lines written in
   * between are neither lost nor repeated. If the file was rotated since, the new one is read
   * from its start.
   */
  startAt?: FileMark | null;
}

/**
 * Follows `file` like `tail -F`: emits each new complete line; survives rotation (rename to
 * `.1`), truncation, and the file not existing yet. Resolves when `opts.signal` aborts.
 *
 * Rotation is noticed by the path's inode changing (or disappearing). The old file is still open,
 * so it is read to its very end before switching — that is what makes a rotation lose nothing.
 * A writer that rotates twice between two polls would still skip the middle file, as `tail -F` does.
 */
export async function followFile(
  file: string,
  onLine: (line: string) => void,
  opts: FollowOptions = {},
): Promise<void> {
  const pollMs = opts.pollMs ?? 200;
  const signal = opts.signal;
  let fh: FileHandle | null = null;
  let ino = 0n;
  let dev = 0n;
  let pos = 0;
  let partial: Buffer = Buffer.alloc(0);
  let first = true;
  const buf = Buffer.alloc(BLOCK);

  const emitFrom = (data: Buffer): void => {
    let chunk = partial.length > 0 ? Buffer.concat([partial, data]) : data;
    let nl: number;
    // Split on bytes, not decoded text: a newline byte never occurs inside a UTF-8 character.
    while ((nl = chunk.indexOf(NL)) !== -1) {
      onLine(stripCR(chunk.subarray(0, nl).toString('utf8')));
      chunk = chunk.subarray(nl + 1);
    }
    if (chunk.length > MAX_PARTIAL_BYTES) {
      onLine(chunk.toString('utf8'));
      chunk = Buffer.alloc(0);
    }
    // Copy so the shared read buffer can be reused.
    partial = Buffer.from(chunk);
  };

  // Reads from `pos` to the current end of the open file.
  const drain = async (handle: FileHandle): Promise<void> => {
    for (;;) {
      if (signal?.aborted) return;
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      emitFrom(buf.subarray(0, bytesRead));
    }
  };

  const finishOld = async (handle: FileHandle): Promise<void> => {
    await drain(handle);
    // The old file is complete; a line it never terminated will not be continued elsewhere.
    if (partial.length > 0 && !signal?.aborted) onLine(stripCR(partial.toString('utf8')));
    partial = Buffer.alloc(0);
    await handle.close();
  };

  try {
    while (!signal?.aborted) {
      if (fh === null) {
        try {
          fh = await fsp.open(file, 'r');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          first = false; // a file that appears later is new content: read it from its start
          await sleep(pollMs, signal);
          continue;
        }
        const st = await fh.stat({ bigint: true });
        ino = st.ino;
        dev = st.dev;
        const startAt = first ? opts.startAt : null;
        pos = startAt ? (startAt.ino === st.ino && startAt.pos <= Number(st.size) ? startAt.pos : 0) : first && opts.fromEnd ? Number(st.size) : 0;
        first = false;
        partial = Buffer.alloc(0);
      }

      await drain(fh);
      if (signal?.aborted) break;

      let st: fs.BigIntStats | null;
      try {
        st = await fsp.stat(file, { bigint: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        st = null;
      }
      if (st === null || st.ino !== ino || st.dev !== dev) {
        // Rotated or removed: data may have landed after the drain above, so read the old fd to
        // its end, then reopen the path at once (no sleep) to keep up with a busy writer.
        const old = fh;
        fh = null;
        await finishOld(old);
        if (st === null) await sleep(pollMs, signal);
        continue;
      }
      if (Number(st.size) < pos) {
        // Truncated in place (copytruncate style): start over from its beginning.
        pos = 0;
        partial = Buffer.alloc(0);
        continue;
      }
      await sleep(pollMs, signal);
    }
  } finally {
    if (fh !== null) await fh.close();
  }
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Like timers/promises setTimeout, but abort resolves instead of throwing. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
