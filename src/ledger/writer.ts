import fs from 'node:fs';
import path from 'node:path';
import { Secrets } from '../util/secrets.js';
import type { LedgerEventBody } from '../protocol/events.js';

export interface LedgerWriterOptions {
  /** What must never reach the ledger (API keys, tokens): the supervisor's one Secrets service. */
  secrets?: Secrets;
  /**
   * How long an idle writer waits after the first append before writing, to gather a bigger batch.
   * 0 (the default) writes on the next turn of the event loop. Appends that arrive while a write is
   * in flight never wait longer than that write: they form the next batch as soon as it ends.
   */
  flushMs?: number;
  /** Called after each durable batch with its size; for tests and benchmarks. */
  onFlush?: (batchSize: number) => void;
}

/**
 * How soon an appended line must be written. `now`: on the next turn of the event loop (after
 * `flushMs`), for a line someone waits on (a task's end, before its answer goes out). `soon`: within
 * `withinMs`, or earlier with the next `now` line or `flush()` — for a line nobody waits on (a task's
 * submission and routing while it runs), so a task's lines share one durable write instead of two.
 */
export type AppendUrgency = { by: 'now' } | { by: 'soon'; withinMs: number };

const NOW: AppendUrgency = { by: 'now' };

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

const NL = 0x0a;

/**
 * Append, and a write returns once its data is on disk, so a batch is one write: one thread-pool
 * round trip instead of a write and then an fsync. O_DSYNC where the platform has it: fdatasync's
 * guarantee — the data and what reading it back needs (the file's new size) — which is all a
 * ledger line needs; O_SYNC also waits for timestamps. On the bench machine's ext4 the two measure
 * the same (interleaved runs, 1.2 KB and 60 KB writes). Elsewhere (Windows) 'as', Node's O_SYNC
 * append.
 */
const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;
const DURABLE_APPEND: number | string = O_DSYNC === undefined ? 'as' : O_WRONLY | O_APPEND | O_CREAT | O_DSYNC;

/**
 * Appends events to `.lightning/ledger.jsonl`, each promise settling once its line is on disk.
 *
 * Durability is group-committed: everything appended while a durable write is in flight goes out
 * in the next single write, so throughput scales with concurrency instead of being
 * capped at one durable write per event. Lines keep the order of the append calls because there is one
 * queue and one batch in flight at a time.
 */
export class LedgerWriter {
  private readonly fd: number;
  private readonly secrets: Secrets;
  private readonly flushMs: number;
  private readonly onFlush: ((batchSize: number) => void) | undefined;
  private queue: Pending[] = [];
  /** performance.now() by which the queue must be written (0: at once; Infinity: nothing queued). */
  private dueAt = Number.POSITIVE_INFINITY;
  /** A start is scheduled for dueAt (a timer or an immediate). */
  private scheduled: { dueAt: number; cancel: () => void } | null = null;
  private draining: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /**
   * Set when the file may end in a partial line (a crash mid-write, or one of our writes failed):
   * the next batch starts with a newline so the fragment stays one skipped line and does not swallow
   * the first good line. An empty line is skipped by readers.
   */
  private needsNewline: boolean;
  private flushCount = 0;

  private constructor(fd: number, needsNewline: boolean, options: LedgerWriterOptions) {
    this.fd = fd;
    this.needsNewline = needsNewline;
    this.flushMs = Math.max(0, options.flushMs ?? 0);
    this.onFlush = options.onFlush;
    this.secrets = options.secrets ?? new Secrets();
  }

  static open(file: string, options: LedgerWriterOptions = {}): LedgerWriter {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const existed = fs.existsSync(file);
    // Task inputs and outputs are the user's business: owner-only, like supervisor.json.
    const fd = fs.openSync(file, DURABLE_APPEND, 0o600);
    let needsNewline = false;
    try {
      const { size } = fs.fstatSync(fd);
      if (size > 0) {
        const last = Buffer.alloc(1);
        // 'a' opens write-only on some platforms; a separate read fd is the portable way to peek.
        const rfd = fs.openSync(file, 'r');
        try {
          fs.readSync(rfd, last, 0, 1, size - 1);
        } finally {
          fs.closeSync(rfd);
        }
        needsNewline = last[0] !== NL;
      }
      // A new file is only durable once its directory entry is: once per open, not per append.
      if (!existed) syncDir(dir);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return new LedgerWriter(fd, needsNewline, options);
  }

  /** Batches written so far (each one durable write). */
  get flushes(): number {
    return this.flushCount;
  }

  /**
   * Resolves once the line is durable. Rejects with the write's error, in which case the line may or
   * may not be in the file (a failed synchronous write says nothing certain about what reached disk).
   */
  append(body: LedgerEventBody & { taskId: string }, urgency: AppendUrgency = NOW): Promise<void> {
    if (this.closed) return Promise.reject(new Error('ledger writer is closed'));
    let line: string;
    try {
      line = this.serialise(body);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.due(urgency.by === 'now' ? 0 : performance.now() + Math.max(this.flushMs, urgency.withinMs));
    });
  }

  /** Asks for every line appended so far to be written now (someone waits on a `soon` line). */
  flush(): void {
    if (this.queue.length > 0) this.due(0);
  }

  /** Writes whatever is queued, waits for it to be durable, and closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      // A pending timer would start a drain anyway; starting it now just skips the wait.
      this.scheduled?.cancel();
      this.scheduled = null;
      this.dueAt = 0;
      if (!this.draining && this.queue.length > 0) this.draining = this.drain();
      while (this.draining) await this.draining;
      await new Promise<void>((resolve, reject) => fs.close(this.fd, (err) => (err ? reject(err) : resolve())));
    })();
    return this.closing;
  }

  private serialise(body: LedgerEventBody & { taskId: string }): string {
    const { event, taskId, ...rest } = body;
    // The task core's events carry their own time (kept: `rest` comes last); others get it here.
    const record = { v: 1, ts: (rest as { ts?: string }).ts ?? new Date().toISOString(), event, taskId, ...rest };
    return this.secrets.json(record) + '\n';
  }

  /** The queue must be written by `at` (performance.now() time; 0: at once). */
  private due(at: number): void {
    if (at >= this.dueAt) return;
    this.dueAt = at;
    // A write in flight looks at dueAt when it ends: the next batch follows it at once if due.
    if (!this.draining) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled && this.scheduled.dueAt <= this.dueAt) return;
    this.scheduled?.cancel();
    const dueAt = this.dueAt;
    const start = (): void => {
      if (this.scheduled?.dueAt === dueAt) this.scheduled = null;
      if (!this.draining && this.queue.length > 0) this.draining = this.drain();
    };
    // Waiting one turn lets a burst of appends from the same tick share the first batch.
    const wait = dueAt === 0 ? this.flushMs : dueAt - performance.now();
    if (wait > 0) {
      const timer = setTimeout(start, wait);
      this.scheduled = { dueAt, cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(start);
      this.scheduled = { dueAt, cancel: () => clearImmediate(immediate) };
    }
  }

  private async drain(): Promise<void> {
    this.scheduled?.cancel();
    this.scheduled = null;
    try {
      // The first batch is due (that is why this runs); later ones only once due themselves.
      for (let first = true; this.queue.length > 0 && (first || this.dueAt <= performance.now()); first = false) {
        const batch = this.queue;
        this.queue = [];
        this.dueAt = Number.POSITIVE_INFINITY;
        const prefix = this.needsNewline ? '\n' : '';
        const data = Buffer.from(prefix + batch.map((p) => p.line).join(''), 'utf8');
        try {
          await writeAll(this.fd, data);
          this.needsNewline = false;
        } catch (err) {
          // The file may now end mid-line; terminate the fragment before the next batch.
          this.needsNewline = true;
          // Passed through as is: callers look at `code` (ENOSPC, EIO), and fs errors come from
          // Node's realm, so an `instanceof Error` check would wrongly fail under a VM sandbox.
          for (const p of batch) p.reject(err as Error);
          continue;
        }
        this.flushCount += 1;
        try {
          this.onFlush?.(batch.length);
        } catch {
          // A faulty observer must not turn durable appends into failures.
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.draining = null;
      // `soon` lines left for later (or a failed batch's successors): their start is scheduled.
      if (this.queue.length > 0) this.schedule();
    }
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      // position null: with O_APPEND every write lands at the current end of the file.
      fs.write(fd, data, offset, data.length - offset, null, (err, written) => {
        if (err) return reject(err);
        if (written === 0) return reject(new Error('ledger write made no progress'));
        const next = offset + written;
        if (next < data.length) step(next);
        else resolve();
      });
    };
    step(0);
  });
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Directories cannot be opened or fsynced on every platform (Windows); best effort.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
