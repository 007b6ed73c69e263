/**
 * `lightning new agent`: scaffolds agents/NAME/ from a template and adds the agent to agents.yaml.
 * Nothing is left half done: the edited agents.yaml is validated by the real config loader (from a
 * temporary file beside it, so relative paths resolve the same) before anything is written, the
 * agent's files are written next, and agents.yaml is replaced last, in one rename — so a running
 * supervisor's live reload sees the new agent only once its files exist.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, displayPath, loadConfig } from '../config/index.js';
import { AGENT_NAME_RE } from '../config/schema.js';
import { humanize } from '../protocol/agent-card.js';
import { saneAgentName } from '../config/issues.js';
import { EXIT, ExitError } from '../util/exit-error.js';
import { addAgentEntry, agentNames, nextFreePort, parseConfigText } from './config-edit.js';
import { commandFor, writeAgentFromTemplate } from './agent-template.js';
import type { AgentLanguage } from './agent-template.js';

export interface NewAgentRequest {
  configPath: string;
  name: string;
  language: AgentLanguage;
  capabilities: string[] | null;
  port: number | null;
  description: string | null;
}

export interface NewAgentResult {
  name: string;
  language: AgentLanguage;
  /** Absolute. */
  agentDir: string;
  /** Relative to agentDir. */
  files: string[];
  port: number;
  capabilities: string[];
  command: string[];
}

export function createAgent(request: NewAgentRequest): NewAgentResult {
  const { configPath, name, language } = request;
  if (!AGENT_NAME_RE.test(name)) {
    throw new ExitError(
      `bad agent name "${name}" — a name starts with a letter and has only letters, digits, "_" and "-" (at most 63 characters)\n` +
        `  fix: e.g. lightning new agent ${saneAgentName(name)}`,
      EXIT.usage,
    );
  }
  const text = readFileSync(configPath, 'utf8');
  const doc = parseConfigText(text);
  if (doc.errors.length > 0) loadConfig(configPath); // throws the located syntax error
  if (agentNames(doc).includes(name)) {
    throw new ExitError(`agent "${name}" already exists in ${displayPath(configPath)}\n  fix: pick another name, or edit its entry there`, EXIT.usage);
  }
  const projectDir = path.dirname(configPath);
  const relativeDir = `agents/${name}`;
  const agentDir = path.join(projectDir, relativeDir);
  if (existsSync(agentDir)) {
    throw new ExitError(`${displayPath(agentDir)} already exists\n  fix: pick another name, or move that directory away`, EXIT.usage);
  }

  const capabilities = request.capabilities ?? defaultCapabilities(name);
  const port = request.port ?? nextFreePort(doc);
  // Only the agent's own words: a default mentioning e.g. "Python" would draw Python tasks to it.
  const description = request.description ?? `${humanize(name)} (${capabilities.join(', ')})`;
  const command = commandFor(language, relativeDir);
  const edited = addAgentEntry(text, { name, port, description, capabilities, command });

  const staged = path.join(projectDir, `.${path.basename(configPath)}.${process.pid}.new`);
  writeFileSync(staged, edited);
  try {
    validateEdit(staged, configPath);
    let files: string[];
    try {
      files = writeAgentFromTemplate(language, agentDir, { name, description, capabilities, port });
    } catch (error) {
      rmSync(agentDir, { recursive: true, force: true });
      const output = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new ExitError(`could not scaffold ${displayPath(agentDir)}: ${output || (error as Error).message}\n  agents.yaml was left unchanged`, EXIT.failed);
    }
    renameSync(staged, configPath);
    return { name, language, agentDir, files, port, capabilities, command };
  } finally {
    rmSync(staged, { force: true });
  }
}

/** The loader's verdict on the edited file, its error re-aimed at agents.yaml itself. */
function validateEdit(staged: string, configPath: string): void {
  try {
    loadConfig(staged);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    loadConfig(configPath); // already broken before the edit: that error, at its real place, comes first
    const where = [displayPath(configPath), error.line, error.col].filter((part) => part !== null).join(':');
    throw new ExitError(
      `adding the agent would make ${displayPath(configPath)} invalid, so nothing was changed:\n` +
        `  ${where} (after the edit): ${error.problem}${error.hint ? `\n  fix: ${error.hint}` : ''}`,
      EXIT.usage,
    );
  }
}

/** `invoice_parser` → [invoice, parser]: words the router can match until the user writes better ones. */
function defaultCapabilities(name: string): string[] {
  const words = name.toLowerCase().split(/[-_]+/).filter((word) => word.length > 1 && !/^\d+$/.test(word));
  return words.length > 0 ? [...new Set(words)] : [name.toLowerCase()];
}
