import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { CapabilityMatcher, profileFromConfig } from '../../src/router/match.js';
import { TaskRouter } from '../../src/router/router.js';
import { clausesOf, proposeTeam } from '../../src/router/team-proposal.js';

/** Automatic teaming on the shipped agents.yaml: the rule of src/router/team-proposal.ts. */
const config = loadConfig(fileURLToPath(new URL('../../agents.yaml', import.meta.url)));
const profiles = config.agents.map(profileFromConfig);
const matcher = new CapabilityMatcher(profiles);
const fallbacks = new Set(profiles.filter((profile) => profile.fallback).map((profile) => profile.name));
const propose = (task: string) => proposeTeam(task, matcher.score(task), matcher, fallbacks);
const router = (enabled: boolean, planner: string | null = 'general_assistant') =>
  new TaskRouter(() => ({ version: 0, profiles }), true, { enabled: () => enabled, planner: () => planner });

const THREE_PARTS = 'Build a signup page, write Playwright tests for it, and a Dockerfile to deploy it';

/**
 * Every single-agent routing case of router-match.test.ts (`['task', 'agent']` rows), the
 * learning worlds' task kinds, and the shipped agents' own examples: tasks for one agent each.
 */
function singleAgentTasks(): string[] {
  const source = readFileSync(fileURLToPath(new URL('./router-match.test.ts', import.meta.url)), 'utf8');
  const rows = [...source.matchAll(/^\s*\[(['"])(.+?)\1, '([a-z_]+)'\],?$/gm)].map((match) => match[2]!.replace(/\\'/g, "'"));
  const worlds = [0, 1, 2, 3, 4, 5].flatMap((n) => [
    `Write unit tests for the ${['cart', 'checkout', 'search', 'pricing', 'invoice', 'profile'][n]} component`,
    `Write jest tests for the ${['navbar', 'modal', 'signup form', 'date picker'][n % 4]} React component`,
    `Plot monthly revenue from sales_${n}.csv and describe the trend`,
    `Translate paragraph ${n} of this letter into French`,
    `Set up a CI pipeline that deploys service ${n} to staging on every merge`,
  ]);
  return [...rows, ...worlds, ...config.agents.flatMap((agent) => agent.examples)];
}

describe('automatic teaming (team-proposal.ts)', () => {
  it('cuts a task into clauses at punctuation and joining words', () => {
    expect(clausesOf(THREE_PARTS)).toEqual(['Build a signup page', 'write Playwright tests for it', 'a Dockerfile to deploy it']);
    expect(clausesOf('Build a landing page. Then write Playwright tests for it.')).toEqual(['Build a landing page', 'write Playwright tests for it']);
    expect(clausesOf('Translate this paragraph into French')).toEqual(['Translate this paragraph into French']);
  });

  it('proposes a team for a web page, Playwright tests and a Dockerfile, naming each part and its specialist', () => {
    const proposal = propose(THREE_PARTS);
    expect(proposal.team).toBe(true);
    expect(proposal.groups.map((group) => [group.clause, group.agent])).toEqual([
      ['Build a signup page', 'web_developer'],
      ['write Playwright tests for it', 'qa_tester'],
      ['a Dockerfile to deploy it', 'devops_engineer'],
    ]);
    expect(proposal.reason).toMatch(/^the task spans 3 specialists and none covers it all: "Build a signup page" → web_developer \(/);
  });

  it('never proposes a team for a single-capability task (the routing cases, the learning worlds, the agents\' examples)', () => {
    const tasks = singleAgentTasks();
    expect(tasks.length).toBeGreaterThanOrEqual(100);
    const teamed = tasks.filter((task) => propose(task).team);
    expect(teamed).toEqual([]);
  });

  it('gives a task whose every clause is one specialist\'s, or whose specialist covers every part, to that agent', () => {
    expect(propose('Write a Dockerfile and a docker-compose file for a Node.js service')).toMatchObject({
      team: false, reason: "every clause that belongs clearly to one specialist is devops_engineer's",
    });
    expect(propose('Plot monthly revenue from sales.csv and describe the trend').team).toBe(false);
    expect(propose('Translate this paragraph into French').reason).toBe('no specialist matches the task');
  });

  it('the router carries the proposal, unless automatic teaming is off, no one can plan, or an agent is named', () => {
    const on = router(true).route(THREE_PARTS);
    expect(on.team?.team).toBe(true);
    // The single-agent pick is still there: `run --no-team` goes to it.
    expect(on.pick).not.toBe('');
    expect(router(false).route(THREE_PARTS).team).toEqual({ team: false, reason: 'automatic teaming is off (routing.autoTeam: false)', groups: [] });
    const nobody = router(true, null).route(THREE_PARTS).team!;
    expect(nobody.team).toBe(false);
    expect(nobody.reason).toContain('no agent can plan a team');
    expect(router(true).route(THREE_PARTS, 'qa_tester').team?.team).toBe(false);
    // Routing itself is unchanged by teaming: the same ranking with it on or off.
    expect(router(true).route(THREE_PARTS).candidates).toEqual(router(false).route(THREE_PARTS).candidates);
  });
});
