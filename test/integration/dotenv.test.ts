import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, generalistYaml, makeProject, teardown, waitFor } from '../helpers/fleet.js';

/** A key long enough to be redacted, and distinctive enough to grep for. */
const KEY = 'sk-dotenv-test-key-4242424242';
/** Neither the shell's key nor its endpoint reaches the fleet unless a test says so. */
const NO_MODEL_ENV = { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    out += statSync(file).isDirectory() ? allText(file) : readFileSync(file, 'utf8');
  }
  return out;
}

/**
 * The model settings reach the fleet the way compose users expect: `.env` beside agents.yaml, read
 * at up, at reload and at every restart; never printed, logged or kept in the ledger.
 */
describe('.env beside agents.yaml', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer({ behavior: { type: 'echo' }, apiKey: KEY });
    dir = makeProject(generalistYaml());
    expect((await cli(dir, ['up', '-d'], { env: NO_MODEL_ENV })).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    await model?.close();
  });

  it('without one, a task fails as a configuration failure that does not count against the agent, and says how to hand the shell\'s settings to the fleet', async () => {
    // The shell has the settings, the fleet (started without them) does not: the Quickstart trap.
    const run = await cli(dir, ['run', 'Write a haiku about spring'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: model.url } });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('no model endpoint configured for general_assistant');
    expect(run.stderr).toContain('your shell has OPENAI_API_KEY and OPENAI_BASE_URL set, but the fleet does not see them');
    expect(run.stderr).toContain(`put them in ${path.join(dir, '.env')}`);
    expect(run.stderr).toContain('`lightning reload`');
    // The hint never repeats the key.
    expect(run.stderr + run.stdout).not.toContain(KEY);

    const { tasks } = JSON.parse((await cli(dir, ['tasks', '--json'], { env: NO_MODEL_ENV })).stdout) as { tasks: Array<{ status: string; failure?: string }> };
    expect(tasks[0]).toMatchObject({ status: 'failed', failure: 'config' });
    const { rows } = JSON.parse((await cli(dir, ['stats', '--json'], { env: NO_MODEL_ENV })).stdout) as { rows: unknown[] };
    expect(rows).toEqual([]);
    const status = JSON.parse((await cli(dir, ['status', '--json'], { env: NO_MODEL_ENV })).stdout) as { agents: Array<{ tasks: { failed: number } }> };
    expect(status.agents[0]?.tasks.failed).toBe(0);

    const doctor = await cli(dir, ['doctor'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: model.url } });
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toContain('the running fleet has no model endpoint for general_assistant');
    expect(doctor.stdout).toContain(`in ${path.join(dir, '.env')}, then \`lightning reload\``);
  }, 60_000);

  it('written and reloaded, it restarts the agents it concerns; tasks complete; the key is nowhere in the logs, the ledger or any answer', async () => {
    writeFileSync(path.join(dir, '.env'), `# the model\nOPENAI_BASE_URL=${model.url}\nOPENAI_API_KEY="${KEY}"\n`);
    const reload = await cli(dir, ['reload'], { env: NO_MODEL_ENV });
    expect(reload.exitCode).toBe(0);
    // The supervisor watches .env too: its own reload may come first; `reload` then says what it did.
    expect(reload.stdout).toContain('restarted general_assistant (.env changed)');

    const doctor = await cli(dir, ['doctor'], { env: NO_MODEL_ENV });
    expect(doctor.stdout).toMatch(/the running fleet's general_assistant: endpoint http:\/\/127\.0\.0\.1:\d+\/v1 \(from OPENAI_BASE_URL \(\.env\)\), key OPENAI_API_KEY set \(from \.env\)/);
    expect(doctor.stdout).not.toContain(KEY);

    // The key in the task's own text: the ledger, the answer and the logs must still not hold it.
    const run = await cli(dir, ['run', `Translate this note: the key is ${KEY}`, '--json'], { env: NO_MODEL_ENV });
    expect(run.exitCode).toBe(0);
    expect(model.requests.at(-1)?.authorization).toBe(`Bearer ${KEY}`);
    expect(run.stdout).toContain('[redacted]');
    expect(run.stdout).not.toContain(KEY);
    const status = await cli(dir, ['status', '--json'], { env: NO_MODEL_ENV });
    expect(status.stdout).not.toContain(KEY);
    expect(allText(path.join(dir, '.lightning'))).not.toContain(KEY);
  }, 60_000);

  it('is read again at every restart: a killed worker comes back with the current .env', async () => {
    writeFileSync(path.join(dir, '.env'), `OPENAI_BASE_URL=${model.url}\nOPENAI_API_KEY=${KEY}\nLIGHTNING_TEST_MARK=after-restart\n`);
    const before = JSON.parse((await cli(dir, ['status', '--json'], { env: NO_MODEL_ENV })).stdout) as { agents: Array<{ pid: number }> };
    const pid = before.agents[0]!.pid;
    process.kill(pid, 'SIGKILL');
    // The watcher may see the edit too and restart the worker once more (it reads .env as well):
    // whichever process ends up serving, it must carry the current .env.
    const environOf = (workerPid: number): string[] | null => {
      try {
        return readFileSync(`/proc/${workerPid}/environ`, 'utf8').split('\0');
      } catch {
        return null; // replaced meanwhile
      }
    };
    const after = await waitFor(
      'the worker back with a new pid, carrying the current .env',
      async () => {
        const doc = JSON.parse((await cli(dir, ['status', '--json'], { env: NO_MODEL_ENV })).stdout) as { agents: Array<{ pid: number; state: string }> };
        const agent = doc.agents[0]!;
        if (agent.state !== 'healthy' || agent.pid === pid) return null;
        const environ = environOf(agent.pid);
        return environ ? { pid: agent.pid, environ } : null;
      },
      20_000,
      200,
    );
    expect(after.environ).toContain('LIGHTNING_TEST_MARK=after-restart');
  }, 60_000);
});
