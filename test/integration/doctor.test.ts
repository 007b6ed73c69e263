import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { DoctorReport, Finding } from '../../src/doctor/finding.js';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, makeProject, teardown } from '../helpers/fleet.js';

const KEY = 'sk-doctor-test-key-0123456789';

/** `lightning doctor` against a real OpenAI-compatible server that checks the key. */
describe('lightning doctor', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let agentPort: number;
  let supervisorPort: number;
  const doctor = async (cwd: string, env: Record<string, string>) => {
    const result = await cli(cwd, ['doctor', '--json'], { env });
    return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as DoctorReport, stdout: result.stdout };
  };
  const goodEnv = () => ({ OPENAI_BASE_URL: model.url, OPENAI_API_KEY: KEY });
  const of = (report: DoctorReport, check: Finding['check']) => report.findings.filter((finding) => finding.check === check);

  beforeAll(async () => {
    model = await startOpenAiTestServer({ apiKey: KEY });
    agentPort = await findFreePort();
    supervisorPort = await findFreePort();
    dir = makeProject(`version: 1
supervisor: { port: ${supervisorPort} }
defaults: { model: test-model }
agents:
  general_assistant:
    port: ${agentPort}
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`);
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('all good: every finding ok, exit 0, and the text report says ready', async () => {
    const { exitCode, report } = await doctor(dir, goodEnv());
    expect(report.findings.filter((finding) => finding.status !== 'ok')).toEqual([]);
    expect(exitCode).toBe(0);
    expect(report).toMatchObject({ ok: true, problems: 0, warnings: 0, skipped: [] });
    expect(report.findings.map((finding) => finding.check)).toEqual(['node', 'config', 'state', 'supervisor', 'ports', 'prompts', 'model']);
    expect(of(report, 'model')[0]!.message).toContain(`${model.url} answers for general_assistant (key from OPENAI_API_KEY accepted`);
    const text = await cli(dir, ['doctor'], { env: goodEnv() });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('0 problems, 0 warnings: ready');
  });

  it('bad key: a problem naming the endpoint and the variable, exit 1, the key never printed', async () => {
    const wrong = 'sk-wrong-key-abcdef012345';
    const { exitCode, report, stdout } = await doctor(dir, { ...goodEnv(), OPENAI_API_KEY: wrong });
    expect(exitCode).toBe(1);
    const [finding] = of(report, 'model');
    expect(finding).toMatchObject({ status: 'problem', message: `API key rejected by ${model.url} (HTTP 401) — check OPENAI_API_KEY` });
    expect(finding!.fix).toContain('set OPENAI_API_KEY to a valid key');
    expect(stdout).not.toContain(wrong);
  });

  it('unreachable endpoint: names the URL and how to fix it; no endpoint at all: the configuration advice', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}/v1`;
    const { exitCode, report } = await doctor(dir, { OPENAI_BASE_URL: closed, OPENAI_API_KEY: KEY });
    expect(exitCode).toBe(1);
    expect(of(report, 'model')[0]).toMatchObject({
      status: 'problem',
      message: `cannot reach the model endpoint ${closed} (from OPENAI_BASE_URL): connection refused`,
      fix: `start the model server at ${closed} (e.g. \`ollama serve\`), or fix OPENAI_BASE_URL`,
    });
    const none = await doctor(dir, { OPENAI_BASE_URL: '', OPENAI_API_KEY: '' });
    expect(none.exitCode).toBe(1);
    expect(of(none.report, 'model')[0]!.message).toMatch(/^no model endpoint configured for general_assistant: set OPENAI_API_KEY .*Ollama http:\/\/localhost:11434\/v1/);
  });

  it('a provider list: each endpoint checked; a fallback that cannot be reached is a warning, not a problem', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}/v1`;
    const listDir = makeProject(`version: 1
supervisor: { port: ${await findFreePort()} }
defaults:
  model: test-model
  provider:
    - { baseURL: "${model.url}" }
    - { baseURL: "${closed}", model: local-model }
agents:
  general_assistant:
    port: ${await findFreePort()}
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`);
    const { exitCode, report } = await doctor(listDir, { OPENAI_API_KEY: KEY });
    expect(exitCode).toBe(0);
    expect(of(report, 'model')).toEqual([
      expect.objectContaining({ status: 'ok', message: expect.stringContaining(`${model.url} answers for general_assistant`) }),
      expect.objectContaining({ status: 'warn', message: `fallback provider: cannot reach the model endpoint ${closed} (from provider.baseURL in agents.yaml): connection refused` }),
    ]);
  });

  it('port taken: names the port and the pid holding it', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(agentPort, '127.0.0.1', resolve));
    try {
      const { exitCode, report } = await doctor(dir, goodEnv());
      expect(exitCode).toBe(1);
      expect(of(report, 'ports')).toEqual([
        {
          check: 'ports',
          status: 'problem',
          message: expect.stringContaining(`port ${agentPort} for general_assistant#0 is already in use by pid ${process.pid}`),
          fix: "stop that process or change the agent's port in agents.yaml",
        },
      ]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("ports held by this directory's own running supervisor are fine", async () => {
    const up = await cli(dir, ['up', '-d'], { env: goodEnv() });
    expect(up.exitCode).toBe(0);
    try {
      const { exitCode, report } = await doctor(dir, goodEnv());
      expect(of(report, 'ports')).toEqual([{ check: 'ports', status: 'ok', message: expect.stringMatching(/^2 ports held by the running fleet \(supervisor pid \d+\)$/), fix: null }]);
      expect(of(report, 'supervisor')[0]!.message).toMatch(/^supervisor pid \d+ is running, control API http:\/\/127\.0\.0\.1:\d+$/);
      expect(exitCode).toBe(0);
    } finally {
      expect((await cli(dir, ['down'])).exitCode).toBe(0);
    }
  });

  it("another program on one agent's port while the fleet runs: told apart by the pid holding it", async () => {
    const up = await cli(dir, ['up', '-d'], { env: goodEnv() });
    expect(up.exitCode).toBe(0);
    // The agent stopped by hand keeps its port in the fleet's plan; a program of someone else's takes it.
    expect((await cli(dir, ['stop', 'general_assistant'])).exitCode).toBe(0);
    // A separate process: its pid is neither the supervisor's nor an instance's (nor their child's).
    const squatter = execa(process.execPath, ['-e', `require('net').createServer().listen(${agentPort}, '127.0.0.1', () => console.log('ready'))`], { reject: false });
    await new Promise<void>((resolve) => squatter.stdout!.once('data', () => resolve()));
    try {
      const { exitCode, report } = await doctor(dir, goodEnv());
      expect(exitCode).toBe(1);
      expect(of(report, 'ports')).toEqual([
        {
          check: 'ports',
          status: 'problem',
          message: expect.stringMatching(new RegExp(`^port ${agentPort} for general_assistant#0 is held by pid \\d+ \\(.*node.*\\), which is not part of the running fleet \\(supervisor pid \\d+\\)$`)),
          fix: expect.stringContaining(`stop that process (kill ${squatter.pid})`),
        },
      ]);
    } finally {
      squatter.kill('SIGKILL');
      expect((await cli(dir, ['down'])).exitCode).toBe(0);
    }
  });

  it('stale supervisor.json: a warning with the fix; warnings alone exit 0', async () => {
    const finished = execa(process.execPath, ['-e', '0']);
    const deadPid = finished.pid!;
    await finished;
    mkdirSync(path.join(dir, '.lightning'), { recursive: true });
    const file = path.join(dir, '.lightning', 'supervisor.json');
    writeFileSync(file, JSON.stringify({ pid: deadPid, api: 'http://127.0.0.1:1', token: 'x', config: path.join(dir, 'agents.yaml'), home: path.join(dir, '.lightning'), startedAt: '2025-01-01T00:00:00.000Z' }));
    const { exitCode, report } = await doctor(dir, goodEnv());
    expect(of(report, 'supervisor')).toEqual([
      {
        check: 'supervisor',
        status: 'warn',
        message: `stale ${file}: supervisor pid ${deadPid} (started 2025-01-01T00:00:00.000Z) is not running — it did not stop cleanly`,
        fix: `run \`lightning down\` to stop anything it left behind; \`lightning up\` then replaces the file (or delete it: rm ${file})`,
      },
    ]);
    expect(report).toMatchObject({ ok: true, problems: 0, warnings: 1 });
    expect(exitCode).toBe(0);
  });

  it("broken config: the loader's file:line:col error and fix; checks that need the config are skipped", async () => {
    const broken = makeProject('version: 1\nagents:\n  helper:\n    prot: 9001\n    prompt: templates/prompts/general_assistant.md\n');
    const { exitCode, report } = await doctor(broken, goodEnv());
    expect(exitCode).toBe(1);
    expect(of(report, 'config')).toEqual([
      { check: 'config', status: 'problem', message: 'agents.yaml:4:5: unknown key "prot" in agents.helper — did you mean "port"?', fix: 'rename "prot" to "port"' },
    ]);
    expect(report.skipped).toEqual(expect.arrayContaining(['ports', 'model', 'prompts', 'commands']));
    expect(of(report, 'state')[0]!.status).toBe('ok');
  });
});
