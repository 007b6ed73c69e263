// The router learning from outcomes, end to end: the six agents, a model endpoint under which the
// web developer fails most "tests for a React component" tasks (the QA tester does them fine),
// and every other kind of task succeeding for everyone. Prints, per block of 25 tasks of the bad
// kind, the share routed to the agent that succeeds — learned vs what static matching picks — and
// checks the other kinds keep their static routing, and that learning survives down/up.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { ROOT, lightning, supervisorInfo } from '../lib.js';
import { startSimModel } from './sim-model.js';

const BAD_KIND_TASKS = 250;
const OTHER_TASKS_EACH = 40;
const BLOCK = 25;
const GOOD_AGENT = 'qa_tester';

function* badKind() {
  const verbs = ['Write', 'Add', 'Create'];
  const kinds = ['unit tests', 'jest tests', 'snapshot tests'];
  const things = ['checkout', 'navbar', 'login form', 'pricing table', 'search box', 'modal dialog', 'cart badge', 'date picker'];
  for (let n = 0; ; n += 1) yield `${verbs[n % 3]} ${kinds[Math.floor(n / 3) % 3]} for the ${things[Math.floor(n / 9) % things.length]} React component`;
}

const others = {
  data_analyst: (n) => `Plot monthly revenue from sales_${n}.csv and describe the trend`,
  general_assistant: (n) => `Translate paragraph ${n} of this letter into ${['French', 'Spanish', 'German'][n % 3]}`,
  security_expert: (n) => `Review this JWT authentication middleware (${n}) for vulnerabilities`,
  devops_engineer: (n) => `Set up a CI pipeline that deploys service ${n} to staging on every merge`,
};

export async function run() {
  const model = await startSimModel({ badRole: 'Web Developer', badTask: /tests? for the .* component/i, failRate: 0.85 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-learning-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8').replace(/port: \d+/g, 'port: 0').replace('baseURL: null', `baseURL: "${model.url}"`);
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  lightning(dir, ['up', '-d']);
  const info = supervisorInfo(dir);
  const api = new Pool(info.api, { connections: 8 });
  const submit = async (input) => {
    const response = await api.request({ path: '/v1/tasks', method: 'POST', headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ input, wait: true }) });
    return response.body.json();
  };

  // Interleave: a bad-kind task, and every few tasks one of each other kind.
  const plan = [];
  const bad = badKind();
  let otherIndex = 0;
  for (let i = 0; i < BAD_KIND_TASKS; i += 1) {
    plan.push({ kind: 'bad', input: bad.next().value });
    if (i % 6 === 5 && otherIndex < OTHER_TASKS_EACH) {
      for (const [agent, make] of Object.entries(others)) plan.push({ kind: agent, input: make(otherIndex) });
      otherIndex += 1;
    }
  }
  const results = [];
  try {
    for (const step of plan) results.push({ ...step, task: await submit(step.input) });
  } finally {
    await api.close();
  }

  const badResults = results.filter((r) => r.kind === 'bad');
  console.log(`learning simulation: ${badResults.length} "tests for a React component" tasks (web_developer fails 85 %, ${GOOD_AGENT} succeeds), ${results.length - badResults.length} tasks of four other kinds`);
  console.log('  block   learned → qa_tester   static → qa_tester   completed');
  let reachedAt = null;
  const blocks = [];
  for (let start = 0; start < badResults.length; start += BLOCK) {
    const block = badResults.slice(start, start + BLOCK);
    const learned = block.filter((r) => r.task.routing?.candidates && firstAgent(r.task) === GOOD_AGENT).length / block.length;
    const statik = block.filter((r) => r.task.routing?.static === GOOD_AGENT).length / block.length;
    const completed = block.filter((r) => r.task.status === 'completed').length / block.length;
    if (reachedAt === null && learned >= 0.9) reachedAt = start + block.length;
    blocks.push({ learned, statik, completed });
    console.log(`  ${String(start + 1).padStart(3)}–${String(start + block.length).padEnd(3)}  ${pct(learned).padStart(10)}            ${pct(statik).padStart(10)}        ${pct(completed).padStart(6)}`);
  }
  console.log(`  ≥ 90 % routed to ${GOOD_AGENT} from task ${reachedAt ?? 'never'}  [target: within 200 tasks]`);
  for (const agent of Object.keys(others)) {
    const mine = results.filter((r) => r.kind === agent);
    const same = mine.filter((r) => firstAgent(r.task) === r.task.routing?.static).length;
    console.log(`  ${agent} kind: ${same}/${mine.length} routed as static matching does (${mine.filter((r) => firstAgent(r.task) === agent).length} to ${agent})  [target: no regression]`);
  }

  // Learning survives a restart: the policy is rebuilt from the ledger.
  lightning(dir, ['down']);
  lightning(dir, ['up', '-d']);
  const after = JSON.parse(lightning(dir, ['route', '--json', 'Write jest tests for the profile card React component']).stdout);
  console.log(`  after down/up, "Write jest tests for the profile card React component" → ${after.pick} (static: ${after.static})`);
  lightning(dir, ['down']);
  await model.close();
  rmSync(dir, { recursive: true, force: true });
  const percent = (values) => values.map((value) => Math.round(value * 100));
  return [
    {
      id: 'learning',
      title: 'The router learns (simulation)',
      method:
        `The six agents with a model endpoint under which web_developer fails 85 % of "tests for a React component" tasks and ${GOOD_AGENT} succeeds; ` +
        `${badResults.length} such tasks interleaved with ${results.length - badResults.length} of four other kinds, one at a time. Each figure has one value per block of ${BLOCK} tasks (one run). ` +
        `≥ 90 % routed to ${GOOD_AGENT} from task ${reachedAt ?? 'never'}; after down/up the learned pick is ${after.pick} (static: ${after.static}).`,
      rows: [
        { key: 'learned', label: `share routed to ${GOOD_AGENT}, learned, per block`, unit: '%', runs: percent(blocks.map((b) => b.learned)), series: true },
        { key: 'static', label: `share static matching would route to ${GOOD_AGENT}, per block`, unit: '%', runs: percent(blocks.map((b) => b.statik)), series: true },
        { key: 'completed', label: 'tasks completed, per block', unit: '%', runs: percent(blocks.map((b) => b.completed)), series: true },
      ],
      comparisons: [],
    },
  ];
}

function firstAgent(task) {
  return task.attempts[0]?.agent ?? task.agent;
}

function pct(value) {
  return `${Math.round(value * 100)} %`;
}
