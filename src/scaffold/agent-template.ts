/**
 * Copies an agent template (templates/agent-ts or templates/agent-python) into a project. The
 * templates are runnable programs as shipped; scaffolding only rewrites the few constant lines
 * that say who the agent is (`AGENT_NAME = …`), so a template stays testable on its own.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nodeForScripts, ownTypeScript, templatesDirectory } from '../util/install.js';

export type AgentLanguage = 'ts' | 'python';

export const LANGUAGES: readonly AgentLanguage[] = ['python', 'ts'];

export interface TemplateValues {
  name: string;
  description: string;
  capabilities: string[];
  port: number;
}

interface TemplateSpec {
  dir: string;
  /** The file holding the identity constants. */
  main: string;
  /** How agents.yaml runs it, relative to the project directory. */
  command(agentDir: string): string[];
}

const TEMPLATES: Record<AgentLanguage, TemplateSpec> = {
  python: { dir: 'agent-python', main: 'agent.py', command: (agentDir) => ['python3', `${agentDir}/agent.py`] },
  ts: { dir: 'agent-ts', main: 'agent.ts', command: (agentDir) => ['node', `${agentDir}/start.mjs`] },
};

export function commandFor(language: AgentLanguage, agentDir: string): string[] {
  return TEMPLATES[language].command(agentDir);
}

/**
 * Writes the template into `target` (which must not exist yet) and returns the files written,
 * relative to `target`. A TypeScript agent is compiled once here, so a broken toolchain shows now
 * rather than at the first `lightning up`, and the first start does not wait for the compiler.
 */
export function writeAgentFromTemplate(language: AgentLanguage, target: string, values: TemplateValues): string[] {
  const spec = TEMPLATES[language];
  const source = path.join(templatesDirectory(), spec.dir);
  mkdirSync(target, { recursive: true });
  const files = readdirSync(source).filter((file) => statSync(path.join(source, file)).isFile() && !file.startsWith('.'));
  for (const file of files) {
    const from = path.join(source, file);
    const to = path.join(target, file);
    if (file === spec.main) writeFileSync(to, setConstants(readFileSync(from, 'utf8'), identityOf(values), file));
    else if (file === 'README.md') writeFileSync(to, readFileSync(from, 'utf8').replaceAll('my_agent', values.name));
    else copyFileSync(from, to);
  }
  if (language === 'ts') {
    const launcher = path.join(target, 'start.mjs');
    writeFileSync(launcher, setConstants(readFileSync(launcher, 'utf8'), { SCAFFOLD_TYPESCRIPT: ownTypeScript() }, 'start.mjs'));
    const node = nodeForScripts();
    if (node === null) {
      throw new Error(
        'a TypeScript agent runs on Node.js (agents.yaml starts it with `node …/start.mjs`) and there is no `node` on PATH\n' +
          '  fix: install Node.js 20 or later, or scaffold a Python agent (--lang python)',
      );
    }
    execFileSync(node, [launcher, '--build'], { stdio: 'pipe' });
    files.push('build/agent.js', 'build/package.json');
  }
  return files;
}

function identityOf(values: TemplateValues): Record<string, unknown> {
  return { AGENT_NAME: values.name, DESCRIPTION: values.description, CAPABILITIES: values.capabilities, DEFAULT_PORT: values.port || 9010 };
}

/**
 * Rewrites `NAME = value` (Python) or `const NAME[: type] = value;` (TypeScript/JS) lines. JSON
 * literals are valid in both languages for the strings, lists and numbers used here.
 */
export function setConstants(text: string, values: Record<string, unknown>, file: string): string {
  let out = text;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^(const ${name}(?::[^=]+)? = |${name} = ).*?(;?)$`, 'm');
    if (!line.test(out)) throw new Error(`template ${file} has no ${name} constant line (a packaging bug)`);
    out = out.replace(line, (_whole, head: string, semicolon: string) => `${head}${JSON.stringify(value)}${semicolon}`);
  }
  return out;
}
