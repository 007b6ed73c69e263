/**
 * The single executable's entry (scripts/build-binary.mjs). The binary is process.execPath, so
 * it is also what the supervisor spawns as a worker and what `up -d` spawns as the daemon: those
 * copies get `--lightning-role=ROLE` as their first argument (util/install.ts roleCommand). Every
 * other invocation is the `lightning` command line.
 */
import { ROLE_FLAG } from '../util/install.js';

const first = process.argv[2];
if (first?.startsWith(`${ROLE_FLAG}=`)) {
  // The entry reads its own arguments from argv[2] on, as when run by node.
  process.argv.splice(2, 1);
  const role = first.slice(ROLE_FLAG.length + 1);
  if (role === 'worker') void import('../worker/entry.js');
  else if (role === 'daemon') void import('./daemon.js');
  else {
    process.stderr.write(`lightning: unknown ${ROLE_FLAG} "${role}" (internal: the supervisor passes worker or daemon)\n`);
    process.exitCode = 2;
  }
} else {
  void import('./entry.js');
}
