import { constants, accessSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LightningConfig } from '../config/types.js';
import type { Finding } from './finding.js';
import { ok, plural, problem, warn } from './finding.js';

interface CommandUse {
  /** `agent web_developer`, `alerts.command`. */
  owner: string;
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

/**
 * Custom agents' (and the alert hook's) programs must exist: a typo in `command:` otherwise shows
 * up as an instance crash-looping with "spawn ENOENT" in its log.
 */
export function checkCommands(config: LightningConfig, env: NodeJS.ProcessEnv = process.env): Finding[] {
  const uses: CommandUse[] = [];
  for (const agent of config.agents) {
    if (agent.command === null || agent.url !== null) continue;
    uses.push({ owner: `agent ${agent.name}`, argv: agent.command, cwd: agent.cwd, env: { ...env, ...agent.env } });
  }
  // The alert hook is spawned from the supervisor's working directory: where `lightning up` ran.
  if (config.alerts.command) uses.push({ owner: 'alerts.command', argv: config.alerts.command, cwd: process.cwd(), env });
  if (uses.length === 0) return [];

  const findings: Finding[] = [];
  let found = 0;
  for (const use of uses) {
    const written = use.argv[0] ?? '';
    const program = written.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => use.env[name] ?? whole);
    if (program.includes('${')) {
      // ${PORT} and friends are only known once the supervisor spawns the instance.
      findings.push(warn('commands', `${use.owner}: cannot check program ${JSON.stringify(written)} before start (it uses a variable set at spawn)`, 'put the program itself first in command:, variables in its arguments'));
      continue;
    }
    const resolved = program.includes('/') ? executableAt(path.resolve(use.cwd, program)) : onPath(program, use.env.PATH ?? '');
    if (resolved) {
      found++;
      continue;
    }
    findings.push(
      program.includes('/')
        ? problem('commands', `${use.owner}: program ${path.resolve(use.cwd, program)} does not exist or is not executable`, `fix the path in command: (relative paths resolve against ${use.cwd}), or chmod +x it`)
        : problem('commands', `${use.owner}: program "${program}" is not on PATH`, `install ${program}, or write its absolute path first in command: (e.g. ["/usr/bin/${program}", …])`),
    );
  }
  if (findings.length === 0) return [ok('commands', `${plural(found, 'custom command')} found`)];
  return findings;
}

function executableAt(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return null;
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}

function onPath(program: string, pathVariable: string): string | null {
  for (const dir of pathVariable.split(path.delimiter)) {
    if (dir === '') continue;
    const found = executableAt(path.join(dir, program));
    if (found) return found;
  }
  return null;
}
