import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  DEFAULT_HEALTH,
  DEFAULT_RESTART,
  DEFAULT_TASK,
  displayPath,
  findConfigPath,
  loadConfig,
  planInstances,
  resolveAgent,
  splitCommand,
  suggest,
} from '../../src/config/index.js';
import { generatedPrompt } from '../../src/config/generated-prompt.js';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-config-'));
  tmpDirs.push(dir);
  return dir;
}

/** Writes agents.yaml (lines joined with \n) plus any other files; returns the config's path. */
function writeConfig(lines: string[], files: Record<string, string> = { 'p.md': 'You help.\n' }): string {
  const dir = tmpDir();
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'agents.yaml');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Asserts the `file:line:col: ` prefix, the structured fields and a fix line. */
function expectAt(err: ConfigError, file: string, line: number, col: number): void {
  expect(err.message.startsWith(`${displayPath(file)}:${line}:${col}: `)).toBe(true);
  expect(err.file).toBe(file);
  expect([err.line, err.col]).toEqual([line, col]);
  expect(err.exitCode).toBe(2);
  expect(err.hint).not.toBeNull();
  expect(err.message).toContain(`\n  fix: ${err.hint}`);
}

describe('loadConfig errors', () => {
  it('YAML syntax error (tab indentation)', () => {
    const file = writeConfig(['version: 1', 'agents:', '  web:', '\tport: 9001']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 4, 1);
    expect(err.problem).toMatch(/YAML syntax error: .*tab/i);
    expect(err.hint).toContain('spaces');
  });

  it('YAML duplicate key', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    port: 9002', '    prompt: p.md']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 5, 5);
    expect(err.problem).toContain('unique');
  });

  it('unknown key, pointing at the key and suggesting the nearest known one', () => {
    const file = writeConfig([
      'version: 1',
      'defaults:',
      '  health:',
      '    path: /health',
      '    intrval: 2s', // line 5, key at col 5
      'agents:',
      '  web:',
      '    port: 9001',
      '    prompt: p.md',
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 5, 5);
    expect(err.problem).toBe('unknown key "intrval" in defaults.health — did you mean "interval"?');
    expect(err.hint).toBe('rename "intrval" to "interval"');
  });

  it('unknown key with no close match lists the allowed keys', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a: { port: 9001, prompt: p.md, colour: red }']);
    const err = errorOf(() => loadConfig(file));
    // `  a: { port: 9001, prompt: p.md, ` is 33 characters: the key starts at col 34.
    expectAt(err, file, 3, 34);
    expect(err.problem).toBe('unknown key "colour" in agents.a');
    expect(err.hint).toContain('agents.a accepts: port, url, tokenEnv, instances,');
  });

  it('duplicate port names both agents', () => {
    const file = writeConfig([
      'version: 1',
      'agents:',
      '  a:',
      '    port: 9001',
      '    prompt: p.md',
      '  b:',
      '    port: 9001', // line 7; `    port: ` is 10 characters → col 11
      '    prompt: p.md',
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 7, 11);
    expect(err.problem).toBe('duplicate port 9001: agents "a" and "b" both use it');
    expect(err.hint).toContain('port: 9002');
  });

  it('out-of-range port', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    port: 70000', '    prompt: p.md']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 4, 11);
    expect(err.problem).toBe('agents.a.port must be an integer from 0 to 65535, got 70000');
    expect(err.hint).toContain('0 to pick a free port');
  });

  it('overlapping instance port ranges name both agents and ranges', () => {
    const file = writeConfig([
      'version: 1',
      'agents:',
      '  a:',
      '    port: 9001',
      '    instances: 3',
      '    prompt: p.md',
      '  b:',
      '    port: 9002',
      '    prompt: p.md',
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 8, 11);
    expect(err.problem).toContain('agent "b" port 9002 overlaps agent "a" ports 9001–9003');
    expect(err.hint).toContain('port: 9004');
  });

  it('ports past 65535 and the supervisor port', () => {
    const high = writeConfig(['version: 1', 'agents:', '  a: { port: 65535, instances: 2, prompt: p.md }']);
    const e1 = errorOf(() => loadConfig(high));
    expectAt(e1, high, 3, 14);
    expect(e1.problem).toContain('65535–65536');

    const sup = writeConfig(['version: 1', 'agents:', '  a: { port: 8999, instances: 2, prompt: p.md }']);
    const e2 = errorOf(() => loadConfig(sup));
    expectAt(e2, sup, 3, 14);
    expect(e2.problem).toBe(`agent "a" ports 8999–9000 clash with the supervisor's port 9000 (the default)`);
  });

  it('bad agent name points at the name', () => {
    const file = writeConfig(['version: 1', 'agents:', '  web developer!:', '    port: 9001', '    prompt: p.md']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 3, 3);
    expect(err.problem).toContain('bad agent name "web developer!"');
    expect(err.problem).toContain('letters, digits, "_" and "-"');
    expect(err.hint).toContain('"web_developer"');
    expect(err.hint).toContain('reserved for instance selectors');
  });

  it('bad duration', () => {
    const file = writeConfig([
      'version: 1',
      'agents:',
      '  a:',
      '    port: 9001',
      '    prompt: p.md',
      '    health:',
      '      interval: 5 parsecs', // `      interval: ` is 16 characters → col 17
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 7, 17);
    expect(err.problem).toBe(
      'agents.a.health.interval: bad duration "5 parsecs" — use a number with ms, s, m or h, e.g. 250ms, 2s, 5m',
    );
    expect(err.hint).toBe('e.g. interval: 1s');
  });

  it('a bare number is not a duration: the error spells out the unit it probably meant', () => {
    const file = writeConfig(['version: 1', 'defaults:', '  task: { timeout: 120 }', 'agents:', '  a: { port: 9001, prompt: p.md }']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 3, 20);
    expect(err.problem).toBe('defaults.task.timeout: duration 120 has no unit — did you mean 120s? (a duration needs ms, s, m or h)');
    expect(err.hint).toBe('write timeout: 120s (durations always carry a unit)');
    const quoted = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: p.md', '    health: { interval: "1500" }']);
    expect(errorOf(() => loadConfig(quoted)).problem).toContain('duration "1500" has no unit — did you mean 1500ms?');
  });

  it('missing prompt file names the absolute path it looked for', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: prompts/missing.md']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 5, 13);
    expect(err.problem).toBe(`prompt file not found: ${path.join(path.dirname(file), 'prompts/missing.md')}`);
  });

  it('a bare agent entry (description, capabilities, no prompt or command) runs the built-in worker', () => {
    const bare = writeConfig(['version: 1', 'agents:', '  translator:', '    port: 9007', '    description: Translates documents between English and French', '    capabilities: [translation, french, english]']);
    const agent = loadConfig(bare).agents[0]!;
    expect([agent.prompt, agent.command]).toEqual([null, null]);
    // Word for word what docs/configuration.md shows for the same entry.
    const docs = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/configuration.md'), 'utf8');
    expect(docs).toContain('```text\n' + generatedPrompt(agent) + '\n```');
    expect(generatedPrompt({ name: 'x', description: '', capabilities: ['sql'] })).not.toContain('What you do');
  });

  it('agent with nothing to say who it is, and a cwd that is not a directory', () => {
    const noPrompt = writeConfig(['version: 1', 'agents:', '  helper:', '    port: 9001']);
    const e1 = errorOf(() => loadConfig(noPrompt));
    expectAt(e1, noPrompt, 3, 3);
    expect(e1.problem).toBe('agent "helper" has no prompt, command, description or capabilities');
    expect(e1.hint).toContain('add description: and capabilities:');
    expect(e1.hint).toContain('prompt: templates/prompts/helper.md');

    const badCwd = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    command: x', '    cwd: nowhere']);
    const e2 = errorOf(() => loadConfig(badCwd));
    expectAt(e2, badCwd, 6, 10);
    expect(e2.problem).toBe(`cwd ${path.join(path.dirname(badCwd), 'nowhere')} does not exist`);
  });

  it('empty agents: points at the key and shows an example; missing agents has no position', () => {
    const file = writeConfig(['version: 1', 'supervisor: { port: 9000 }', 'agents: {}']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 3, 1);
    expect(err.problem).toContain('add at least one agent');
    expect(err.hint).toContain('\n    agents:\n      general_assistant:\n');

    const none = writeConfig(['version: 1']);
    const e2 = errorOf(() => loadConfig(none));
    expect(e2.line).toBeNull();
    expect(e2.message.startsWith(`${displayPath(none)}: no agents defined`)).toBe(true);
  });

  it('missing required key points at the enclosing key', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    prompt: p.md']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 3, 3);
    expect(err.problem).toBe('missing required key "port" in agents.a');
  });

  it('empty file, unreadable path, wrong version', () => {
    const empty = writeConfig(['# nothing here']);
    const e1 = errorOf(() => loadConfig(empty));
    expect(e1.problem).toBe('the config file is empty');
    expect(e1.line).toBeNull();

    const e2 = errorOf(() => loadConfig(path.join(tmpDir(), 'nope.yaml')));
    expect(e2.problem).toMatch(/^config file not found: \//);

    const v2 = writeConfig(['version: 2', 'agents:', '  a: { port: 9001, prompt: p.md }']);
    const e3 = errorOf(() => loadConfig(v2));
    expectAt(e3, v2, 1, 10);
    expect(e3.problem).toBe('version must be 1, got 2');
  });

  it('reports the earliest problem in the file, whatever the check order', () => {
    const file = writeConfig([
      'version: 1',
      'agents:',
      '  a: { port: 9001, prompt: missing.md }', // semantic problem, line 3
      '  b: { port: 9001, prompt: p.md }', // duplicate port, line 4
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 3, 28);
    expect(err.problem).toContain('prompt file not found');
  });
});

describe('tools.mcp', () => {
  const withServer = (server: string): string[] => ['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: p.md', '    tools:', '      mcp:', `        docs: ${server}`];

  it('resolves stdio and HTTP servers; an agent\'s mcp replaces the defaults\' as a whole', () => {
    const file = writeConfig([
      'version: 1',
      'defaults:',
      '  tools:',
      '    mcp:',
      '      fs: { command: npx -y server-fs, args: [/data], env: { DEBUG: 1, TOKEN: "${FS_TOKEN}" }, approval: true }',
      'agents:',
      '  a: { port: 9001, prompt: p.md }',
      '  b:',
      '    port: 9002',
      '    prompt: p.md',
      '    tools: { mcp: { docs: { url: "https://docs.example/mcp", headers: { Authorization: "Bearer ${DOCS_TOKEN}" } } } }',
      '  c: { port: 9003, prompt: p.md, tools: { shell: true, mcp: {} } }',
    ]);
    const [a, b, c] = loadConfig(file).agents;
    expect(a!.tools).toEqual({
      shell: false,
      approval: ['run_shell'],
      mcp: { fs: { transport: 'stdio', command: ['npx', '-y', 'server-fs', '/data'], env: { DEBUG: '1', TOKEN: '${FS_TOKEN}' }, approval: true } },
    });
    expect(b!.tools.mcp).toEqual({ docs: { transport: 'http', url: 'https://docs.example/mcp', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, approval: false } });
    expect(c!.tools).toEqual({ shell: true, approval: ['run_shell'], mcp: {} });
  });

  it.each([
    ['{ command: x, url: "http://127.0.0.1:1/mcp" }', 8, 34, 'agents.a.tools.mcp.docs.url: set either command (a stdio server) or url (a Streamable HTTP server), not both'],
    ['{ args: [x] }', 8, 15, 'agents.a.tools.mcp.docs: an MCP server needs command (a stdio server) or url (a Streamable HTTP server)'],
    ['{ url: "http://127.0.0.1:1/mcp", env: { A: b } }', 8, 53, 'agents.a.tools.mcp.docs.env: env only applies to a stdio server (command:); an HTTP server takes headers:'],
    ['{ url: "http://127.0.0.1:1/mcp", headers: { A: "${B" } }', 8, 62, 'agents.a.tools.mcp.docs.headers.A: "${B" is not a ${NAME} reference'],
    ['{ command: x, approval: maybe }', 8, 39, 'agents.a.tools.mcp.docs.approval must be true, false or a list of tool names, got "maybe"'],
    ['{ command: x, header: {} }', 8, 29, 'unknown key "header" in agents.a.tools.mcp.docs — did you mean "headers"?'],
  ])('%s is refused at file:line:col', (server, line, col, problem) => {
    const file = writeConfig(withServer(server));
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, line, col);
    expect(err.problem).toBe(problem);
  });

  it('tools.approval lists built-in tools that ask a person ([] turns it off); task.approvalTimeout bounds the wait', () => {
    const file = writeConfig([
      'version: 1',
      'defaults:',
      '  task: { approvalTimeout: 2m }',
      'agents:',
      '  a: { port: 9001, prompt: p.md, tools: { shell: true, approval: [] } }',
      '  b: { port: 9002, prompt: p.md, tools: { approval: [write_file, run_shell] } }',
      '  c: { port: 9003, prompt: p.md }',
    ]);
    const [a, b, c] = loadConfig(file).agents;
    expect(a!.tools.approval).toEqual([]);
    expect(b!.tools.approval).toEqual(['write_file', 'run_shell']);
    expect(c!.tools.approval).toEqual(['run_shell']);
    expect(a!.task.approvalTimeoutMs).toBe(120_000);
    expect(loadConfig(writeConfig(['version: 1', 'agents:', '  a: { port: 9001, prompt: p.md }'])).agents[0]!.task.approvalTimeoutMs).toBe(600_000);
  });

  it.each([
    ['    tools: { approval: [rm_rf] }', 6, 25],
    ['    task: { approvalTimeout: 30 }', 6, 30],
  ])('%s is refused at file:line:col with the fix', (line, row, col) => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: p.md', line]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, row, col);
    if (line.includes('rm_rf')) {
      expect(err.problem).toBe('agents.a.tools.approval[0] must be one of the built-in tools list_files, read_file, write_file, run_shell, got "rm_rf"');
      expect(err.hint).toContain('tools: { approval: [run_shell, write_file] }');
    } else {
      expect(err.problem).toContain('agents.a.task.approvalTimeout');
      expect(err.hint).toContain('30s');
    }
  });

  it('refuses a server name that cannot prefix a tool name', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: p.md', '    tools:', '      mcp:', '        my.docs: { command: x }']);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 8, 9);
    expect(err.problem).toBe('bad key "my.docs" in agents.a.tools.mcp');
    expect(err.hint).toContain('a name is a letter, then letters, digits, _ or - (at most 30)');
  });
});

describe('provider and model lists', () => {
  it('resolves an ordered list of providers, each with its own model or each of model:', () => {
    const file = writeConfig([
      'version: 1',
      'defaults:',
      '  model: [gpt-4o-mini, gpt-4o]',
      '  provider:',
      '    - { apiKeyEnv: OPENAI_API_KEY }',
      '    - { baseURL: "http://localhost:11434/v1", model: llama3.1 }',
      'agents:',
      '  a: { port: 9001, prompt: p.md }',
      '  b: { port: 9002, prompt: p.md, provider: { baseURL: "http://localhost:8000/v1" } }',
      '  c: { port: 9003, prompt: p.md, model: qwen }',
    ]);
    const [a, b, c] = loadConfig(file).agents;
    expect(a!.routes).toEqual([
      { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini' },
      { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o' },
      { baseURL: 'http://localhost:11434/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'llama3.1' },
    ]);
    expect(a!.model).toBe('gpt-4o-mini');
    expect(a!.provider).toEqual({ baseURL: null, apiKeyEnv: 'OPENAI_API_KEY' });
    // A mapping over an inherited list replaces it.
    expect(b!.routes).toEqual([
      { baseURL: 'http://localhost:8000/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini' },
      { baseURL: 'http://localhost:8000/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o' },
    ]);
    expect(c!.routes!.map((route) => route.model)).toEqual(['qwen', 'llama3.1']);
  });

  it('one provider and one model stay one route, a mapping merging per key as before', () => {
    const file = writeConfig([
      'version: 1',
      'defaults: { provider: { apiKeyEnv: MY_KEY } }',
      'agents:',
      '  a: { port: 9001, prompt: p.md, provider: { baseURL: "http://localhost:11434/v1" } }',
    ]);
    const [a] = loadConfig(file).agents;
    expect(a!.routes).toEqual([{ baseURL: 'http://localhost:11434/v1', apiKeyEnv: 'MY_KEY', model: 'gpt-4o-mini' }]);
  });

  it('a provider entry may set its own timeout', () => {
    const file = writeConfig(['version: 1', 'agents:', '  a: { port: 9001, prompt: p.md, provider: [{ baseURL: "http://localhost:11434/v1", timeout: 2m }, {}] }']);
    const [a] = loadConfig(file).agents;
    expect(a!.routes).toEqual([
      { baseURL: 'http://localhost:11434/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini', timeoutMs: 120_000 },
      { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-4o-mini' },
    ]);
    const bad = writeConfig(['version: 1', 'agents:', '  a: { port: 9001, prompt: p.md, provider: [{ timeout: 30 }] }']);
    const err = errorOf(() => loadConfig(bad));
    expect(err.message).toContain('provider[0].timeout');
  });

  it('a misspelt key in a list entry is reported at its line and column, with the allowed keys', () => {
    const file = writeConfig([
      'version: 1',
      'agents:',
      '  a:',
      '    port: 9001',
      '    prompt: p.md',
      '    provider:',
      '      - { baseURL: "http://localhost:11434/v1" }',
      '      - { baseUrl: "http://localhost:8000/v1" }',
    ]);
    const err = errorOf(() => loadConfig(file));
    expectAt(err, file, 8, 11);
    expect(err.message).toContain('baseUrl');
    expect(err.message).toContain('baseURL');
  });

  it('an empty list, or an empty model name in a list, is an error at its place', () => {
    const empty = writeConfig(['version: 1', 'agents:', '  a: { port: 9001, prompt: p.md, provider: [] }']);
    expectAt(errorOf(() => loadConfig(empty)), empty, 3, 44);
    const blank = writeConfig(['version: 1', 'agents:', '  a:', '    port: 9001', '    prompt: p.md', '    model: [gpt-4o, ""]']);
    const err = errorOf(() => loadConfig(blank));
    expectAt(err, blank, 6, 21);
    expect(err.message).toContain('model');
  });
});

describe('findConfigPath', () => {
  it('finds agents.yaml in a parent directory, and agents.yml', () => {
    const file = writeConfig(['version: 1']);
    const deep = path.join(path.dirname(file), 'a', 'b');
    fs.mkdirSync(deep, { recursive: true });
    expect(findConfigPath({ cwd: deep, env: {} })).toBe(file);

    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'agents.yml'), 'version: 1\n');
    expect(findConfigPath({ cwd: dir, env: {} })).toBe(path.join(dir, 'agents.yml'));
  });

  it('prefers -c, then $LIGHTNING_CONFIG; a directory means the agents.yaml in it', () => {
    const file = writeConfig(['version: 1']);
    const other = tmpDir();
    expect(findConfigPath({ cwd: other, explicit: file, env: {} })).toBe(file);
    expect(findConfigPath({ cwd: other, explicit: path.dirname(file), env: {} })).toBe(file);
    expect(findConfigPath({ cwd: other, env: { LIGHTNING_CONFIG: file } })).toBe(file);
  });

  it('explicit path missing: names the absolute path it tried', () => {
    const dir = tmpDir();
    const err = errorOf(() => findConfigPath({ cwd: dir, explicit: 'conf/agents.yaml', env: {} }));
    const tried = path.join(dir, 'conf/agents.yaml');
    expect(err.file).toBe(tried);
    expect(err.problem).toContain(`config file not found: ${tried}`);
    expect(err.line).toBeNull();
  });

  it('not found anywhere: lists where it looked and how to fix it', () => {
    const dir = tmpDir();
    const cwd = path.join(dir, 'x');
    fs.mkdirSync(cwd);
    const above = [cwd, dir, path.dirname(dir)];
    // Only meaningful when no ancestor of the temp dir happens to hold an agents.yaml.
    let ancestor = path.dirname(dir);
    for (;;) {
      if (['agents.yaml', 'agents.yml'].some((n) => fs.existsSync(path.join(ancestor, n)))) return;
      if (path.dirname(ancestor) === ancestor) break;
      ancestor = path.dirname(ancestor);
    }
    const err = errorOf(() => findConfigPath({ cwd, env: {} }));
    expect([err.line, err.col]).toEqual([null, null]);
    for (const d of above) expect(err.problem).toContain(d);
    expect(err.message).toContain(
      '\n  fix: run lightning from the directory holding agents.yaml, or pass -c path/to/agents.yaml',
    );
  });
});

describe('valid config', () => {
  const file = writeConfig(
    [
      'version: 1',
      'supervisor: { port: 9100, host: 0.0.0.0 }',
      'logs: { maxSize: 512KB, files: 3 }',
      'routing: { learn: true }',
      'defaults:',
      '  model: llama3',
      '  health: { interval: 2s }',
      '  restart: { maxRestarts: 4 }',
      'agents:',
      '  writer:',
      '    port: 9101',
      '    instances: 2',
      '    description: Writes things',
      '    capabilities: [writing, email]',
      '    prompt: prompts/writer.md',
      '    health: { timeout: 250ms }',
      '    tools: { shell: true }',
      '  custom:',
      '    port: 0',
      '    instances: 2',
      `    command: python3 "my agent.py" --name 'a b' --port \${PORT} --x a\\ b`,
      '    env: { LOG_LEVEL: info, VERSION: 1.10, DEBUG: true, WORKERS: 4 }',
      '    cwd: work',
      '    task: { retries: 0 }',
    ],
    { 'prompts/writer.md': 'You write.\n', 'work/.keep': '' },
  );
  const dir = path.dirname(file);
  const config = loadConfig(file);

  it('resolves top-level settings', () => {
    expect(config.path).toBe(file);
    expect(config.dir).toBe(dir);
    expect(config.version).toBe(1);
    expect(config.supervisor).toEqual({ port: 9100, host: '0.0.0.0' });
    expect(config.logs).toEqual({ maxBytes: 512 * 1024, files: 3 });
    expect(config.agents.map((a) => a.name)).toEqual(['writer', 'custom']);
  });

  it('merges built-in defaults ← defaults: ← agent, per key', () => {
    const writer = resolveAgent(config, 'writer');
    // The agent overrides health.timeout only; interval comes from `defaults:`, the rest built in.
    expect(writer.health).toEqual({ ...DEFAULT_HEALTH, intervalMs: 2000, timeoutMs: 250 });
    expect(writer.restart).toEqual({ ...DEFAULT_RESTART, maxRestarts: 4 });
    expect(writer.task).toEqual(DEFAULT_TASK);
    expect(writer.tools).toEqual({ shell: true, approval: ['run_shell'], mcp: {} });
    expect(writer.model).toBe('llama3');
    expect(writer.provider).toEqual({ baseURL: null, apiKeyEnv: 'OPENAI_API_KEY' });
    expect(writer.capacity).toBe(8);
    expect(writer.prompt).toBe(path.join(dir, 'prompts/writer.md'));
    expect(writer.command).toBeNull();
    expect(writer.cwd).toBe(dir);
    expect(writer.env).toEqual({});
    expect(writer.capabilities).toEqual(['writing', 'email']);

    const custom = resolveAgent(config, 'custom');
    expect(custom.health).toEqual({ ...DEFAULT_HEALTH, intervalMs: 2000 });
    expect(custom.task).toEqual({ ...DEFAULT_TASK, retries: 0 });
    expect(custom.tools).toEqual({ shell: false, approval: ['run_shell'], mcp: {} });
    expect(custom.description).toBe('');
    expect(custom.prompt).toBeNull();
  });

  it('splits a command string shell-like and keeps ${PORT} for the spawner', () => {
    expect(resolveAgent(config, 'custom').command).toEqual([
      'python3',
      'my agent.py',
      '--name',
      'a b',
      '--port',
      '${PORT}',
      '--x',
      'a b',
    ]);
    expect(splitCommand(`a "b \\"c\\" \\$d" '' e\\`)).toEqual({ error: 'trailing backslash escapes nothing' });
    expect(splitCommand(`a "b \\"c\\" \\$d" '' 'e\\f'`)).toEqual({ argv: ['a', 'b "c" $d', '', 'e\\f'] });
    expect(splitCommand(`a 'b`)).toHaveProperty('error');
  });

  it('stringifies env values as written and resolves cwd against the config dir', () => {
    const custom = resolveAgent(config, 'custom');
    expect(custom.env).toEqual({ LOG_LEVEL: 'info', VERSION: '1.10', DEBUG: 'true', WORKERS: '4' });
    expect(custom.cwd).toBe(path.join(dir, 'work'));
  });

  it('plans one instance per index, with port + index (or 0)', () => {
    expect(planInstances(config).map((s) => [s.agent.name, s.index, s.port])).toEqual([
      ['writer', 0, 9101],
      ['writer', 1, 9102],
      ['custom', 0, 0],
      ['custom', 1, 0],
    ]);
  });

  it('resolveAgent rejects unknown names with a suggestion', () => {
    const err = errorOf(() => resolveAgent(config, 'writr'));
    expect(err.problem).toBe('no agent named "writr" — did you mean "writer"?');
    expect(err.hint).toBe('agents in this file: writer, custom');
  });

  it('loads the repository agents.yaml', () => {
    const repo = loadConfig(fileURLToPath(new URL('../../agents.yaml', import.meta.url)));
    expect(repo.agents.length).toBeGreaterThan(0);
    expect(planInstances(repo).every((s) => s.port > 9000)).toBe(true);
  });
});

describe('suggest', () => {
  it('finds near misses, ignoring case and separators, and nothing for unrelated words', () => {
    expect(suggest('intrval', ['path', 'interval', 'timeout'])).toBe('interval');
    expect(suggest('failure_threshold', ['failureThreshold', 'timeout'])).toBe('failureThreshold');
    expect(suggest('baseUrl', ['baseURL', 'apiKeyEnv'])).toBe('baseURL');
    expect(suggest('colour', ['port', 'instances', 'prompt'])).toBeNull();
  });
});
