import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, cli, status, teardown, userEnv, waitFor } from '../helpers/fleet.js';
import { findFreePort } from '../../src/supervisor/port-check.js';
import type { CliResult } from '../helpers/fleet.js';
import { splitCommand } from '../../src/config/schema.js';

/**
 * Follows the README's "Your own agent" section command by command — init, a Python and a
 * TypeScript agent, up, status, a task to each, one routed by capability, down — with only these
 * test-side changes: every port becomes 0 before `up` (so runs never collide on fixed ports),
 * and `run` gets `--json` so the answers can be checked.
 */
function readmeSteps(): string[][] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n### Your own agent\n')[1];
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "### Your own agent"');
  return block
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const split = splitCommand(line);
      if ('error' in split) throw new Error(`README line ${line}: ${split.error}`);
      return split.argv;
    });
}

describe('from lightning init to routed tasks on scaffolded agents (README "Your own agent")', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'lightning-scaffold-'));
  let project = '';

  afterAll(async () => {
    if (project && existsSync(path.join(project, '.lightning'))) await teardown(project);
  });

  it('runs every README step, each doing what the README says', async () => {
    const steps = readmeSteps();
    expect(steps.map((argv) => argv.slice(0, 3).join(' '))).toEqual([
      'lightning init my-fleet',
      'cd my-fleet',
      'lightning new agent',
      'lightning new agent',
      'lightning up -d',
      'lightning status',
      'lightning run --agent',
      'lightning run --agent',
      expect.stringMatching(/^lightning run [^-]/),
      'lightning down',
    ]);
    let cwd = base;
    let seeded = '';
    let beforeUp = '';
    const runs: Array<{ argv: string[]; result: CliResult }> = [];
    for (const argv of steps) {
      if (argv[0] === 'cd') {
        cwd = path.resolve(cwd, argv[1]!);
        continue;
      }
      expect(argv[0]).toBe('lightning');
      let args = argv.slice(1);
      if (args[0] === 'up') {
        // Test-side: free ports instead of 9000–9008, like test/helpers/fleet.ts does.
        const file = path.join(cwd, 'agents.yaml');
        beforeUp = readFileSync(file, 'utf8');
        writeFileSync(file, beforeUp.replace(/port: \d+/g, 'port: 0'));
      }
      if (args[0] === 'run') args = [...args, '--json'];
      const result = await cli(cwd, args);
      if (result.exitCode !== 0) throw new Error(`lightning ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}${result.stdout}`);
      if (args[0] === 'init') {
        project = path.join(base, 'my-fleet');
        seeded = readFileSync(path.join(project, 'agents.yaml'), 'utf8');
        expect(result.stdout).toContain('lightning up -d');
        expect(result.stdout).toContain('OPENAI_BASE_URL');
      }
      if (args[0] === 'run') runs.push({ argv: args, result });
      if (args[0] === 'status') {
        const doc = await status(cwd);
        expect(doc.agents.map((agent) => [agent.name, agent.state])).toEqual(
          ['web_developer', 'data_analyst', 'security_expert', 'devops_engineer', 'qa_tester', 'general_assistant', 'invoice_parser', 'ticket_triager'].map((name) => [name, 'healthy']),
        );
      }
    }

    // init: the six agents with the schema line, the prompts and schema it references, .gitignore.
    expect(seeded.split('\n')[0]).toBe('# yaml-language-server: $schema=./agents.schema.json');
    for (const file of ['agents.schema.json', 'templates/prompts/web_developer.md', 'templates/prompts/general_assistant.md']) {
      expect(existsSync(path.join(project, file))).toBe(true);
    }
    expect(readFileSync(path.join(project, '.gitignore'), 'utf8')).toBe('.lightning/\n.env\n');

    // new agent: the file as init wrote it, byte for byte (comments, order, spacing), then the two
    // entries on the next free ports (the supervisor has 9000, the six 9001–9006).
    expect(beforeUp.startsWith(seeded)).toBe(true);
    expect(beforeUp.slice(seeded.length)).toBe(
      [
        '  invoice_parser:',
        '    port: 9007',
        '    description: Invoice Parser (invoice, receipt, vat)',
        '    capabilities: [invoice, receipt, vat]',
        '    command: [python3, agents/invoice_parser/agent.py]',
        '  ticket_triager:',
        '    port: 9008',
        '    description: Ticket Triager (ticket, triage, jira)',
        '    capabilities: [ticket, triage, jira]',
        '    command: [node, agents/ticket_triager/start.mjs]',
        '',
      ].join('\n'),
    );
    expect(existsSync(path.join(project, 'agents/invoice_parser/agent.py'))).toBe(true);
    expect(existsSync(path.join(project, 'agents/ticket_triager/build/agent.js'))).toBe(true);

    // The three tasks: each completed by the agent meant, with the scaffold's honest default answer.
    const results = runs.map(({ result }) => JSON.parse(result.stdout) as { agent: string; status: string; output: string });
    expect(results.map((task) => [task.agent, task.status])).toEqual([
      ['invoice_parser', 'completed'],
      ['ticket_triager', 'completed'],
      ['invoice_parser', 'completed'],
    ]);
    expect(results[0]!.output).toContain('invoice_parser received this task:\nTotal the VAT on invoice 1042');
    expect(results[0]!.output).toContain('logic is not written yet (edit handle() in agents/invoice_parser/agent.py)');
    expect(results[1]!.output).toContain('ticket_triager received this task:\nTriage ticket OPS-7');
    expect(results[1]!.output).toContain('edit handle() in agents/ticket_triager/agent.ts');

    // down left nothing running.
    expect((await cli(project, ['status', '--json'])).exitCode).toBe(3);
  }, 120_000);

  it('an edit to a TypeScript agent takes effect when it restarts', async () => {
    expect(project).not.toBe('');
    const source = path.join(project, 'agents/ticket_triager/agent.ts');
    writeFileSync(source, readFileSync(source, 'utf8').replace('received this task:', 'was edited and got:'));
    const up = await cli(project, ['up', '-d']);
    expect(up.exitCode).toBe(0);
    const run = await cli(project, ['run', '--agent', 'ticket_triager', 'after the edit', '--json']);
    expect(run.exitCode).toBe(0);
    expect((JSON.parse(run.stdout) as { output: string }).output).toContain('ticket_triager was edited and got:\nafter the edit');
    const logs = await cli(project, ['logs', 'ticket_triager', '-n', '20']);
    expect(logs.stdout).toContain('start.mjs: compiled agent.ts');
    expect((await cli(project, ['down'])).exitCode).toBe(0);
  }, 60_000);
});

describe('the scaffolded agents, run on their own, speak the worker protocol', () => {
  const TOKEN = 'scaffold-test-token-0123';
  const project = mkdtempSync(path.join(os.tmpdir(), 'lightning-scaffold-protocol-'));

  it.each([
    ['python', 'py_agent', ['python3', 'agents/py_agent/agent.py']],
    ['ts', 'ts_agent', [process.execPath, 'agents/ts_agent/start.mjs']],
  ] as const)('%s: health, card, errors, message/send, tasks/get, SendMessage', async (lang, name, command) => {
    if (!existsSync(path.join(project, 'agents.yaml'))) expect((await cli(project, ['init'])).exitCode).toBe(0);
    expect((await cli(project, ['new', 'agent', name, '--lang', lang, '--capabilities', 'alpha,beta-gamma'])).exitCode).toBe(0);
    const port = await findFreePort();
    const base = `http://127.0.0.1:${port}`;
    const agent = execa(command[0], command.slice(1), { cwd: project, env: userEnv({ PORT: String(port), LIGHTNING_TOKEN: TOKEN }), extendEnv: false, reject: false });
    try {
      await waitFor(`${name} health`, async () => (await fetch(`${base}/health`).catch(() => null))?.ok, 15_000);
      const health = (await (await fetch(`${base}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', agent: name, instance: 0, inflight: 0, capacity: 8 });
      expect(typeof health.uptimeMs).toBe('number');
      const card = (await (await fetch(`${base}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } })).json()) as { name: string; skills: Array<{ id: string; name: string }>; supportedInterfaces: Array<{ url: string }> };
      expect(card.name).toBe(name);
      expect(card.skills.map((skill) => [skill.id, skill.name])).toEqual([['alpha', 'Alpha'], ['beta-gamma', 'Beta Gamma']]);
      expect(card.supportedInterfaces[0]!.url).toBe(`${base}/a2a/jsonrpc`);
      const legacy = (await (await fetch(`${base}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '0.3' } })).json()) as { url: string; protocolVersion: string };
      expect(legacy).toMatchObject({ url: `${base}/a2a/jsonrpc`, protocolVersion: '0.3.0' });

      const rpc = async (body: unknown, headers: Record<string, string> = {}) => {
        const response = await fetch(`${base}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
        return { status: response.status, body: (await response.json()) as { result?: any; error?: { code: number; message: string } } };
      };
      expect((await rpc({}, { authorization: 'Bearer wrong' })).status).toBe(401);
      const garbage = await rpc('{not json');
      expect([garbage.status, garbage.body.error?.code]).toEqual([400, -32700]);
      expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'no/such' })).body.error?.code).toBe(-32601);
      expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'message/send', params: {} })).body.error?.code).toBe(-32602);

      const message = { kind: 'message', messageId: 'm1', role: 'user', parts: [{ kind: 'text', text: 'count the widgets' }] };
      const sent = await rpc({ jsonrpc: '2.0', id: 3, method: 'message/send', params: { message } });
      expect(sent.body.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
      expect(sent.body.result.artifacts[0].parts[0].text).toContain(`${name} received this task:\ncount the widgets`);
      const got = await rpc({ jsonrpc: '2.0', id: 4, method: 'tasks/get', params: { id: sent.body.result.id } });
      expect(got.body.result.id).toBe(sent.body.result.id);
      const v1 = await rpc({ jsonrpc: '2.0', id: 5, method: 'SendMessage', params: { message: { messageId: 'm2', role: 'ROLE_USER', parts: [{ text: 'v1 please' }] } } }, { 'A2A-Version': '1.0' });
      expect(v1.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    } finally {
      agent.kill('SIGTERM');
      await agent;
    }
  }, 60_000);
});

describe('init and new agent refuse what would lose or break something', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-scaffold-refuse-'));

  it('init refuses to overwrite without --force (naming the files, exit 2) and appends to an existing .gitignore', async () => {
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/');
    expect((await cli(dir, ['init'])).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.lightning/\n.env\n');
    writeFileSync(path.join(dir, 'agents.yaml'), '# mine\n');
    const again = await cli(dir, ['init']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('agents.yaml, agents.schema.json, templates/prompts/data_analyst.md');
    expect(again.stderr).toContain('--force');
    expect(readFileSync(path.join(dir, 'agents.yaml'), 'utf8')).toBe('# mine\n');
    const forced = await cli(dir, ['init', '--force']);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'agents.yaml'), 'utf8')).toContain('general_assistant:');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.lightning/\n.env\n');
  });

  it('new agent refuses a bad name, an existing agent or directory, a bad --lang, and an edit the loader rejects', async () => {
    const before = readFileSync(path.join(dir, 'agents.yaml'), 'utf8');
    const badName = await cli(dir, ['new', 'agent', '9lives']);
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toContain('bad agent name "9lives"');
    const existing = await cli(dir, ['new', 'agent', 'qa_tester']);
    expect(existing.exitCode).toBe(2);
    expect(existing.stderr).toContain('agent "qa_tester" already exists');
    mkdirSync(path.join(dir, 'agents/taken'), { recursive: true });
    const taken = await cli(dir, ['new', 'agent', 'taken']);
    expect(taken.exitCode).toBe(2);
    expect(taken.stderr).toContain('already exists');
    const lang = await cli(dir, ['new', 'agent', 'rusty', '--lang', 'rust']);
    expect(lang.exitCode).toBe(2);
    expect(lang.stderr).toContain('--lang python or --lang ts');
    // Port 9001 is web_developer's: the loader rejects the edited file, so nothing is written.
    const clash = await cli(dir, ['new', 'agent', 'clasher', '--port', '9001']);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/agents\.yaml:\d+:\d+ \(after the edit\):.*9001/);
    expect(existsSync(path.join(dir, 'agents/clasher'))).toBe(false);
    expect(readFileSync(path.join(dir, 'agents.yaml'), 'utf8')).toBe(before);
    // And a good one lands after the highest port in the file.
    const good = await cli(dir, ['new', 'agent', 'helper', '--port', '9100']);
    expect(good.exitCode).toBe(0);
    const next = await cli(dir, ['new', 'agent', 'helper2']);
    expect(next.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'agents.yaml'), 'utf8')).toContain('  helper2:\n    port: 9101\n');
  });

  it('new agent without an agents.yaml says how to make one', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'lightning-scaffold-empty-'));
    const result = await cli(empty, ['new', 'agent', 'x']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('lightning init');
  });
});
