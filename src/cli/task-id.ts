/**
 * Task ids as people type them: a unique prefix is enough (`lightning task 3f2a`), as with git
 * commits and docker containers. Resolved against the ledger, which every task enters with its
 * `task.submitted` line before anything else happens to it; read as a stream, line by line, so a
 * large ledger costs time but never memory.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { EXIT, ExitError } from './exit-error.js';

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The writer serialises {v, ts, event, taskId, …} in that order (ledger/writer.ts), so a
// submission line holds this text; anything else is JSON-parsed only when it matches.
const SUBMITTED = '"event":"task.submitted","taskId":"';
/** Matches listed in the ambiguity error; more are counted, not shown. */
const SHOWN_MATCHES = 10;

/**
 * The full id `given` stands for. A full id, or a prefix matching nothing, comes back as given
 * (the caller's own lookup then says "no task with id …"); a prefix matching several tasks is a
 * usage error listing them.
 */
export async function resolveTaskId(given: string, ledger: string): Promise<string> {
  if (FULL_ID.test(given)) return given;
  const matches = await submittedIdsStartingWith(given, ledger);
  if (matches.has(given) || matches.size === 0) return given;
  if (matches.size === 1) return [...matches.keys()][0]!;
  const newest = [...matches].sort((a, b) => (a[1] < b[1] ? 1 : -1));
  const listed = newest.slice(0, SHOWN_MATCHES).map(([id, ts]) => `    ${id}  submitted ${ts}`);
  const more = newest.length > SHOWN_MATCHES ? [`    … and ${newest.length - SHOWN_MATCHES} more`] : [];
  throw new ExitError(
    [`task id prefix "${given}" is ambiguous: ${matches.size} tasks start with it`, ...listed, ...more, '  fix: type more of the id'].join('\n'),
    EXIT.usage,
  );
}

/** Ids of submitted tasks that start with `prefix`, with their submission time. */
async function submittedIdsStartingWith(prefix: string, ledger: string): Promise<Map<string, string>> {
  const matches = new Map<string, string>();
  const needle = `${SUBMITTED}${JSON.stringify(prefix).slice(1, -1)}`;
  const stream = createReadStream(ledger, { encoding: 'utf8' });
  const opened = await new Promise<boolean>((resolve) => {
    stream.once('open', () => resolve(true));
    stream.once('error', () => resolve(false));
  });
  if (!opened) return matches;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.includes(needle)) continue;
    try {
      const event = JSON.parse(line) as { taskId?: unknown; ts?: unknown };
      if (typeof event.taskId === 'string') matches.set(event.taskId, typeof event.ts === 'string' ? event.ts : '');
    } catch {} // a torn last line after a crash: skipped, as the ledger reader does
  }
  return matches;
}
