import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, alive, cli, freePort, generalistYaml, makeProject, status, teardown, waitFor } from '../helpers/fleet.js';

/** The MCP project's reference server (from npm), run as its README says: `index.js stdio|streamableHttp`. */
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const HEADER_SECRET = 'mcp-header-secret-0123456789';

/** Pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return children;
}

describe('MCP tool servers in a real fleet (server-everything over stdio and Streamable HTTP)', () => {
  let model: OpenAiTestServer;
  let httpServer: ResultPromise;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    // server-everything's HTTP transport takes its port from PORT (it binds every interface; test only).
    const port = await freePort();
    httpServer = execa(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PORT: String(port) }, reject: false, stdin: 'ignore' });
    await waitFor('server-everything on HTTP', async () => (await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'DELETE' }).then((r) => r.status > 0, () => false)), 15_000, 100);
    dir = makeProject(generalistYaml({ defaults: `  provider: { baseURL: "${model.url}" }
  tools:
    mcp:
      everything:
        command: ["${process.execPath}", "${EVERYTHING}"]
        args: [stdio]
`, agent: `    tools:
      mcp:
        everything:
          command: ["${process.execPath}", "${EVERYTHING}"]
          args: [stdio]
        web:
          url: "http://127.0.0.1:${port}/mcp"
          headers: { X-Lightning-Test: "\${MCP_TEST_HEADER}" }
` }));
    const up = await cli(dir, ['up', '-d'], { env: { MCP_TEST_HEADER: HEADER_SECRET } });
    expect(up.exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    httpServer.kill('SIGKILL');
    await model.close();
  });

  const run = async (input: string): Promise<TaskResult> => {
    const result = await cli(dir, ['run', '--json', input]);
    expect(result.exitCode).toBe(0);
    return JSON.parse(result.stdout) as TaskResult;
  };

  it('calls a stdio server\'s tool by its namespaced name and answers with its result', async () => {
    const task = await run('call tool everything__echo with {"message": "over stdio"}');
    expect(task).toMatchObject({ status: 'completed', agent: 'general_assistant' });
    expect(task.output).toContain('everything__echo returned: Echo: over stdio');
  });

  it('calls a Streamable HTTP server\'s tool the same way', async () => {
    const task = await run('call tool web__get-sum with {"a": 20, "b": 22}');
    expect(task.status).toBe('completed');
    expect(task.output).toContain('web__get-sum returned: The sum of 20 and 22 is 42.');
  });

  it('never writes header values to the logs or the ledger', async () => {
    const logs = await cli(dir, ['logs', 'general_assistant', '-n', '500']);
    expect(logs.stdout + logs.stderr).not.toContain(HEADER_SECRET);
    expect(readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8')).not.toContain(HEADER_SECRET);
  });

  it('a stdio server dies with its worker (also a SIGKILLed one) and starts again in the next', async () => {
    expect((await run('call tool everything__echo with {"message": "start it"}')).status).toBe('completed');
    const worker = (await status(dir)).agents[0]!.pid!;
    const servers = childrenOf(worker);
    expect(servers.length).toBe(1);
    process.kill(worker, 'SIGKILL');
    await waitFor('the stdio server gone with its worker', async () => !alive(servers[0]!), 10_000);
    await waitFor('a new worker', async () => {
      const agent = (await status(dir)).agents[0]!;
      return agent.pid !== null && agent.pid !== worker && agent.state === 'healthy';
    }, 30_000, 100);
    const task = await run('call tool everything__echo with {"message": "again"}');
    expect(task.output).toContain('Echo: again');
    const next = (await status(dir)).agents[0]!.pid!;
    const nextServers = childrenOf(next);
    expect(nextServers.length).toBe(1);
    expect((await cli(dir, ['down'])).exitCode).toBe(0);
    expect(alive(next)).toBe(false);
    expect(alive(nextServers[0]!)).toBe(false);
  }, 60_000);
});

describe('lightning doctor and MCP servers', () => {
  it('lists each server\'s tools and says which does not start', async () => {
    const model = await startOpenAiTestServer();
    try {
      const dir = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  general_assistant:
    port: 0
    description: writing
    prompt: templates/prompts/general_assistant.md
    fallback: true
    tools:
      mcp:
        everything: { command: ["${process.execPath}", "${EVERYTHING}", stdio] }
        missing: { command: /nonexistent/bin/mcp-server }
        remote: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer \${MCP_DOCTOR_TOKEN_UNSET}" } }
`);
      const result = await cli(dir, ['doctor', '--json']);
      const report = JSON.parse(result.stdout) as { findings: Array<{ check: string; status: string; message: string; fix: string | null }> };
      const mcp = report.findings.filter((finding) => finding.check === 'mcp');
      expect(mcp).toHaveLength(3);
      expect(mcp[0]).toMatchObject({ status: 'ok' });
      expect(mcp[0]!.message).toMatch(/^general_assistant: MCP server everything \(stdio: .*\) offers \d+ tools: everything__echo, /);
      expect(mcp[1]).toMatchObject({ status: 'problem', message: 'general_assistant: MCP server missing (stdio: /nonexistent/bin/mcp-server) does not start: cannot start "/nonexistent/bin/mcp-server": not found (is it installed and on PATH?)' });
      expect(mcp[2]!.status).toBe('problem');
      expect(mcp[2]!.message).toContain('headers.Authorization of MCP server remote uses ${MCP_DOCTOR_TOKEN_UNSET}, which is not set');
      expect(result.exitCode).toBe(1);
      const text = await cli(dir, ['doctor']);
      expect(text.stdout).toMatch(/✖ mcp\s+general_assistant: MCP server missing/);
    } finally {
      await model.close();
    }
  });
});
