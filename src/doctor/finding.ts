/** What `lightning doctor` reports: one finding per thing checked, each with a fix when not ok. */

export type FindingStatus = 'ok' | 'warn' | 'problem';

/** The areas doctor looks at, in the order they are shown. */
export const CHECK_NAMES = ['node', 'config', 'state', 'supervisor', 'ports', 'prompts', 'commands', 'model', 'mcp', 'remote'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface Finding {
  check: CheckName;
  status: FindingStatus;
  /** One sentence: what was found, naming the file, port, URL or pid concerned. */
  message: string;
  /** What to do about it; null when the finding is ok. */
  fix: string | null;
}

export interface DoctorReport {
  /** False when any finding is a problem (warnings do not count). */
  ok: boolean;
  problems: number;
  warnings: number;
  findings: Finding[];
  /** Checks that need a valid agents.yaml and were not run because it is not. */
  skipped: CheckName[];
}

export const ok = (check: CheckName, message: string): Finding => ({ check, status: 'ok', message, fix: null });
export const warn = (check: CheckName, message: string, fix: string): Finding => ({ check, status: 'warn', message, fix });
export const problem = (check: CheckName, message: string, fix: string): Finding => ({ check, status: 'problem', message, fix });

/** "1 agent", "3 agents", "2 processes". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`;
}
