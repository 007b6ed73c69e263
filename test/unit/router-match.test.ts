import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { buildAgentCard, buildLegacyAgentCard } from '../../src/protocol/agent-card.js';
import type { CardSource } from '../../src/protocol/agent-card.js';
import {
  CapabilityMatcher,
  MIN_CONFIDENCE,
  mergeProfiles,
  profileFromCard,
  profileFromConfig,
} from '../../src/router/match.js';
import type { AgentProfile } from '../../src/router/match.js';
import { stem, termsOf, tokenize } from '../../src/router/text.js';

const config = loadConfig(fileURLToPath(new URL('../../agents.yaml', import.meta.url)));
const profiles = config.agents.map(profileFromConfig);
const matcher = new CapabilityMatcher(profiles);
const top = (task: string): string | undefined => matcher.score(task)[0]?.agent;

/** The six examples, then paraphrases worded the way different users write. */
const CASES: Array<[task: string, agent: string]> = [
  ['Plot monthly revenue from sales.csv and describe the trend', 'data_analyst'],
  ['Review this JWT authentication middleware for vulnerabilities', 'security_expert'],
  ['Set up a CI pipeline that deploys to staging on every merge', 'devops_engineer'],
  ['Write end-to-end tests for the checkout flow', 'qa_tester'],
  ['Build a responsive landing page in React', 'web_developer'],
  ['Translate this paragraph into French', 'general_assistant'],

  ['fix the flexbox layout on the pricing page', 'web_developer'],
  ['Add a dark mode toggle to our Next.js site', 'web_developer'],
  ['Create an Express endpoint that returns a list of users as JSON', 'web_developer'],
  ['center a div horizontally and vertically with css', 'web_developer'],
  ['build a todo app with vue', 'web_developer'],
  ['Convert this jQuery widget into a reusable React component', 'web_developer'],
  ['my web page looks broken on iPhone, the images overflow the screen', 'web_developer'],
  ['Implement a GraphQL resolver for the products query', 'web_developer'],
  ['Style the contact form with Tailwind and add client-side validation', 'web_developer'],
  ['make a portfolio website with a hero section and a navbar', 'web_developer'],

  ['chart the quarterly sales numbers in this spreadsheet', 'data_analyst'],
  ["What's the correlation between ad spend and signups in this dataset?", 'data_analyst'],
  ['Compute the median house price per city from prices.xlsx', 'data_analyst'],
  ['Analyse customer churn by cohort and show a histogram', 'data_analyst'],
  ['Which product line had the biggest revenue growth last year? The numbers are in orders.csv', 'data_analyst'],
  ['load the csv into pandas and group by region', 'data_analyst'],
  ['make a dashboard of our weekly KPIs', 'data_analyst'],
  ["forecast next month's demand from the historical orders", 'data_analyst'],
  ['Write a SQL query that returns the top 10 customers by lifetime spend', 'data_analyst'],
  ['Visualise the distribution of response times as a box plot', 'data_analyst'],

  ['can you check our login flow for security holes', 'security_expert'],
  ['Is this code vulnerable to SQL injection?', 'security_expert'],
  ['Audit the OAuth2 implementation for token leakage', 'security_expert'],
  ['we store passwords with md5, is that ok?', 'security_expert'],
  ['Find XSS issues in the comment rendering', 'security_expert'],
  ['review our CORS and CSRF protection', 'security_expert'],
  ['Pen-test the admin panel and report the findings by severity', 'security_expert'],
  ['Are our TLS settings and cipher suites secure?', 'security_expert'],
  ['how should I encrypt user data at rest', 'security_expert'],
  ['Check this JWT for weak signing algorithms', 'security_expert'],

  ['my k8s deployment keeps crashing, help me write a helm chart', 'devops_engineer'],
  ['Dockerize this Flask app', 'devops_engineer'],
  ['set up github actions to run the test suite on every PR', 'devops_engineer'],
  ['Our nginx keeps returning 502 after the latest release', 'devops_engineer'],
  ['Provision an EC2 instance and an S3 bucket with Terraform', 'devops_engineer'],
  ["Roll back yesterday's deploy, production is down", 'devops_engineer'],
  ['Write an Ansible playbook that installs Postgres on three servers', 'devops_engineer'],
  ['add Prometheus alerts for high CPU on the cluster', 'devops_engineer'],
  ['automate blue-green deployments to production', 'devops_engineer'],
  ['the Jenkins build fails with a permissions error on the agent', 'devops_engineer'],

  ['write cypress tests for signup', 'qa_tester'],
  ['Increase unit test coverage for the billing module', 'qa_tester'],
  ['come up with edge cases for a date picker', 'qa_tester'],
  ['this test passes locally but fails randomly in CI', 'qa_tester'],
  ['Write a regression test that reproduces issue #123', 'qa_tester'],
  ['Mock the payment API in our Jest tests', 'qa_tester'],
  ['Create a test plan for the new onboarding wizard', 'qa_tester'],
  ['Write pytest fixtures for the database layer', 'qa_tester'],
  ['smoke test the release candidate before we ship', 'qa_tester'],
  ['add e2e tests with Selenium for the admin dashboard', 'qa_tester'],

  ['summarize this article in three bullet points', 'general_assistant'],
  ['draft a polite email declining the meeting', 'general_assistant'],
  ["what's the capital of Australia", 'general_assistant'],
  ['write a haiku about autumn', 'general_assistant'],
  ['Proofread my cover letter', 'general_assistant'],
  ['Explain quantum entanglement in simple terms', 'general_assistant'],
  ['Give me ten ideas for a birthday party', 'general_assistant'],
  ['Rewrite this sentence to sound more formal', 'general_assistant'],
  ["translate 'good morning' to Japanese", 'general_assistant'],
  ["What's a good recipe for banana bread?", 'general_assistant'],
  ['help me plan a 3-day trip to Rome', 'general_assistant'],
  ['explain recursion to a five year old', 'general_assistant'],
  ['list 10 fun facts about octopuses', 'general_assistant'],
  ['draft a LinkedIn post announcing our product launch', 'general_assistant'],
  ['write a weekly meal plan for a vegetarian', 'general_assistant'],

  ["the submit button doesn't do anything when I click it", 'web_developer'],
  ['give me summary statistics for the survey results', 'data_analyst'],
  ['clean up the missing values in this dataframe', 'data_analyst'],
  ['is it safe to store the API key in localStorage?', 'security_expert'],
  ['scan our dependencies for known CVEs', 'security_expert'],
  ['why does my container exit immediately after starting', 'devops_engineer'],
  ['a bash script that backs up the database every night', 'devops_engineer'],
  ['how do I test a function that calls an external API', 'qa_tester'],
  ['this bug only happens sometimes, can you reproduce it', 'qa_tester'],
];

describe('CapabilityMatcher on the real agents.yaml', () => {
  it('has paraphrases for every agent', () => {
    for (const agent of config.agents) {
      expect(CASES.filter(([, a]) => a === agent.name).length).toBeGreaterThanOrEqual(9);
    }
    expect(CASES.length).toBeGreaterThanOrEqual(50);
  });

  it.each(CASES)('%s → %s', (task, agent) => {
    const ranked = matcher.score(task);
    expect({ task, top: ranked[0]?.agent }).toEqual({ task, top: agent });
    expect(ranked.map((r) => r.agent).sort()).toEqual(config.agents.map((a) => a.name).sort());
  });

  it('scores in 0..1, best first, with the matched words', () => {
    const [best, second] = matcher.score('Build a responsive landing page in React');
    expect(best?.score).toBeGreaterThanOrEqual(MIN_CONFIDENCE);
    expect(best?.score).toBeLessThanOrEqual(1);
    expect(best?.matched).toEqual(expect.arrayContaining(['responsive', 'landing page', 'react']));
    expect(second?.score ?? 0).toBeLessThan(best?.score ?? 0);
  });
});

describe('the generalist rule', () => {
  const profile = (name: string, tags: string[], fallback = false): AgentProfile => ({
    name,
    description: '',
    skills: tags.map((t) => ({ id: t, name: t, description: '', tags: [t], examples: [] })),
    fallback,
  });

  it('puts the fallback agent first only when no specialist is confident', () => {
    const m = new CapabilityMatcher([profile('gen', ['translate', 'email'], true), profile('ops', ['docker', 'deploy'])]);
    expect(m.score('deploy the docker image')[0]?.agent).toBe('ops');
    expect(m.score('translate this email')[0]?.agent).toBe('gen');
    expect(m.score('tell me a joke')[0]?.agent).toBe('gen');
    expect(m.score('tell me a joke')[0]?.score).toBe(0);
  });

  it('lets a specialist with a strong match outrank a fallback agent that scores higher', () => {
    const m = new CapabilityMatcher([profile('gen', ['translate', 'email', 'letter'], true), profile('ops', ['docker'])]);
    const ranked = m.score('translate the docker docs');
    expect(ranked.map((r) => r.agent)).toEqual(['ops', 'gen']);
    const weak = m.score('translate this email and letter about docker');
    expect(weak[0]?.agent).toBe('gen');
  });

  it('breaks ties by the order profiles were given', () => {
    const a = profile('a', ['deploy']);
    const b = profile('b', ['deploy']);
    expect(new CapabilityMatcher([a, b]).score('deploy it').map((r) => r.agent)).toEqual(['a', 'b']);
    expect(new CapabilityMatcher([b, a]).score('deploy it').map((r) => r.agent)).toEqual(['b', 'a']);
    expect(new CapabilityMatcher([a, b]).score('nothing known').map((r) => r.agent)).toEqual(['a', 'b']);
  });

  it('weighs a term shared by two agents less than a term unique to one (IDF)', () => {
    // Given last, "rare" alone must still win: one unique term outweighs one shared term.
    const m = new CapabilityMatcher([profile('b', ['shared']), profile('c', ['shared']), profile('a', ['rare'])]);
    const ranked = m.score('rare shared');
    expect(ranked.map((r) => r.agent)).toEqual(['a', 'b', 'c']);
    expect(ranked[0]?.score).toBeGreaterThan(ranked[1]?.score ?? 1);
    expect(ranked[1]?.score).toBe(ranked[2]?.score);
  });

  it('weighs a capability tag above a passing mention in a description', () => {
    const tagged = profile('tagged', ['kubernetes']);
    const mentioned: AgentProfile = { ...profile('mentioned', []), description: 'Sometimes touches kubernetes.' };
    expect(new CapabilityMatcher([mentioned, tagged]).score('kubernetes pods')[0]?.agent).toBe('tagged');
  });
});

describe('cards', () => {
  const source = (name: string): CardSource => {
    const agent = config.agents.find((a) => a.name === name);
    if (!agent) throw new Error(name);
    const { description, capabilities, examples } = agent;
    return { name, description, capabilities, examples, version: '0.1.0', baseUrl: 'http://127.0.0.1:1', requiresToken: false };
  };
  const sameRanking = (cardProfiles: Array<AgentProfile | null>): void => {
    const m = new CapabilityMatcher(cardProfiles.filter((p): p is AgentProfile => p !== null));
    for (const [task] of CASES) expect({ task, top: m.score(task)[0]?.agent }).toEqual({ task, top: top(task) });
  };
  const wire = (card: unknown): unknown => JSON.parse(JSON.stringify(card));

  it('cards from buildAgentCard (v1.0 and v0.3) rank every case as agents.yaml does', () => {
    for (const build of [buildAgentCard, buildLegacyAgentCard]) {
      sameRanking(config.agents.map((a) => profileFromCard(wire(build(source(a.name))), a.fallback)));
    }
  });

  it('a card merged with agents.yaml ranks as agents.yaml does, and keeps its extra skills', () => {
    sameRanking(config.agents.map((a) => mergeProfiles(profileFromConfig(a), profileFromCard(wire(buildAgentCard(source(a.name))), a.fallback))));
    const base = profileFromConfig(config.agents[0]!);
    const extra = { name: 'x', description: 'd', fallback: true, skills: [{ id: 'graphql', name: 'G', description: '', tags: ['gql'], examples: ['e'] }, { id: 'wasm', name: 'Wasm', description: '', tags: [], examples: [] }] };
    const merged = mergeProfiles(base, extra);
    expect(merged.name).toBe(base.name);
    expect(merged.fallback).toBe(base.fallback);
    expect(merged.skills.find((s) => s.id === 'graphql')?.tags).toEqual(['graphql', 'gql']);
    expect(merged.skills.at(-1)?.id).toBe('wasm');
  });

  it('tolerates junk: not a card → null, missing fields → empty', () => {
    expect(profileFromCard(null, false)).toBeNull();
    expect(profileFromCard({ description: 'no name' }, false)).toBeNull();
    expect(profileFromCard({ name: 'x', skills: [{ id: 7, tags: 'nope' }, 'junk'] }, true)).toEqual({
      name: 'x',
      description: '',
      skills: [{ id: '', name: '', description: '', tags: [], examples: [] }],
      fallback: true,
    });
  });
});

describe('text', () => {
  it.each([
    [['deploy', 'deploys', 'deploying', 'deployed', 'deployment', 'deployments']],
    [['test', 'tests', 'testing', 'tested', 'tester']],
    [['vulnerability', 'vulnerabilities', 'vulnerable']],
    [['analyze', 'analyse', 'analysis', 'analyst', 'analytics', 'analysing']],
    [['visualize', 'visualise', 'visualization', 'visualisations']],
    [['summarize', 'summarise', 'summary', 'summaries', 'summarization']],
    [['translate', 'translation', 'translating']],
    [['responsive', 'responsiveness']],
    [['page', 'pages'], ['stage', 'staging']],
    [['flaky', 'flakiness'], ['query', 'queries']],
    [['encrypt', 'encryption', 'encrypted']],
  ])('stems word families together: %j', (...families) => {
    for (const family of families) expect(new Set(family.map(stem)).size).toBe(1);
  });

  it('keeps apart words that only look alike', () => {
    expect(stem('format')).not.toBe(stem('form'));
    expect(stem('string')).toBe('string');
    expect(stem('login')).not.toBe(stem('logging'));
    expect(stem('test')).not.toBe(stem('testament'));
  });

  it('tokenizes: lowercase, stopwords out, compounds whole and split, aliases applied', () => {
    expect(tokenize('Please write END-TO-END tests for the checkout page')).toEqual(['end-to-end', 'end', 'end', 'tests', 'checkout', 'page']);
    expect(tokenize('CI/CD for k8s')).toEqual(['ci-cd', 'ci', 'cd', 'kubernetes']);
    expect(tokenize('e2e with JS and TS, auth via Node.js')).toEqual(['end-to-end', 'end', 'end', 'javascript', 'typescript', 'authentication', 'nodejs']);
    expect(tokenize("What's the capital of Australia? It doesn't say")).toEqual(['capital', 'australia']);
    expect(tokenize('Übersetze ins Französische')).toEqual(['übersetze', 'ins', 'französische']);
  });

  it('makes compounds and adjacent pairs meet whichever way they are written', () => {
    for (const written of ['landing page', 'landing-page', 'Landing Pages']) expect(termsOf(written).has('land-pag')).toBe(true);
    for (const written of ['end to end', 'end-to-end', 'E2E']) expect(termsOf(written).has('end-end')).toBe(true);
    for (const written of ['CI/CD', 'ci-cd', 'CI CD', 'cicd']) expect(termsOf(written).has('ci-cd')).toBe(true);
    expect(termsOf('sales. Data').has('sal-data')).toBe(false);
  });
});
