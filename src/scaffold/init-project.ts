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
const STATE_DIR_IGNORE = '.lightning/';

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
  /** What happens to .gitignore: created, the line appended, or nothing (already there). */
  gitignore: 'create' | 'append' | 'present';
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
  return { dir, files, gitignore: gitignoreAction(path.join(dir, '.gitignore')) };
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
  if (plan.gitignore === 'create') writeFileSync(gitignore, `${STATE_DIR_IGNORE}\n`);
  if (plan.gitignore === 'append') {
    const text = readFileSync(gitignore, 'utf8');
    writeFileSync(gitignore, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${STATE_DIR_IGNORE}\n`);
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

function gitignoreAction(file: string): InitPlan['gitignore'] {
  if (!existsSync(file)) return 'create';
  const ignored = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim());
  return ['.lightning', '.lightning/', '/.lightning', '/.lightning/'].some((entry) => ignored.includes(entry)) ? 'present' : 'append';
}
