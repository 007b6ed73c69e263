/**
 * The single executable (`npm run build:binary`), alone: copied into an empty directory with no
 * node_modules and no `node` on PATH, it scaffolds a project, brings up the six built-in agents
 * (spawning itself as daemon and workers), runs a task against the project's test model server
 * and stops everything. Run by `npm run test:binary`, not by `npm test` (see jest.config.js).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StatusDocument } from '../../src/protocol/status.js';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, alive, userEnv } from '../helpers/fleet.js';

const BUILT = path.join(ROOT, 'dist-binary', process.platform === 'win32' ? 'lightning.exe' : 'lightning');

if (!existsSync(BUILT)) {
  console.warn(`binary.test.ts: skipped — ${path.relative(ROOT, BUILT)} is not built; run \`npm run build:binary\` first`);
  describe('the lightning single executable', () => {
    it.skip(`is not built (${path.relative(ROOT, BUILT)} is missing): run \`npm run build:binary\` first`, () => undefined);
  });
} else {
  describe('the lightning single executable, alone in an empty directory', () => {
    let model: OpenAiTestServer;
    let dir: string;
    let binary: string;
    let project: string;
    let env: Record<string, string>;
    const run = async (args: string[], cwd = project) => {
      const result = await execa(binary, args, { cwd, env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    };

    beforeAll(async () => {
      model = await startOpenAiTestServer();
      dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-binary-'));
      binary = path.join(dir, path.basename(BUILT));
      copyFileSync(BUILT, binary);
      project = path.join(dir, 'fleet');
      // No node on PATH (an empty directory), a fresh cache for the embedded templates.
      mkdirSync(path.join(dir, 'empty-path'));
      env = userEnv({
        PATH: path.join(dir, 'empty-path'),
        XDG_CACHE_HOME: path.join(dir, 'cache'),
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test-key',
      });
    });
    afterAll(async () => {
      if (existsSync(path.join(project, '.lightning', 'supervisor.json'))) await run(['down']);
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('init writes the project from the embedded templates', async () => {
      const init = await run(['init', 'fleet'], dir);
      expect(init.exitCode).toBe(0);
      expect(readFileSync(path.join(project, 'agents.yaml'), 'utf8')).toBe(readFileSync(path.join(ROOT, 'templates/init-agents.yaml'), 'utf8'));
      expect(readFileSync(path.join(project, 'templates/prompts/qa_tester.md'), 'utf8')).toBe(readFileSync(path.join(ROOT, 'templates/prompts/qa_tester.md'), 'utf8'));
      expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      // Free ports: other fleets may run on this machine.
      writeFileSync(path.join(project, 'agents.yaml'), readFileSync(path.join(project, 'agents.yaml'), 'utf8').replace(/port: \d+/g, 'port: 0'));
    });

    it('up -d brings six agents up, each a copy of the binary itself', async () => {
      const up = await run(['up', '-d']);
      expect(up.stderr).toBe('');
      expect(up.exitCode).toBe(0);
      expect(up.stdout).toContain('6 instance(s) healthy');
      const status = await run(['status', '--json']);
      expect(status.exitCode).toBe(0);
      const document = JSON.parse(status.stdout) as StatusDocument;
      expect(document.agents.map((agent) => agent.state)).toEqual(Array(6).fill('healthy'));
      if (process.platform === 'linux') {
        for (const agent of document.agents) expect(readlinkSync(`/proc/${agent.pid}/exe`)).toBe(binary);
      }
    });

    it('runs a task against the model server', async () => {
      const input = 'Translate this paragraph into French';
      const result = await run(['run', '--json', input]);
      expect(result.exitCode).toBe(0);
      const task = JSON.parse(result.stdout) as TaskResult;
      expect(task).toMatchObject({ status: 'completed', agent: 'general_assistant', error: null });
      expect(task.output).toContain(input);
      expect(model.requests.length).toBeGreaterThan(0);
    });

    it('down stops the supervisor and every worker', async () => {
      const pids = (JSON.parse((await run(['status', '--json'])).stdout) as StatusDocument).agents.map((agent) => agent.pid!);
      const { pid: supervisor } = JSON.parse(readFileSync(path.join(project, '.lightning', 'supervisor.json'), 'utf8')) as { pid: number };
      const down = await run(['down']);
      expect(down.exitCode).toBe(0);
      expect(down.stdout).toContain('stopped 6 instance(s)');
      for (const pid of [supervisor, ...pids]) expect(alive(pid)).toBe(false);
    });
  });
}
