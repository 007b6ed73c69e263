import { afterAll, describe, expect, it } from '@jest/globals';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';
import { cliInPty } from '../helpers/pty.js';

/**
 * Ctrl-C on `lightning run` as a user presses it: under a real pseudo-terminal the spinner runs, so
 * a spinner holding the terminal in raw mode (where \x03 is a byte, not SIGINT) fails this test.
 */
describe('lightning run on a terminal, Ctrl-C', () => {
  let model: OpenAiTestServer;
  let dir = '';
  afterAll(async () => {
    if (dir) await teardown(dir);
    await model?.close();
  });

  it('cancels the task, says so, and exits 130', async () => {
    // A model that takes a minute to answer: the task is surely running when Ctrl-C comes.
    model = await startOpenAiTestServer({ behavior: { type: 'slow', tokens: 600, intervalMs: 100 } });
    ({ dir } = await upSingleAgent(model.url));
    const pty = cliInPty(dir, ['run', 'Translate a long paragraph into French']);
    let code: number | null;
    try {
      await waitFor('the task reached the model', async () => model.requests.length > 0, 20_000);
      pty.ctrlC();
      code = await pty.exit(15_000);
    } finally {
      pty.child.kill('SIGKILL');
    }
    expect({ code, output: pty.output() }).toEqual({ code: 130, output: expect.stringContaining('cancelled (Ctrl-C)') });
    const id = /task ([0-9a-f]{8,})/.exec(pty.output())?.[1];
    expect(id).toBeDefined();
    const shown = await cli(dir, ['task', id!, '--json']);
    expect((JSON.parse(shown.stdout) as { status: string }).status).toBe('cancelled');
  }, 90_000);
});
