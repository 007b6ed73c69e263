/**
 * `lightning init`: a new project directory holding the six built-in agents (the committed
 * template templates/init-agents.yaml), their prompts, the editor schema and a `.gitignore` entry for the
 * state directory. Existing files are never overwritten unless the caller says so.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchemaText } from './config-json-schema.js';
import { templatesDirectory } from '../util/install.js';

export const SCHEMA_FILE = 'agents.schema.json';
export const SCHEMA_COMMENT = `# yaml-language-server: $schema=./${SCHEMA_FILE}`;
/** What a project's .gitignore must hold: the state directory, and `.env` with the model key. */
const IGNORED: ReadonlyArray<{ line: string; forms: readonly string[] }> = [
  { line: '.lightning/', forms: ['.lightning', '.lightning/', '/.lightning', '/.lightning/'] },
  { line: '.env', forms: ['.env', '/.env', '*.env', '.env*'] },
];

/** The committed init template, templates/init-agents.yaml. */
export function initTemplate(): string {
  return path.join(templatesDirectory(), 'init-agents.yaml');
}

export interface InitFile {
  /** Relative to the project directory. */
  path: string;
  content: string;
}

export interface InitPlan {
  dir: string;
  files: InitFile[];
  /** What happens to .gitignore: created, lines appended, or nothing (all there). */
  gitignore: 'create' | 'append' | 'present';
  /** The lines written to it (all of IGNORED on create, the missing ones on append). */
  gitignoreLines: string[];
}

export function planInit(dir: string): InitPlan {
  const prompts = path.join(templatesDirectory(), 'prompts');
  const files: InitFile[] = [
    { path: 'agents.yaml', content: seedConfig() },
    { path: SCHEMA_FILE, content: configJsonSchemaText() },
    ...readdirSync(prompts)
      .filter((file) => file.endsWith('.md'))
      .sort()
      .map((file) => ({ path: `templates/prompts/${file}`, content: readFileSync(path.join(prompts, file), 'utf8') })),
  ];
  return { dir, files, ...gitignorePlan(path.join(dir, '.gitignore')) };
}

/** Files of the plan that already exist in its directory. */
export function existingFiles(plan: InitPlan): string[] {
  return plan.files.map((file) => file.path).filter((file) => existsSync(path.join(plan.dir, file)));
}

export function writeInit(plan: InitPlan): void {
  for (const file of plan.files) {
    const target = path.join(plan.dir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  const gitignore = path.join(plan.dir, '.gitignore');
  const lines = plan.gitignoreLines.map((line) => `${line}\n`).join('');
  if (plan.gitignore === 'create') writeFileSync(gitignore, lines);
  if (plan.gitignore === 'append') {
    const text = readFileSync(gitignore, 'utf8');
    writeFileSync(gitignore, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${lines}`);
  }
}

/**
 * The committed template (templates/init-agents.yaml): the six built-in agents, the editor-schema
 * line and a note on adding your own. Never the package's own agents.yaml, which is a live file
 * its owner may have edited (agents added, local ports and settings) — a new project must not
 * inherit those. Named so that no `agents.yaml` lookup from inside templates/ can find it.
 */
export function seedConfig(): string {
  return readFileSync(initTemplate(), 'utf8');
}

function gitignorePlan(file: string): Pick<InitPlan, 'gitignore' | 'gitignoreLines'> {
  if (!existsSync(file)) return { gitignore: 'create', gitignoreLines: IGNORED.map((entry) => entry.line) };
  const ignored = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim());
  const missing = IGNORED.filter((entry) => !entry.forms.some((form) => ignored.includes(form))).map((entry) => entry.line);
  return { gitignore: missing.length === 0 ? 'present' : 'append', gitignoreLines: missing };
}
