import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { configJsonSchemaText } from '../../src/scaffold/config-json-schema.js';
import { seedConfig } from '../../src/scaffold/init-project.js';
import { ROOT } from '../helpers/fleet.js';

const committed = readFileSync(path.join(ROOT, 'agents.schema.json'), 'utf8');
const validate = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }).compile(JSON.parse(committed) as object);
const valid = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`));

describe('agents.schema.json (the editor schema of agents.yaml)', () => {
  it('is exactly what `lightning schema` generates from the config schema', () => {
    const generated = configJsonSchemaText();
    if (committed !== generated) {
      throw new Error('agents.schema.json is out of date with src/config/schema.ts: run `node bin/lightning.js schema > agents.schema.json` (after `npm run build`)');
    }
    expect(JSON.parse(committed)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' });
  });

  it("accepts the repository's agents.yaml and what `lightning init` writes, which point editors at it", () => {
    const repo = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8');
    expect(repo.split('\n')[0]).toBe('# yaml-language-server: $schema=./agents.schema.json');
    expect(valid(parse(repo))).toEqual([]);
    expect(valid(parse(seedConfig()))).toEqual([]);
  });

  it('accepts the shapes the loader accepts: durations, sizes, commands, a scaffolded agent', () => {
    const doc = {
      version: 1,
      logs: { maxSize: '10MB', files: 3 },
      defaults: { health: { interval: '250ms', timeout: '500ms', startTimeout: '1.5m' } },
      agents: {
        invoice_parser: { port: 9007, description: 'Invoices', capabilities: ['invoice'], command: ['python3', 'agents/invoice_parser/agent.py'] },
        shell_line: { port: 0, command: 'node agent.js --port ${PORT}', restart: { policy: 'on-failure', initialDelay: '0ms' } },
      },
    };
    expect(valid(doc)).toEqual([]);
  });

  it('rejects what the loader rejects: unknown keys, bad durations, bad names, wrong types', () => {
    const agent = { port: 9001 };
    expect(valid({ version: 1, agents: { a: { ...agent, capabilites: ['x'] } } }).join()).toContain('must NOT have additional properties');
    expect(valid({ version: 1, defaults: { health: { interval: '2 parsecs' } }, agents: { a: agent } }).join()).toContain('/defaults/health/interval');
    expect(valid({ version: 1, defaults: { task: { timeout: 120 } }, agents: { a: agent } }).join()).toContain('/defaults/task/timeout');
    expect(valid({ version: 1, defaults: { task: { timeout: '120' } }, agents: { a: agent } }).join()).toContain('/defaults/task/timeout');
    expect(valid({ version: 1, agents: { '9lives': agent } }).join()).toContain('property name');
    expect(valid({ version: 1, agents: { a: { port: 70000 } } }).join()).toContain('/agents/a/port');
    expect(valid({ version: 2, agents: { a: agent } }).join()).toContain('/version');
    expect(valid({ version: 1, agents: { a: { ...agent, command: [] } } }).join()).toContain('/agents/a/command');
  });
});
