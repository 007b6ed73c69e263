import type { Finding } from './finding.js';
import { ok, problem } from './finding.js';

/** package.json `engines.node`: the oldest Node lightning is built and tested for. */
export const MIN_NODE_MAJOR = 20;

export function checkNodeVersion(version: string = process.versions.node): Finding {
  const major = Number.parseInt(version.split('.', 1)[0] ?? '', 10);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return ok('node', `Node ${version} (${MIN_NODE_MAJOR} or newer needed)`);
  return problem(
    'node',
    `Node ${version} is too old: lightning needs Node ${MIN_NODE_MAJOR} or newer`,
    `install Node ${MIN_NODE_MAJOR}+ (e.g. \`nvm install ${MIN_NODE_MAJOR}\`, or your package manager's nodejs ${MIN_NODE_MAJOR}.x)`,
  );
}
