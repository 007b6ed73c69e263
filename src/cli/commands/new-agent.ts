import path from 'node:path';
import { displayPath } from '../../config/errors.js';
import { findConfigPath } from '../../config/find.js';
import { LANGUAGES } from '../../scaffold/agent-template.js';
import type { AgentLanguage } from '../../scaffold/agent-template.js';
import { createAgent } from '../../scaffold/new-agent.js';
import type { GlobalOptions } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';

export interface NewAgentOptions extends GlobalOptions {
  lang?: string;
  capabilities?: string;
  port?: string;
  description?: string;
}

/** `lightning new agent NAME`: scaffolds agents/NAME/ and adds it to agents.yaml. */
export async function newAgentCommand(name: string, options: NewAgentOptions): Promise<void> {
  const language = parseLanguage(options.lang ?? 'python');
  const capabilities = options.capabilities === undefined ? null : parseCapabilities(options.capabilities);
  const port = options.port === undefined ? null : parsePort(options.port);
  const configPath = findConfig(options);
  const result = createAgent({ configPath, name, language, capabilities, port, description: options.description ?? null });

  const dir = displayPath(result.agentDir);
  const main = language === 'ts' ? 'agent.ts' : 'agent.py';
  const lines = [
    `created ${dir}/ (${language === 'ts' ? 'TypeScript' : 'Python'}): ${result.files.join(', ')}`,
    `added ${name} to ${displayPath(configPath)}: port ${result.port === 0 ? '0 (a free port at each start)' : result.port}, capabilities [${result.capabilities.join(', ')}], command ${result.command.join(' ')}`,
    '',
    `Write its logic in handle() in ${path.join(dir, main)}, then:`,
    '  lightning up -d          (a running supervisor picks the new agent up by itself)',
    `  lightning run --agent ${name} "..."`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function findConfig(options: GlobalOptions): string {
  try {
    return findConfigPath({ cwd: process.cwd(), explicit: options.config });
  } catch (error) {
    const message = (error as Error).message;
    throw new ExitError(`${message}${options.config ? '' : '\n  or create a project here first: lightning init'}`, EXIT.usage);
  }
}

function parseLanguage(value: string): AgentLanguage {
  if ((LANGUAGES as readonly string[]).includes(value)) return value as AgentLanguage;
  throw new ExitError(`--lang ${JSON.stringify(value)} is not a template language\n  fix: use --lang ${LANGUAGES.join(' or --lang ')}`, EXIT.usage);
}

function parseCapabilities(value: string): string[] {
  const list = [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))];
  if (list.length === 0) throw new ExitError('--capabilities is empty\n  fix: list words the router should match, e.g. --capabilities invoice,receipt,pdf', EXIT.usage);
  return list;
}

function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new ExitError(`--port ${JSON.stringify(value)} is not a port\n  fix: a whole number from 1 to 65535 (or 0 for a free port at each start)`, EXIT.usage);
  }
  return port;
}
