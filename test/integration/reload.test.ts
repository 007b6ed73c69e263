import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from '../../src/protocol/status.js';
import { apiStatus, cli, makeProject, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

const head = `version: 1\nsupervisor: { port: 0 }\nagents:\n`;
const pidsOf = (document: StatusDocument) => Object.fromEntries(document.agents.map((agent) => [`${agent.name}#${agent.instance}`, agent.pid]));

describe('live reload of agents.yaml', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = makeProject(head + [testAgentYaml('alpha'), testAgentYaml('beta'), testAgentYaml('gamma')].join('\n') + '\n');
    file = path.join(dir, 'agents.yaml');
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    await cli(dir, ['tasks']); // the watcher starts with the task side: wait for it
  });
  afterAll(() => teardown(dir));

  it('adds, removes and changes agents without touching the others', async () => {
    const before = pidsOf(await apiStatus(dir));
    // Remove gamma, change beta's capabilities, add delta; alpha stays as it was.
    writeFileSync(file, head + [testAgentYaml('alpha'), testAgentYaml('beta').replace('[testing]', '[testing, load-testing]'), testAgentYaml('delta')].join('\n') + '\n');
    const after = await waitFor('the edit applied', async () => {
      const document = await apiStatus(dir);
      const names = document.agents.map((agent) => agent.name);
      const ready = names.join() === 'alpha,beta,delta' && document.agents.every((agent) => agent.state === 'healthy') && document.agents.find((agent) => agent.name === 'beta')!.pid !== before['beta#0'];
      return ready ? document : null;
    }, 20_000);
    expect(pidsOf(after)['alpha#0']).toBe(before['alpha#0']);
    expect(after.agents.find((agent) => agent.name === 'beta')!.capabilities).toEqual(['testing', 'load-testing']);
    expect(pidsOf(after)['gamma#0']).toBeUndefined();
    const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8');
    expect(ledger).toMatch(/"event":"config".*"state":"applied","message":"agents.yaml reloaded: added delta; removed gamma; restarted beta"/);
  });

  it('a broken edit leaves the fleet running and says where the error is; lightning reload reports it too', async () => {
    const before = pidsOf(await apiStatus(dir));
    writeFileSync(file, head + testAgentYaml('alpha') + '\n    intrval: 5\n');
    const document = await waitFor('the error in status', async () => {
      const status = await apiStatus(dir);
      return status.configError ? status : null;
    }, 10_000);
    expect(document.configError).toMatch(/agents\.yaml:\d+:\d+: unknown key "intrval"/);
    expect(pidsOf(document)).toEqual(before);
    const reload = await cli(dir, ['reload']);
    expect(reload.exitCode).toBe(2);
    expect(reload.stderr).toContain('unknown key "intrval"');
    expect((await cli(dir, ['status'])).stdout).toContain('the last edit of agents.yaml was not applied');
    // Fixed: applied on demand, and the error clears.
    writeFileSync(file, head + [testAgentYaml('alpha'), testAgentYaml('beta').replace('[testing]', '[testing, load-testing]'), testAgentYaml('delta')].join('\n') + '\n');
    const ok = await cli(dir, ['reload']);
    expect(ok.exitCode).toBe(0);
    expect((await apiStatus(dir)).configError).toBeNull();
  });
});
