import { afterAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, cli, userEnv, waitFor } from '../helpers/fleet.js';

/**
 * `lightning logs` with no name (every agent merged by time, prefixed NAME/i), `--since`, `-f`,
 * and unique task-id prefixes for `task` and `feedback`, on a state directory written here — no
 * fleet needed: these commands read the files directly.
 */
const root = mkdtempSync(path.join(os.tmpdir(), 'lightning-logs-ids-'));
const home = path.join(root, '.lightning');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;
mkdirSync(path.join(home, 'logs'), { recursive: true });
writeFileSync(path.join(root, 'agents.yaml'), `version: 1\nagents:\n  web: { port: 9101, description: web pages, instances: 2 }\n  sql: { port: 9103, capabilities: [sql] }\n`);
writeFileSync(path.join(home, 'logs/web-0.log'), `${ago(2 * HOUR)} web0 old\n${ago(3000)} web0 new\n`);
writeFileSync(path.join(home, 'logs/web-1.log'), `${ago(HOUR)} web1 old\n${ago(2000)} web1 new\n`);
writeFileSync(path.join(home, 'logs/sql-0.log'), `${ago(90 * 60_000)} sql0 old\n${ago(1000)} sql0 new\n`);

const submitted = (id: string, ms: number) => JSON.stringify({ v: 1, ts: ago(ms), event: 'task.submitted', taskId: id, input: 'secret input', agent: null, timeoutMs: 120000 });
const completed = (id: string, ms: number) => JSON.stringify({ v: 1, ts: ago(ms), event: 'task.completed', taskId: id, agent: 'web', instance: 0, output: `answer of ${id}`, durationMs: 5 });
const IDS = ['3f2a0001-0000-4000-8000-000000000001', '3f2b0002-0000-4000-8000-000000000002', '9c1d0003-0000-4000-8000-000000000003'];
writeFileSync(path.join(home, 'ledger.jsonl'), IDS.flatMap((id, i) => [submitted(id, 10_000 - i), completed(id, 9_000 - i)]).join('\n') + '\n');

describe('logs of every agent', () => {
  it('merges every instance of every agent by time, each line prefixed NAME/i', async () => {
    const result = await cli(root, ['logs']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).map((line) => line.replace(/ \d{4}-\S+/, ''))).toEqual([
      'web/0 | web0 old', 'sql/0 | sql0 old', 'web/1 | web1 old', 'web/0 | web0 new', 'web/1 | web1 new', 'sql/0 | sql0 new',
    ]);
  });

  it('--since keeps only the recent lines, with or without a name', async () => {
    const all = await cli(root, ['logs', '--since', '10m']);
    expect(all.stdout).toMatch(/^web\/0 \| \S+ web0 new\nweb\/1 \| \S+ web1 new\nsql\/0 \| \S+ sql0 new$/);
    const one = await cli(root, ['logs', 'web', '--since', '75m']);
    expect(one.stdout).toMatch(/^web\/1 \| \S+ web1 old\nweb\/0 \| \S+ web0 new\nweb\/1 \| \S+ web1 new$/);
    const bare = await cli(root, ['logs', '--since', '10']);
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toContain('--since: duration "10" has no unit — did you mean 10s?');
  });

  it('-f follows every agent, prefixed', async () => {
    const child = execa(process.execPath, [BIN, 'logs', '-f', '-n', '0'], { cwd: root, env: userEnv(), extendEnv: false, reject: false });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      // Appended until seen: the follower may start after the first append.
      await waitFor('the followed lines', async () => {
        appendFileSync(path.join(home, 'logs/sql-0.log'), `${ago(0)} sql0 live\n`);
        appendFileSync(path.join(home, 'logs/web-1.log'), `${ago(0)} web1 live\n`);
        return out.includes('sql/0 | ') && out.includes('web1 live');
      }, 15_000, 300);
      expect(out).toMatch(/sql\/0 \| \S+ sql0 live/);
      expect(out).toMatch(/web\/1 \| \S+ web1 live/);
      expect(out).not.toContain(' old');
    } finally {
      child.kill('SIGINT');
      await child;
    }
  });
});

describe('task ids by a unique prefix', () => {
  it('task, and feedback, take a unique prefix; an ambiguous one lists the matches and exits 2', async () => {
    const task = await cli(root, ['task', '9c1d', '--json']);
    expect(task.exitCode).toBe(0);
    expect(JSON.parse(task.stdout)).toMatchObject({ id: IDS[2], status: 'completed' });

    const ambiguous = await cli(root, ['task', '3f2']);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain('task id prefix "3f2" is ambiguous: 2 tasks start with it');
    expect(ambiguous.stderr).toContain(IDS[0]);
    expect(ambiguous.stderr).toContain(IDS[1]);
    expect(ambiguous.stderr).toContain('fix: type more of the id');

    const feedback = await cli(root, ['feedback', '3f2b', 'good']);
    expect(feedback.exitCode).toBe(0);
    expect(feedback.stdout).toContain(`recorded: ${IDS[1]} was good`);

    const none = await cli(root, ['task', 'ffff']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no task with id ffff');
  });
});
