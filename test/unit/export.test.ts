/** The export generators' pure parts: durations, names, and escaping for each engine's syntax. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/load.js';
import { formatDuration, workerConfig, yamlText } from '../../src/export/agents-yaml.js';
import { composeExport } from '../../src/export/compose.js';
import { kubernetesExport } from '../../src/export/kubernetes.js';
import type { ExportInput } from '../../src/export/model.js';
import { dnsLabel, ExportError } from '../../src/export/model.js';
import { systemdExport } from '../../src/export/systemd.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A config in a directory whose name needs quoting in a unit file. */
function input(yaml: string, prompts: Record<string, string> = {}, env: Record<string, string> = {}): ExportInput {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning export 100% '));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'prompt.md'), 'unused');
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return {
    config: loadConfig(path.join(dir, 'agents.yaml')),
    image: 'lightning:test',
    prompts: new Map(Object.entries(prompts)),
    env,
    nodePath: '/usr/bin/node',
    binPath: path.join(dir, 'bin/lightning.js'),
    home: null,
    outDir: null,
  };
}

describe('export helpers', () => {
  it('writes a provider list (each with its model and timeout) that reads back to the same routes', () => {
    const { config } = input(`version: 1
defaults:
  model: [gpt-4o-mini, gpt-4o]
  provider:
    - { apiKeyEnv: MY_KEY }
    - { baseURL: "http://ollama:11434/v1", model: llama3.1, timeout: 2m }
agents:
  a: { port: 9001, prompt: prompt.md }
`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-export-providers-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'agents.yaml'), yamlText(workerConfig(config)));
    mkdirSync(path.join(dir, 'prompts'));
    writeFileSync(path.join(dir, 'prompts/a.md'), 'unused');
    const again = loadConfig(path.join(dir, 'agents.yaml'));
    expect(again.agents[0]!.routes).toEqual(config.agents[0]!.routes);
    expect(config.agents[0]!.routes).toHaveLength(3);
  });

  it('writes durations that agents.yaml reads back to the same milliseconds', () => {
    for (const ms of [0, 1, 250, 1000, 1500, 60_000, 90_000, 3_600_000, 5_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
    expect([500, 2000, 300_000, 7_200_000].map(formatDuration)).toEqual(['500ms', '2s', '5m', '2h']);
  });

  it('turns agent names into DNS-1123 labels', () => {
    expect(['web_developer', 'QA_Tester', 'data-', 'a__b'].map(dnsLabel)).toEqual(['web-developer', 'qa-tester', 'data', 'a--b']);
  });
});

describe('escaping', () => {
  const yaml = `version: 1
agents:
  shop:
    port: 9001
    prompt: prompt.md
    env: { GREETING: "costs $5 at 100%" }
  tool:
    port: 9002
    command: ["sh", "-c", "echo $(date) \${PORT} \${NAME}"]
    env: { NAME: tool }
`;

  it('doubles `$` where Compose would interpolate it: env values, commands and inline prompts', () => {
    const result = composeExport(input(yaml, { shop: 'Use $HOME and ${PATH} literally.' }));
    const compose = parse(result.stdout) as { services: Record<string, { environment: Record<string, string>; entrypoint?: string[] }>; configs: Record<string, { content: string }> };
    expect(compose.services.shop?.environment.GREETING).toBe('costs $$5 at 100%');
    expect(compose.services.tool?.entrypoint).toEqual(['sh', '-c', 'echo $$(date) 9002 tool']);
    expect(compose.configs['prompt-shop']?.content).toBe('Use $$HOME and $${PATH} literally.');
  });

  it('doubles `$(` where Kubernetes would expand it', () => {
    const docs = kubernetesExport(input(yaml)).stdout.split(/^---$/m).map((text) => parse(text) as Record<string, unknown>);
    const tool = docs.find((doc) => doc.kind === 'Deployment' && (doc.metadata as { name: string }).name === 'tool') as { spec: { template: { spec: { containers: { command: string[] }[] } } } };
    expect(tool.spec.template.spec.containers[0]?.command).toEqual(['sh', '-c', 'echo $$(date) 9002 tool']);
  });

  it('quotes unit-file paths with spaces and escapes `%`, and carries OPENAI_BASE_URL but never a key', () => {
    const exported = input(yaml, {}, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_API_KEY: 'sk-never-in-a-unit', PATH: '/opt/x/bin:/usr/bin:/opt/x/bin' });
    const unit = systemdExport(exported).stdout;
    const dir = exported.config.dir.replace(/%/g, '%%');
    expect(unit).toContain(`WorkingDirectory=${dir}\n`);
    expect(unit).toContain(`ExecStart=/usr/bin/node "${dir}/bin/lightning.js" -c "${dir}/agents.yaml" up\n`);
    expect(unit).toContain('Environment="OPENAI_BASE_URL=http://127.0.0.1:11434/v1"\n');
    expect(unit).toContain('Environment="PATH=/usr/bin:/opt/x/bin"\n');
    expect(unit).not.toContain('sk-never-in-a-unit');
  });

  it('refuses an agent whose service name would be the supervisor\'s', () => {
    expect(() => composeExport(input('version: 1\nagents:\n  Lightning: { port: 9001, prompt: prompt.md }\n'))).toThrow(ExportError);
  });
});
