import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { addAgentEntry, nextFreePort, parseConfigText } from '../../src/scaffold/config-edit.js';
import type { AgentEntry } from '../../src/scaffold/config-edit.js';

const entry: AgentEntry = {
  name: 'invoice_parser',
  port: 9100,
  description: 'Invoice Parser (invoice, receipt)',
  capabilities: ['invoice', 'receipt'],
  command: ['python3', 'agents/invoice_parser/agent.py'],
};

const expectedAgent = {
  port: 9100,
  description: 'Invoice Parser (invoice, receipt)',
  capabilities: ['invoice', 'receipt'],
  command: ['python3', 'agents/invoice_parser/agent.py'],
};

describe('adding an agent to agents.yaml keeps the file as the user wrote it', () => {
  it('keeps comments, order, alignment and flow style, inserting after the last agent at its indent', () => {
    const text = [
      '# yaml-language-server: $schema=./agents.schema.json',
      'version: 1   # format',
      'defaults:',
      '  health:  { interval: 1s }   # aligned on purpose',
      'agents:',
      '    # the first one',
      '    helper:',
      '        port: 9001',
      '        capabilities: [a, b]  # flow list',
      '    # a trailing note about the agents',
      'alerts: { unhealthyFor: 30s }',
      '# the end',
      '',
    ].join('\n');
    const out = addAgentEntry(text, entry);
    const lines = out.split('\n');
    // Every original line is still there, in order, untouched.
    expect(lines.filter((line) => text.split('\n').includes(line))).toEqual(text.split('\n'));
    expect(out).toBe(
      text.replace(
        '        capabilities: [a, b]  # flow list\n',
        '        capabilities: [a, b]  # flow list\n' +
          '    invoice_parser:\n' +
          '        port: 9100\n' +
          '        description: Invoice Parser (invoice, receipt)\n' +
          '        capabilities: [invoice, receipt]\n' +
          '        command: [python3, agents/invoice_parser/agent.py]\n',
      ),
    );
    const parsed = parse(out) as { agents: Record<string, unknown>; alerts: unknown };
    expect(Object.keys(parsed.agents)).toEqual(['helper', 'invoice_parser']);
    expect(parsed.agents.invoice_parser).toEqual(expectedAgent);
    expect(parsed.alerts).toEqual({ unhealthyFor: '30s' });
  });

  it('handles a file without a final newline and a flow-style agents mapping', () => {
    const noNewline = 'version: 1\nagents:\n  helper: { port: 9001 }';
    const a = parse(addAgentEntry(noNewline, entry)) as { agents: Record<string, unknown> };
    expect(a.agents).toEqual({ helper: { port: 9001 }, invoice_parser: expectedAgent });
    expect(addAgentEntry(noNewline, entry).startsWith(`${noNewline}\n`)).toBe(true);

    const flow = 'version: 1 # keep me\nagents: { helper: { port: 9001 } }\n';
    const b = addAgentEntry(flow, entry);
    expect(b).toContain('# keep me');
    expect((parse(b) as { agents: Record<string, unknown> }).agents).toEqual({ helper: { port: 9001 }, invoice_parser: expectedAgent });
  });

  it('quotes what YAML would misread', () => {
    const out = addAgentEntry('version: 1\nagents:\n  helper:\n    port: 9001\n', { ...entry, description: 'Totals: VAT # and more', capabilities: ['yes', '1.5'] });
    const agent = (parse(out) as { agents: { invoice_parser: { description: string; capabilities: unknown[] } } }).agents.invoice_parser;
    expect(agent.description).toBe('Totals: VAT # and more');
    expect(agent.capabilities).toEqual(['yes', '1.5']);
  });
});

describe('the next free port', () => {
  const port = (text: string) => nextFreePort(parseConfigText(text));
  it('follows the highest port in the file, counting instances and the supervisor', () => {
    expect(port('agents:\n  a: { port: 9001 }\n  b: { port: 9004, instances: 3 }\n')).toBe(9007);
    expect(port('supervisor: { port: 9500 }\nagents:\n  a: { port: 9001 }\n')).toBe(9501);
    expect(port('agents:\n  a: { url: "http://10.0.0.2:9001" }\n')).toBe(9001);
    expect(port('version: 1\n')).toBe(9001);
  });
  it('is 0 when every agent in the file takes a free port at each start', () => {
    expect(port('supervisor: { port: 0 }\nagents:\n  a: { port: 0 }\n  b: { port: 0 }\n')).toBe(0);
  });
});
