import { mkdirSync } from 'node:fs';
import type { StatePaths } from '../../state/home.js';
import { EXIT, ExitError } from '../exit-error.js';

/**
 * Creates the state directory, or says plainly why it cannot be one (`--home` naming a file, a
 * file in the way, no permission) — instead of an mkdir stack trace from deep inside start-up.
 */
export function ensureStateDir(paths: StatePaths): void {
  try {
    mkdirSync(paths.home, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'no permission to write there' : (error as Error).message;
    throw new ExitError(
      `state directory ${paths.home} cannot be created: ${why}\n  fix: point --home (or $LIGHTNING_HOME) at a directory you can write, or move the file out of the way`,
      EXIT.usage,
    );
  }
}
