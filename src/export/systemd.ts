/**
 * `lightning export systemd`: a user unit that runs `lightning up` in the foreground, so the fleet
 * starts at boot and systemd restarts the supervisor if it ever dies. lightning still supervises
 * the agents; systemd supervises lightning.
 */
import path from 'node:path';
import { keyEnvs, localAgents } from './model.js';
import type { ExportInput, ExportResult } from './model.js';
import { SUPERVISOR_STOP_MARGIN_S } from './defaults.js';

export const UNIT_FILE = 'lightning.service';

/** Environment variables carried from the exporting shell (a user unit does not inherit it). Never a key. */
const CARRIED_ENV = ['OPENAI_BASE_URL', 'PATH'] as const;

/** `%` starts a specifier in unit files. */
function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/** One word of ExecStart: quoted when it holds anything systemd would split or interpret. */
function quoteWord(word: string): string {
  const escaped = escapeSpecifiers(word);
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** A whole `Environment=` assignment, quoted so spaces and `$` survive. */
function environmentLine(name: string, value: string): string {
  return `Environment="${escapeSpecifiers(`${name}=${value}`).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The user's PATH (a user unit gets a minimal one), so custom agent commands (`node`, `python3` from a version manager) resolve as
 * they do in the shell; without the duplicates and the node_modules/.bin entries `npx`/`npm run`
 * add for their own run.
 */
function searchPath(value: string | undefined, nodePath: string): string | undefined {
  if (!value) return undefined;
  const dirs = value.split(':').filter((dir) => dir !== '' && !/[\\/]node_modules[\\/]/.test(dir));
  // The node that runs lightning first, so a custom agent's `node` is the same one.
  return [...new Set([path.dirname(nodePath), ...dirs])].join(':');
}

export function systemdExport(input: ExportInput): ExportResult {
  const { config } = input;
  const maxGraceMs = Math.max(0, ...localAgents(config).map((agent) => agent.stop.graceMs));
  const argv = [input.nodePath, ...(input.binPath === null ? [] : [input.binPath]), '-c', config.path, ...(input.home ? ['--home', input.home] : []), 'up'];
  const apiKeys = [...new Set(config.agents.flatMap((agent) => keyEnvs(agent)))];
  const carried = CARRIED_ENV.flatMap((name) => {
    const value = name === 'PATH' ? searchPath(input.env.PATH, input.nodePath) : input.env[name];
    return value ? [environmentLine(name, value)] : [];
  });
  const lines = [
    `# Written by \`lightning export systemd\` from ${config.path}.`,
    `# Install: copy to ~/.config/systemd/user/${UNIT_FILE}, then \`systemctl --user daemon-reload\`,`,
    `# \`systemctl --user enable --now ${UNIT_FILE}\` and \`loginctl enable-linger $USER\` (start at boot).`,
    '[Unit]',
    `Description=lightning agent fleet (${escapeSpecifiers(config.path)})`,
    '',
    '[Service]',
    'Type=simple',
    // The rest of the line is the path: no quoting, spaces are kept.
    `WorkingDirectory=${escapeSpecifiers(config.dir)}`,
    `ExecStart=${argv.map(quoteWord).join(' ')}`,
    // Keys live in a file only the user can read, never in the unit; `-`: the file is optional.
    `# ${apiKeys.join(', ')} and other secrets: put NAME=value lines in ~/.config/lightning/env (chmod 600).`,
    'EnvironmentFile=-%h/.config/lightning/env',
    ...carried,
    'Restart=on-failure',
    'RestartSec=2s',
    // SIGTERM to the supervisor alone: it stops each agent's process group itself (grace, then
    // SIGKILL); systemd's final SIGKILL only catches what is left after the timeout.
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${Math.ceil(maxGraceMs / 1000) + SUPERVISOR_STOP_MARGIN_S}s`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ];
  const unit = lines.join('\n');
  return {
    files: [{ path: UNIT_FILE, content: unit }],
    stdout: unit,
    warnings: [],
    next: (dir) => {
      const source = path.join(dir ?? '.', UNIT_FILE);
      return [
        'mkdir -p ~/.config/systemd/user ~/.config/lightning',
        dir === null ? `save the unit printed above as ~/.config/systemd/user/${UNIT_FILE}` : `cp ${source} ~/.config/systemd/user/${UNIT_FILE}`,
        `printf '${apiKeys[0] ?? 'OPENAI_API_KEY'}=%s\\n' "$${apiKeys[0] ?? 'OPENAI_API_KEY'}" > ~/.config/lightning/env && chmod 600 ~/.config/lightning/env   # optional: the model key`,
        'systemctl --user daemon-reload',
        `systemctl --user enable --now ${UNIT_FILE}`,
        'loginctl enable-linger "$USER"        # start at boot, without logging in',
        `systemctl --user status ${UNIT_FILE}; journalctl --user -u ${UNIT_FILE} -f`,
      ];
    },
  };
}
