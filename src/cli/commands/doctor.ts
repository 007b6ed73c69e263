import type { DoctorReport, Finding } from '../../doctor/finding.js';
import { runDoctor } from '../../doctor/run.js';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../exit-error.js';
import { paint } from '../render/color.js';

export interface DoctorCommandOptions extends GlobalOptions {
  json?: boolean;
}

/** `lightning doctor`: checks the set-up, prints each finding with its fix; exit 1 on any problem. */
export async function doctorCommand(options: DoctorCommandOptions): Promise<void> {
  const report = await runDoctor({ cwd: process.cwd(), config: options.config, home: options.home });
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  if (!report.ok) process.exitCode = EXIT.failed;
}

const MARKS = { ok: ['✔', 'green'], warn: ['!', 'yellow'], problem: ['✖', 'red'] } as const;

function renderReport(report: DoctorReport): string {
  const width = Math.max(...report.findings.map((finding) => finding.check.length));
  const lines = report.findings.map((finding) => renderFinding(finding, width));
  if (report.skipped.length > 0) lines.push(paint(`  skipped until agents.yaml loads: ${report.skipped.join(', ')}`, 'dim'));
  const tally = `${report.problems} problem${report.problems === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`;
  lines.push('', report.ok ? paint(`${tally}: ready`, 'green') : paint(`${tally}: fix the problems above, then run lightning doctor again`, 'red'));
  return `${lines.join('\n')}\n`;
}

function renderFinding(finding: Finding, width: number): string {
  const [mark, color] = MARKS[finding.status];
  const head = `${paint(mark, color)} ${finding.check.padEnd(width)}  ${finding.message}`;
  if (finding.fix === null) return head;
  const indent = ' '.repeat(width + 4);
  return `${head}\n${indent}${paint('fix:', 'bold')} ${finding.fix.split('\n').join(`\n${indent}     `)}`;
}
