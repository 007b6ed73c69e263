import { readFileSync } from 'node:fs';
import { ApiClient, pingSupervisor } from '../api/client.js';
import type { StatusDocument } from '../protocol/status.js';
import type { StatePaths } from '../state/home.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import { readSupervisorInfo } from '../state/supervisor-file.js';
import { isAlive, readRegistryFile } from '../supervisor/process-registry.js';
import type { Finding } from './finding.js';
import { ok, plural, warn } from './finding.js';

/** The supervisor this state directory has running, with its fleet, if any. */
export interface RunningSupervisor {
  info: SupervisorInfo;
  status: StatusDocument | null;
}

export interface SupervisorFilesCheck {
  findings: Finding[];
  running: RunningSupervisor | null;
}

const TIMEOUT_MS = 2000;

/**
 * supervisor.json, the lock and the process registry: is a supervisor running, or did one die
 * and leave files (or processes) behind? Stale files are warnings: `up` replaces them.
 */
export async function checkSupervisorFiles(paths: StatePaths): Promise<SupervisorFilesCheck> {
  const findings: Finding[] = [];
  let running: RunningSupervisor | null = null;
  const raw = readText(paths.supervisorFile);
  const info = readSupervisorInfo(paths);
  if (raw !== null && info === null) {
    findings.push(warn('supervisor', `${paths.supervisorFile} is not a supervisor file lightning can read`, `delete it (rm ${paths.supervisorFile}); \`lightning up\` writes a new one`));
  } else if (info !== null && !isAlive(info.pid)) {
    findings.push(
      warn(
        'supervisor',
        `stale ${paths.supervisorFile}: supervisor pid ${info.pid} (started ${info.startedAt}) is not running — it did not stop cleanly`,
        `run \`lightning down\` to stop anything it left behind; \`lightning up\` then replaces the file (or delete it: rm ${paths.supervisorFile})`,
      ),
    );
  } else if (info !== null) {
    const answer = await pingSupervisor(info.api, TIMEOUT_MS);
    if (answer?.pid === info.pid) {
      const status = await new ApiClient(info).status({ timeoutMs: TIMEOUT_MS }).then(
        (response) => (response.status === 200 ? response.body : null),
        () => null,
      );
      running = { info, status };
      findings.push(ok('supervisor', `supervisor pid ${info.pid} is running, control API ${info.api}`));
    } else {
      findings.push(
        warn(
          'supervisor',
          `${paths.supervisorFile} names pid ${info.pid}, which is alive, but its control API ${info.api} does not answer as that pid`,
          `if pid ${info.pid} is a hung supervisor, stop it (kill ${info.pid}) and run \`lightning down\`; if the pid was reused by another program, delete ${paths.supervisorFile}`,
        ),
      );
    }
  } else {
    findings.push(ok('supervisor', `no supervisor running for ${paths.home}`));
  }

  const lockHolder = Number.parseInt(readText(paths.lockFile)?.trim() ?? '', 10);
  if (Number.isInteger(lockHolder) && running?.info.pid !== lockHolder) {
    findings.push(
      isAlive(lockHolder)
        ? warn('supervisor', `${paths.lockFile} is held by pid ${lockHolder}, which runs but is not an answering supervisor (starting up, or hung)`, `wait a moment and run doctor again; if it stays, stop pid ${lockHolder} (kill ${lockHolder})`)
        : warn('supervisor', `stale lock ${paths.lockFile}: its holder pid ${lockHolder} is not running`, `harmless: the next \`lightning up\` takes it over (or delete it: rm ${paths.lockFile})`),
    );
  }

  if (running === null) {
    const registry = await readRegistryFile(paths.processesFile).catch(() => null);
    const survivors = Object.entries(registry?.entries ?? {}).filter(([, entry]) => isAlive(entry.pid));
    if (survivors.length > 0) {
      const list = survivors.map(([id, entry]) => `${id} (pid ${entry.pid})`).join(', ');
      findings.push(
        warn('supervisor', `${plural(survivors.length, 'process')} left behind by a supervisor that did not stop cleanly: ${list}`, '`lightning down` stops them (after checking each is still one lightning started)'),
      );
    }
  }
  return { findings, running };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
