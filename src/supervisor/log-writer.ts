import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export interface LogWriterOptions {
  /** The live log file, e.g. `.lightning/logs/web_developer-0.log`. */
  file: string;
  /** Rotate before a write would take the live file past this many bytes. */
  maxBytes: number;
  /** Files kept in total, the live one included (`x.log`, `x.log.1` … `x.log.<files-1>`). */
  files: number;
  /** Injected for testing. */
  now?: () => Date;
  /** The supervisor's Secrets service: a key a child prints never reaches the file. */
  redact?: (line: string) => string;
}

export type StreamName = 'stdout' | 'stderr';

/** Lines of a child's own output kept in memory, for the reason of an instance that gave up. */
export const RECENT_LINES = 5;

/**
 * A child that prints without newlines (progress bars, binary garbage) must not grow our memory
 * without bound, so a partial line this long is written out as if it had ended.
 */
export const MAX_PARTIAL_CHARS = 64 * 1024;

interface StreamState {
  // One decoder per stream: a multi-byte UTF-8 character split across two chunks stays intact.
  decoder: StringDecoder;
  partial: string;
}

/**
 * Writes one worker instance's stdout+stderr to a size-rotated log file, one ISO timestamp per line.
 *
 * Writes are synchronous on purpose: lines from both streams and the supervisor's own notes land in
 * the exact order they were handed over, and nothing sits in a buffer when the supervisor crashes.
 * Log volume per instance is small, so blocking the loop for a write(2) is cheap.
 */
export class LogWriter {
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly files: number;
  private readonly now: () => Date;
  private readonly redact: (line: string) => string;
  private fd: number | null;
  private size: number;
  private readonly streams = new Map<StreamName, StreamState>();
  private recent: string[] = [];
  /** Lines of the chunk being handled, written together once it is (see stream()). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private batching = false;

  constructor(opts: LogWriterOptions) {
    this.file = opts.file;
    this.maxBytes = Math.max(1, Math.floor(opts.maxBytes));
    this.files = Math.max(1, Math.floor(opts.files));
    this.now = opts.now ?? (() => new Date());
    this.redact = opts.redact ?? ((line) => line);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = fs.openSync(this.file, 'a', 0o600);
    // Appending to a log left by a previous run (or a previous restart): its bytes count too.
    this.size = fs.fstatSync(this.fd).size;
  }

  /** A sink for one child stream; each stream keeps its own partial line. */
  stream(name: StreamName): (chunk: Buffer | string) => void {
    let state = this.streams.get(name);
    if (!state) {
      state = { decoder: new StringDecoder('utf8'), partial: '' };
      this.streams.set(name, state);
    }
    const s = state;
    return (chunk) => {
      if (this.fd === null) return; // the child may still print after we closed; drop it
      const text = typeof chunk === 'string' ? chunk : s.decoder.write(chunk);
      const parts = (s.partial + text).split('\n');
      // split() always yields at least one element; the last is the unterminated remainder.
      s.partial = parts.pop() ?? '';
      // The lines of one chunk go out in one write(2): a busy worker logs a line per task.
      this.batching = true;
      try {
        for (const line of parts) this.childLine(stripCR(line));
        while (s.partial.length > MAX_PARTIAL_CHARS) {
          this.childLine(s.partial.slice(0, MAX_PARTIAL_CHARS));
          s.partial = s.partial.slice(MAX_PARTIAL_CHARS);
        }
      } finally {
        this.batching = false;
        this.writePending();
      }
    };
  }

  /** A line from the supervisor itself ("started pid 123"), distinguishable from the child's output. */
  note(text: string): void {
    if (this.fd === null) return;
    for (const line of text.split('\n')) this.writeLine(`[lightning] ${stripCR(line)}`);
  }

  /**
   * Writes out partial lines. Call it when the child has exited (before the "exited" note), so its
   * last unterminated line is not lost or glued to the next run's output.
   */
  flush(): void {
    if (this.fd === null) return;
    for (const s of this.streams.values()) {
      const rest = s.partial + s.decoder.end();
      s.partial = '';
      if (rest !== '') this.childLine(stripCR(rest));
    }
  }

  /** The child's last lines of output (its own, not our notes), oldest first, across restarts. */
  recentOutput(): string[] {
    return this.recent.map(this.redact);
  }

  private childLine(line: string): void {
    if (line.trim() !== '') {
      this.recent.push(line);
      if (this.recent.length > RECENT_LINES) this.recent.shift();
    }
    this.writeLine(line);
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private writeLine(text: string): void {
    const line = this.redact(text);
    const data = Buffer.from(`${this.now().toISOString()} ${line}\n`, 'utf8');
    // Rotate first so a file never exceeds maxBytes — except when a single line is bigger than
    // maxBytes; that line still gets written (to a fresh file) rather than dropped.
    if (this.size + this.pendingBytes > 0 && this.size + this.pendingBytes + data.length > this.maxBytes) {
      this.writePending();
      this.rotate();
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (!this.batching) this.writePending();
  }

  private writePending(): void {
    if (this.pending.length === 0 || this.fd === null) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    this.size += data.length;
  }

  /** x.log → x.log.1 → … → x.log.<files-1>; the oldest is dropped. */
  private rotate(): void {
    fs.closeSync(this.fd!);
    this.fd = null;
    const last = this.files - 1;
    if (last === 0) {
      ignoreMissing(() => fs.unlinkSync(this.file));
    } else {
      ignoreMissing(() => fs.unlinkSync(`${this.file}.${last}`));
      for (let n = last - 1; n >= 1; n--) {
        // Gaps are normal (fewer rotations so far than `files`, or someone deleted a file).
        ignoreMissing(() => fs.renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`));
      }
      ignoreMissing(() => fs.renameSync(this.file, `${this.file}.1`));
    }
    this.fd = fs.openSync(this.file, 'a', 0o600);
    // Normally 0; not 0 only if another writer recreated the file in between.
    this.size = fs.fstatSync(this.fd).size;
  }
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
