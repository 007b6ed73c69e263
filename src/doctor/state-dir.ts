import { constants, accessSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './finding.js';
import { ok, problem } from './finding.js';

const FIX_ELSEWHERE = 'or put the state elsewhere with --home DIR or LIGHTNING_HOME=DIR';

/**
 * The state directory must take new files (supervisor.json, the ledger, logs). An existing one is
 * tested by really creating a file in it — permission bits lie on read-only mounts; a missing one
 * must be creatable in its nearest existing parent.
 */
export function checkStateDir(home: string): Finding {
  const stat = statSync(home, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) {
    return problem('state', `state directory ${home} is a file, not a directory`, `remove or rename that file, ${FIX_ELSEWHERE}`);
  }
  if (stat) {
    try {
      rmSync(mkdtempSync(path.join(home, '.doctor-')), { recursive: true, force: true });
      return ok('state', `state directory ${home} is writable`);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return problem('state', `state directory ${home} is not writable (${reason})`, `make it writable (chmod u+w ${home}), ${FIX_ELSEWHERE}`);
    }
  }
  let parent = path.dirname(home);
  while (!statSync(parent, { throwIfNoEntry: false }) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
    return ok('state', `state directory ${home} does not exist yet; it will be created in ${parent}`);
  } catch {
    return problem('state', `state directory ${home} cannot be created: ${parent} is not writable`, `make ${parent} writable, ${FIX_ELSEWHERE}`);
  }
}
