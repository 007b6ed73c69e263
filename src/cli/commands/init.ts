import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../../config/errors.js';
import { existingFiles, planInit, writeInit } from '../../scaffold/init-project.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface InitOptions {
  force?: boolean;
}

/** `lightning init [DIR]`: a project with the six built-in agents, ready for `lightning up -d`. */
export async function initCommand(dir: string | undefined, options: InitOptions): Promise<void> {
  const target = path.resolve(dir ?? '.');
  const created = !existsSync(target);
  if (!created && !statSync(target).isDirectory()) {
    throw new ExitError(`${displayPath(target)} is a file, not a directory\n  fix: give lightning init a directory (it is created if missing)`, EXIT.usage);
  }
  const plan = planInit(target);
  const existing = existingFiles(plan);
  if (existing.length > 0 && !options.force) {
    throw new ExitError(
      `${displayPath(target)} already has ${existing.join(', ')}; nothing was written\n` +
        `  fix: run \`lightning init${dir ? ` ${dir}` : ''} --force\` to overwrite them, or init another directory`,
      EXIT.usage,
    );
  }
  mkdirSync(target, { recursive: true });
  writeInit(plan);

  const prompts = plan.files.filter((file) => file.path.startsWith('templates/prompts/')).length;
  const lines = [
    `${created ? 'created' : 'initialised'} ${target === process.cwd() ? 'the current directory' : displayPath(target)}:`,
    `  agents.yaml                 the six built-in agents, commented`,
    `  agents.schema.json          lets editors complete and check agents.yaml`,
    `  templates/prompts/          ${prompts} system prompts`,
    `  .gitignore                  ${plan.gitignore === 'present' ? 'already ignores .lightning/ and .env' : plan.gitignore === 'append' ? `now ignores ${plan.gitignoreLines.join(' and ')} too` : 'ignores .lightning/ (the state directory) and .env (the model key)'}`,
    ...(existing.length > 0 ? [`  (overwrote ${existing.join(', ')})`] : []),
    '',
    'Next:',
    ...(target === process.cwd() ? [] : [`  cd ${shellWord(displayPath(target))}`]),
    "  echo 'OPENAI_API_KEY=sk-...' > .env     # or OPENAI_BASE_URL=http://localhost:11434/v1 (Ollama)",
    '  lightning up -d',
    '  lightning run "Summarize these meeting notes into three action items: ..."',
    '',
    'The agents need an OpenAI-compatible model endpoint: OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL',
    'for a local server, in .env beside agents.yaml (read at up, reload and every restart; git-ignored).',
    'Your own agent: lightning new agent my_agent --lang python (or --lang ts).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
