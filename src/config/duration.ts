/**
 * Human-friendly durations and sizes as written in agents.yaml and in flags. The parsers return
 * a value or null (or, for durations, why not) rather than throwing, so the schema can turn a bad
 * value into a located, explained ConfigError and the CLI into a usage error.
 */

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// A number and one unit; whitespace between them is tolerated because `5 m` is an easy typo to
// forgive and still unambiguous. The unit is required: `timeout: 120` once meant 120 ms, and
// every task then failed "timed out after 120 ms" from a config that looked right.
const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)$/;
const BARE_NUMBER_RE = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** Why a duration was refused; `unitless` carries the likely intended value. */
export type DurationResult =
  | { ok: true; ms: number }
  | { ok: false; reason: 'unitless'; suggestion: string }
  | { ok: false; reason: 'malformed' };

/**
 * `250ms`, `2s`, `1.5s`, `5m`, `1h` → whole milliseconds. A bare number (`120`, or the YAML
 * number 120) is refused with a suggestion: seconds below 1000 (what a timeout of 120 means to
 * a person), milliseconds from 1000 up (nobody means a 5000-second probe timeout).
 */
export function readDuration(value: unknown): DurationResult {
  const text = typeof value === 'number' ? (Number.isFinite(value) && value >= 0 ? String(value) : null) : typeof value === 'string' ? value.trim() : null;
  if (text === null) return { ok: false, reason: 'malformed' };
  if (BARE_NUMBER_RE.test(text)) {
    return { ok: false, reason: 'unitless', suggestion: Number(text) >= 1000 ? `${text}ms` : `${text}s` };
  }
  const match = DURATION_RE.exec(text);
  if (!match) return { ok: false, reason: 'malformed' };
  const amount = Number(match[1]);
  const unit = DURATION_UNITS_MS[match[2] ?? ''];
  if (unit === undefined || !Number.isFinite(amount)) return { ok: false, reason: 'malformed' };
  return { ok: true, ms: Math.round(amount * unit) };
}

/** readDuration's value, or null for anything it refuses. */
export function parseDuration(value: string | number): number | null {
  const result = readDuration(value);
  return result.ok ? result.ms : null;
}

/** One sentence on a refused duration, with the fix: `duration 120 has no unit — did you mean 120s? …`. */
export function describeBadDuration(shown: string, result: Exclude<DurationResult, { ok: true }>): string {
  return result.reason === 'unitless'
    ? `duration ${shown} has no unit — did you mean ${result.suggestion}? (a duration needs ms, s, m or h)`
    : `bad duration ${shown} — use a number with ms, s, m or h, e.g. 250ms, 2s, 5m`;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

// Sizes are case-insensitive (10mb, 10MB, 10MiB all mean the same here): unlike durations there
// is no unit that changes meaning with case, so being strict would only produce needless errors.
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?$/i;

/** `100B`, `512KB`, `10MB`, `1GB` (1 KB = 1024 B), or a number of bytes → whole bytes; else null. */
export function parseSize(value: string | number): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  }
  if (typeof value !== 'string') return null;
  const match = SIZE_RE.exec(value.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = SIZE_UNITS[(match[2] ?? 'b').toLowerCase()];
  if (unit === undefined || !Number.isFinite(amount)) return null;
  return Math.round(amount * unit);
}
