/**
 * Human-friendly durations and sizes as written in agents.yaml. Both parsers return null rather
 * than throwing so the schema can turn a bad value into a located, explained ConfigError.
 */

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// A bare number (ms) or a number and one unit; whitespace between them is tolerated because
// `5 m` is an easy typo to forgive and still unambiguous.
const DURATION_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/;

/** `250ms`, `2s`, `1.5s`, `5m`, `1h`, or a number of milliseconds → whole milliseconds; else null. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  }
  if (typeof value !== 'string') return null;
  const match = DURATION_RE.exec(value.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = DURATION_UNITS_MS[match[2] ?? 'ms'];
  if (unit === undefined || !Number.isFinite(amount)) return null;
  return Math.round(amount * unit);
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
