import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerEvent } from '../../src/protocol/events.js';
import type { StatusDocument } from '../../src/protocol/status.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/lightning.js');
export const TEST_AGENT = path.join(ROOT, 'test/fixtures/test-agent.mjs');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell would give the CLI: jest's NODE_OPTIONS must not leak in. */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('LIGHTNING_')) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs the real CLI (the built bin) in `cwd`. */
export async function cli(cwd: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd,
    env: userEnv(options.env),
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A fresh directory holding agents.yaml (and the repo's prompts, for built-in agents). */
export function makeProject(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-test-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return dir;
}

/** The repository's own agents.yaml with every port replaced by 0 (free ports picked at spawn). */
export function repoFleetOnFreePorts(): string {
  const text = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8');
  return makeProject(text.replace(/port: \d+/g, 'port: 0'));
}

export async function status(cwd: string): Promise<StatusDocument> {
  const result = await cli(cwd, ['status', '--json']);
  if (result.exitCode !== 0) throw new Error(`status failed (${result.exitCode}): ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusDocument;
}

/**
 * agents.yaml with one general_assistant (the generalist) on free ports: `defaults` and `agent`
 * are extra lines, already indented, under `defaults:` and under the agent's entry.
 */
export function generalistYaml(options: { defaults?: string; agent?: string; instances?: number } = {}): string {
  return `version: 1
supervisor: { port: 0 }
${options.defaults ? `defaults:\n${options.defaults.replace(/\n?$/, '\n')}` : ''}agents:
  general_assistant:
    port: 0
${options.instances === undefined ? '' : `    instances: ${options.instances}\n`}    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
${options.agent ? options.agent.replace(/\n?$/, '\n') : ''}`;
}

/**
 * The set-up most task tests share: one general_assistant (the generalist) on free ports against
 * a model endpoint, brought up with `up -d`. Returns the directory and supervisor.json.
 */
export async function upSingleAgent(modelUrl: string, options: { instances?: number; health?: string } = {}): Promise<{ dir: string; api: string; token: string; pid: number }> {
  const dir = makeProject(
    generalistYaml({
      defaults: `  provider: { baseURL: "${modelUrl}" }\n${options.health ? `  health: ${options.health}\n` : ''}`,
      instances: options.instances ?? 1,
    }),
  );
  const up = await cli(dir, ['up', '-d']);
  if (up.exitCode !== 0) throw new Error(`up -d failed (${up.exitCode}): ${up.stderr}`);
  const info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string; pid: number };
  return { dir, ...info };
}

/** The status document straight from the control API: fast enough to poll every few ms. */
export async function apiStatus(cwd: string): Promise<StatusDocument> {
  const info = JSON.parse(readFileSync(path.join(cwd, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
  const response = await fetch(`${info.api}/v1/agents`, { headers: { authorization: `Bearer ${info.token}` } });
  return (await response.json()) as StatusDocument;
}

/** Every line of a project's ledger, parsed, in order. */
export function ledgerEvents(dir: string): LedgerEvent[] {
  return readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LedgerEvent);
}

/** A port free on 127.0.0.1 right now (for a server the test starts itself). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Zombies count as dead: a reparented process may never be reaped in a container. */
export { isAlive as alive } from '../../src/supervisor/process-registry.js';

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
}

/** Last resort in afterAll: stop the fleet, whatever state a failed test left it in. */
export async function teardown(cwd: string): Promise<void> {
  await cli(cwd, ['down'], { timeoutMs: 20_000 });
}

/** A YAML agent entry running the test agent fixture. */
export function testAgentYaml(name: string, options: { port?: number; env?: Record<string, string>; extra?: string } = {}): string {
  const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}: "${value}"`).join(', ');
  return [
    `  ${name}:`,
    `    port: ${options.port ?? 0}`,
    `    description: test agent ${name}`,
    `    capabilities: [testing]`,
    `    command: ["${process.execPath}", "${TEST_AGENT}"]`,
    env ? `    env: { ${env} }` : '',
    options.extra ?? '',
  ]
    .filter(Boolean)
    .join('\n');
}
