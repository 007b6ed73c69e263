import { describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { tracingRequested } from '../../src/util/tracing.js';
import { configSchema } from '../../src/config/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');

type Schema = z.core.$ZodType;

/** Through optional/nullable wrappers and transforms (a pipe's input is what the file holds). */
function unwrap(schema: Schema): Schema {
  const def = schema._zod.def as { type: string; innerType?: Schema; in?: Schema };
  if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  return schema;
}

/** Every key path agents.yaml accepts, agents' names written as NAME: `agents.NAME.health.interval`. */
function keyPaths(schema: Schema, prefix = ''): string[] {
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, Schema>; valueType?: Schema; options?: Schema[]; element?: Schema };
  // One mapping or a list of them (provider:): the keys of each option, a list's entries' keys.
  if (def.type === 'union' && def.options) return [...new Set(def.options.flatMap((option) => keyPaths(option, prefix)))];
  if (def.type === 'array' && def.element) return keyPaths(def.element, prefix);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, value]) => {
      const at = prefix ? `${prefix}.${key}` : key;
      return [at, ...keyPaths(value, at)];
    });
  }
  // `agents` and `tools.mcp` map names to mappings; other records (env, headers) hold values, not keys.
  if (def.type === 'record' && (prefix === 'agents' || prefix.endsWith('.mcp')) && def.valueType) return keyPaths(def.valueType, `${prefix}.NAME`);
  return [];
}

describe('docs/configuration.md', () => {
  const paths = keyPaths(configSchema as unknown as Schema);

  it('documents every key of the agents.yaml schema', () => {
    expect(paths).toContain('agents.NAME.health.interval');
    const documented = (key: string) => doc.includes(`\`${key}\``);
    // A key an agent shares with `defaults:` is documented once, under defaults.
    const shared = (key: string) => key.startsWith('agents.NAME.') && paths.includes(`defaults.${key.slice('agents.NAME.'.length)}`);
    const missing = paths.filter((key) => !documented(key) && !(shared(key) && documented(`defaults.${key.slice('agents.NAME.'.length)}`)));
    expect(missing).toEqual([]);
  });

  it('documents no key the schema does not accept', () => {
    const rows = [...doc.matchAll(/^\| `([a-zA-Z0-9.]+)` \|/gm)].map((match) => match[1]!);
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.filter((key) => !paths.includes(key))).toEqual([]);
  });
});

describe('README "Tools (MCP)"', () => {
  it('has a config example that loads, with the servers it describes', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('\n## Tools (MCP)\n')[1]?.split('\n## ')[0] ?? '';
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-readme-mcp-'));
    try {
      cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
      writeFileSync(path.join(dir, 'agents.yaml'), yaml!);
      const config = loadConfig(path.join(dir, 'agents.yaml'));
      const web = config.agents.find((agent) => agent.name === 'web_developer')!;
      expect(web.tools.shell).toBe(true);
      expect(web.tools.mcp).toEqual({
        docs: { transport: 'http', url: 'http://127.0.0.1:3001/mcp', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, approval: ['delete_page'] },
        everything: { transport: 'stdio', command: ['npx', '-y', '@modelcontextprotocol/server-everything', 'stdio'], env: {}, approval: false },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README "Approval"', () => {
  it('has a config example that loads: the shell asks by default, write_file too where listed, 10 minutes to decide', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('\n## Approval\n')[1]?.split('\n## ')[0] ?? '';
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-readme-approval-'));
    try {
      cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
      writeFileSync(path.join(dir, 'agents.yaml'), yaml!);
      const devops = loadConfig(path.join(dir, 'agents.yaml')).agents.find((agent) => agent.name === 'devops_engineer')!;
      expect(devops.tools).toMatchObject({ shell: true, approval: ['run_shell', 'write_file'] });
      expect(devops.task.approvalTimeoutMs).toBe(600_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README "Providers"', () => {
  it('has a config example that loads, with the routes it describes in the order it describes', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('\n## Providers\n')[1]?.split('\n## ')[0] ?? '';
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-readme-providers-'));
    try {
      cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
      writeFileSync(path.join(dir, 'agents.yaml'), yaml!);
      const config = loadConfig(path.join(dir, 'agents.yaml'));
      const routes = (name: string) => config.agents.find((agent) => agent.name === name)!.routes;
      const ollama = { baseURL: 'http://localhost:11434/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'llama3.1' };
      expect(routes('web_developer')).toEqual([{ baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini' }, ollama]);
      expect(routes('writer')).toEqual([
        { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini' },
        { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o' },
        ollama,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README "Tracing"', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Tracing\n')[1]?.split('\n## ')[0] ?? '';

  it('has a .env example that turns tracing on, as lightning reads .env', () => {
    const text = /```sh\n# \.env\n([\s\S]*?)```/.exec(section)?.[1];
    expect(text).toBeDefined();
    const env = parseEnv(text!) as NodeJS.ProcessEnv;
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://127.0.0.1:4318');
    expect(tracingRequested(env)).toBe(true);
    expect(tracingRequested({ ...env, OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('has a Collector config whose pipeline receives OTLP over HTTP and uses only what it defines', () => {
    const text = /```yaml\n(# otel-collector\.yaml[\s\S]*?)```/.exec(section)?.[1];
    expect(text).toBeDefined();
    const config = parseYaml(text!) as {
      receivers: Record<string, { protocols: { http?: { endpoint: string } } }>;
      processors: Record<string, unknown>;
      exporters: Record<string, unknown>;
      service: { pipelines: { traces: { receivers: string[]; processors: string[]; exporters: string[] } } };
    };
    expect(config.receivers.otlp?.protocols.http?.endpoint).toMatch(/:4318$/);
    const { traces } = config.service.pipelines;
    expect(traces.receivers.every((name) => name in config.receivers)).toBe(true);
    expect(traces.processors.every((name) => name in config.processors)).toBe(true);
    expect(traces.exporters.every((name) => name in config.exporters)).toBe(true);
  });
});
