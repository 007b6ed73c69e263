import fs from 'node:fs';

const BLOCK = 4 * 1024 * 1024;
const NL = 0x0a;
const CLOSE_BRACE = 0x7d;
/**
 * The writer puts `v`, `ts`, `event` and `taskId` first: they fit in this many bytes (a UUID id
 * with room to spare), so the rest of a line — inputs, outputs — is never decoded.
 */
const HEAD_BYTES = 256;
const TERMINAL_EVENTS = new Set(['task.completed', 'task.failed', 'task.cancelled', 'task.interrupted']);

/**
 * The ids of tasks the ledger has submitted but not ended, oldest first, found without parsing
 * every event: what a restarted supervisor must mark interrupted before it answers anyone. It
 * reads only each line's `taskId` and `event` (a raw `"key":"` cannot occur inside a JSON string,
 * where quotes are escaped), so a ledger of a million tasks costs a file read, not a JSON parse
 * of every output. Torn and foreign lines are skipped, as the full reader does.
 */
export function findUnfinished(file: string): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const open = new Set<string>();
  const take = (line: string): void => {
    if (!line.startsWith('{"v":1,')) return;
    const event = valueOf(line, '"event":"');
    const taskId = valueOf(line, '"taskId":"');
    if (event === null || taskId === null || taskId === '') return;
    if (event === 'task.submitted') open.add(taskId);
    else if (TERMINAL_EVENTS.has(event)) open.delete(taskId);
  };
  try {
    let carry = Buffer.alloc(0);
    for (;;) {
      const block = Buffer.allocUnsafe(BLOCK);
      const n = fs.readSync(fd, block, 0, block.length, null);
      if (n === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      let start = 0;
      for (let end = chunk.indexOf(NL, start); end !== -1; end = chunk.indexOf(NL, start)) {
        take(head(chunk, start, end));
        start = end + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
    // A torn last line (a crash mid-write) has no closing brace: the full reader skips it too.
    if (carry.length > 0 && carry[carry.length - 1] === CLOSE_BRACE) take(head(carry, 0, carry.length));
  } finally {
    fs.closeSync(fd);
  }
  return [...open];
}

/** The start of a line, where its envelope is; latin1 because ids and event names are ASCII. */
function head(chunk: Buffer, start: number, end: number): string {
  return chunk.toString('latin1', start, Math.min(end, start + HEAD_BYTES));
}

/** The string value after `key` up to its closing quote; null when absent, cut off by the head, or escaped (never in ids or event names). */
function valueOf(line: string, key: string): string | null {
  const start = line.indexOf(key);
  if (start < 0) return null;
  const from = start + key.length;
  const end = line.indexOf('"', from);
  if (end < 0) return null;
  const value = line.slice(from, end);
  return value.includes('\\') ? null : value;
}
