import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { BIN, ROOT, teardown, upSingleAgent, userEnv, waitFor } from '../helpers/fleet.js';

const DOC = path.join(ROOT, 'docs/api.md');
const EXPECT_LINE = /^# prints: (.*)$/;

interface Example {
  /** 1-based line of the opening fence, for failure messages. */
  line: number;
  script: string;
  expected: string[];
}

/** Every ```sh block that runs curl, in document order; the one that stops the supervisor last. */
function curlExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const fence = /^```sh\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const script = match[1]!;
    if (!/\bcurl\b/.test(script)) continue;
    const line = markdown.slice(0, match.index).split('\n').length;
    const expected = script.split('\n').flatMap((text) => {
      const found = EXPECT_LINE.exec(text.trim());
      return found ? [found[1]!] : [];
    });
    examples.push({ line, script, expected });
  }
  const stops = (example: Example) => (example.script.includes('/v1/shutdown') ? 1 : 0);
  return examples.sort((a, b) => stops(a) - stops(b));
}

/** `GET /v1/agents`-style routes the control API matches literally, read from its source. */
function literalRoutes(): string[] {
  const server = readFileSync(path.join(ROOT, 'src/api/server.ts'), 'utf8');
  const tasks = readFileSync(path.join(ROOT, 'src/api/task-routes.ts'), 'utf8');
  const routes = [...server.matchAll(/(?:case|route ===) '([A-Z]+ \/[^']*)'/g)].map((m) => m[1]!);
  for (const m of tasks.matchAll(/path === '(\/[^']+)' && method === '([A-Z]+)'/g)) routes.push(`${m[2]} ${m[1]}`);
  return [...new Set(routes)];
}

const markdown = readFileSync(DOC, 'utf8');
const examples = curlExamples(markdown);

/**
 * Runs every curl example of docs/api.md with bash against a live supervisor (one
 * general_assistant on the OpenAI-compatible test server) and a worker started by hand with a
 * token, as the doc describes: each must exit 0 and print what its `# prints:` lines say.
 */
describe('docs/api.md curl examples', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let worker: ResultPromise;
  let env: Record<string, string>;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const fleet = await upSingleAgent(model.url);
    dir = fleet.dir;
    const port = await findFreePort();
    const workerToken = 'docs-worker-token-0123456789';
    worker = execa(process.execPath, [BIN, 'worker', '--agent', 'general_assistant', '--port', String(port)], {
      cwd: dir,
      env: userEnv({ LIGHTNING_TOKEN: workerToken, OPENAI_BASE_URL: model.url }),
      extendEnv: false,
      reject: false,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the hand-started worker', async () => (await fetch(`${base}/health`).catch(() => null))?.ok, 10_000);
    env = userEnv({ API: fleet.api, TOKEN: fleet.token, WORKER: base, WORKER_TOKEN: workerToken });
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await worker;
    await teardown(dir);
    await model.close();
  });

  it('finds the examples, each saying what it prints, and documents every literal route of the control API', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.filter((example) => example.expected.length === 0).map((example) => `line ${example.line}`)).toEqual([]);
    const undocumented = literalRoutes().filter((route) => !markdown.includes(`\`${route}`) && !markdown.includes(`${route}\``));
    expect(undocumented).toEqual([]);
  });

  it.each(examples.map((example) => [example.line, example] as const))('the example at docs/api.md:%i runs and prints what the doc says', async (_line, example) => {
    const result = await execa('bash', ['-e', '-c', example.script], { cwd: dir, env, extendEnv: false, reject: false, timeout: 20_000 });
    const shown = `exit ${result.exitCode}\n--- stdout\n${String(result.stdout)}\n--- stderr\n${String(result.stderr)}`;
    expect({ exitCode: result.exitCode, shown }).toEqual({ exitCode: 0, shown });
    for (const text of example.expected) expect(String(result.stdout)).toContain(text);
  });
});
