import { describeBadDuration, readDuration } from '../config/duration.js';
import { EXIT, ExitError } from './exit-error.js';

/**
 * A duration given as a flag (`--timeout 30s`): milliseconds, or a usage error that spells out the
 * fix (`--timeout: duration "3" has no unit — did you mean 3s? …`). A bare number is refused, as in
 * agents.yaml: `--timeout 3` once meant 3 ms.
 */
export function durationFlag(flag: string, value: string, options: { positive?: boolean; example?: string } = {}): number {
  const result = readDuration(value);
  if (!result.ok) throw new ExitError(`${flag}: ${describeBadDuration(JSON.stringify(value), result)}`, EXIT.usage);
  if (options.positive && result.ms === 0) {
    throw new ExitError(`bad ${flag}: "${value}" is no time at all — use a duration like ${options.example ?? '30s'}`, EXIT.usage);
  }
  return result.ms;
}
