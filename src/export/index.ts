/** The export targets, by the name `lightning export <target>` takes. */
import { composeExport } from './compose.js';
import { kubernetesExport } from './kubernetes.js';
import type { ExportInput, ExportResult } from './model.js';
import { systemdExport } from './systemd.js';

export const EXPORT_TARGETS: Readonly<Record<string, (input: ExportInput) => ExportResult>> = Object.freeze({
  compose: composeExport,
  kubernetes: kubernetesExport,
  systemd: systemdExport,
});

/** Other spellings people type for a target. */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({ k8s: 'kubernetes', 'docker-compose': 'compose' });

export function exportTarget(name: string): ((input: ExportInput) => ExportResult) | undefined {
  const key = ALIASES[name] ?? name;
  return Object.hasOwn(EXPORT_TARGETS, key) ? EXPORT_TARGETS[key] : undefined;
}

export type { ExportFile, ExportInput, ExportResult } from './model.js';
export { ExportError } from './model.js';
