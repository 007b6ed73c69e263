/**
 * `lightning export compose|kubernetes|systemd`: what each writes parses, validates against the
 * engine's published schema, maps agents.yaml faithfully, and never carries a secret. Where the
 * engine's own checker is on this machine (docker compose, systemd-analyze, kubectl) it gets the
 * last word; where it is not, the test says so and skips only that part.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { AgentConfig } from '../../src/config/types.js';
import { BIN, ROOT, cli, makeProject } from '../helpers/fleet.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Secrets in the exporting user's environment: no output may contain them. */
const SECRETS = { OPENAI_API_KEY: 'sk-export-test-not-a-real-key-31415', LIGHTNING_WORKER_TOKEN: 'worker-token-export-test-27182' };

/** instances: 2, a custom command, non-default health/restart/stop, and `$` that Compose would interpolate. */
const CUSTOM_YAML = `version: 1
supervisor: { port: 9100 }
defaults:
  health: { interval: 2s, timeout: 1500ms, failureThreshold: 4, startTimeout: 45s }
agents:
  writer:
    port: 9101
    instances: 2
    description: Writes and translates text
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
    capacity: 4
    restart: { policy: on-failure, maxRestarts: 5 }
    stop: { grace: 20s }
    env: { LOG_LEVEL: debug, PRICE: "$5" }
  custom_py:
    command: ["python3", "agent.py", "--port", "\${PORT}", "--home", "\${HOME}"]
    port: 9110
    capabilities: [python]
    restart: { policy: never }
`;

const projects: string[] = [];
function project(yaml: string): string {
  const dir = makeProject(yaml);
  projects.push(dir);
  return dir;
}
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-export-'));
  projects.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

async function exportTo(cwd: string, args: string[]) {
  const result = await cli(cwd, ['export', ...args], { env: SECRETS });
  for (const secret of Object.values(SECRETS)) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  return result;
}

function expectNoSecretsIn(dir: string, files: string[]): void {
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  }
}

// The compose-spec JSON schema as published by the Compose Specification, shipped in dclint.
const require = createRequire(import.meta.url);
// It names its draft as https://json-schema.org/draft-07/schema, which ajv knows as http://…#:
// dropping $schema lets ajv use its built-in draft-07 meta-schema for the same draft.
const { $schema: _draft, ...composeSchema } = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json'), 'utf8'),
) as Record<string, unknown>;
const validateCompose = new Ajv({ allErrors: true, strict: false }).compile(composeSchema);

function expectValidCompose(document: unknown): void {
  const ok = validateCompose(document);
  expect(validateCompose.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

/** kubernetes-models' validators are compiled from the Kubernetes OpenAPI definitions. */
function expectValidManifest(manifest: Json): void {
  const models: Record<string, new (data: never) => { validate(): void }> = { Deployment, Service, ConfigMap };
  const Model = models[manifest.kind as string];
  expect(Model).toBeDefined();
  expect(() => new (Model as new (data: Json) => { validate(): void })(manifest).validate()).not.toThrow();
}

function yamlDocuments(text: string): Json[] {
  return parseAllDocuments(text).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Json;
  });
}

const DNS_1123 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const REPO_AGENTS = loadConfig(path.join(ROOT, 'agents.yaml')).agents;

/** An agent as loaded, minus what an export rewrites on purpose (host paths). */
function portable(agent: AgentConfig): Partial<AgentConfig> {
  const { prompt: _prompt, cwd: _cwd, ...rest } = agent;
  return rest;
}

/** Runs the exported worker command (on loopback and a free port here), returns its /health status. */
async function workerAnswers(configFile: string, args: string[]): Promise<{ status: number; body: Json }> {
  const argv = args.map((arg, i) => (args[i - 1] === '--port' ? '0' : args[i - 1] === '--host' ? '127.0.0.1' : arg));
  const child = spawn(process.execPath, [BIN, ...argv], {
    env: { PATH: process.env.PATH ?? '', LIGHTNING_CONFIG: configFile, LIGHTNING_WORKSPACES: path.join(tempDir(), 'ws') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), 15_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${out}`)));
    });
    const response = await fetch(`${url}/health`);
    return { status: response.status, body: (await response.json()) as Json };
  } finally {
    child.kill('SIGTERM');
  }
}

describe('lightning export compose', () => {
  it('turns the repository agents.yaml into a valid Compose file: one service per agent plus the supervisor, keys by name only', async () => {
    const result = await exportTo(ROOT, ['compose']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('docker compose -f compose.yaml up -d');
    const [compose] = yamlDocuments(result.stdout) as [Json];
    expectValidCompose(compose);

    const services = compose.services as Record<string, Json>;
    expect(Object.keys(services).sort()).toEqual(['data-analyst', 'devops-engineer', 'general-assistant', 'lightning', 'qa-tester', 'security-expert', 'web-developer']);
    const web = services['web-developer'] as Json;
    expect(web.command).toEqual(['worker', '--agent', 'web_developer', '--port', '9001', '--host', '0.0.0.0']);
    expect(web.environment.OPENAI_API_KEY).toBe('${OPENAI_API_KEY:-}');
    expect(web.restart).toBe('unless-stopped');
    expect(web.ports).toBeUndefined();
    // health: { interval: 1s, timeout: 500ms, failureThreshold: 3, startTimeout: 30s }; Docker's own check no more often than 10s.
    expect(web.healthcheck).toMatchObject({ interval: '10s', timeout: '500ms', retries: 3, start_period: '30s' });
    expect(web.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(web.healthcheck.test[3]).toContain('http://127.0.0.1:9001/health');

    const supervisor = services.lightning as Json;
    expect(supervisor.command).toEqual(['up']);
    expect(supervisor.ports).toEqual(['127.0.0.1:9000:9000']);
    // Without -o the derived config travels inline; every agent is a remote entry by service name.
    const derived = parse((compose.configs['supervisor-agents'] as Json).content as string) as Json;
    expect(derived.supervisor).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(derived.agents.web_developer.url).toBe('http://web-developer:9001');
    expect(derived.agents.general_assistant).toMatchObject({ url: 'http://general-assistant:9006', fallback: true });
    for (const name of Object.keys(services)) expect(name).toMatch(DNS_1123);
  });

  it('writes compose.yaml, the workers\' agents.yaml, the prompts and the supervisor\'s derived config with -o; both configs load and a worker starts from them', async () => {
    const cwd = project(CUSTOM_YAML);
    const out = path.join(tempDir(), 'compose');
    const result = await exportTo(cwd, ['compose', '-o', out]);
    expect(result.exitCode).toBe(0);
    const files = ['compose.yaml', 'agents.yaml', 'agents.supervisor.yaml', 'prompts/writer.md'];
    for (const file of files) expect(result.stdout).toContain(file);
    expect(result.stdout).toContain(`docker compose -f ${out}/compose.yaml up -d`);
    expect(result.stderr).toContain('custom command'); // the image has Node.js only: said, not hidden
    expectNoSecretsIn(out, files);

    const compose = parse(readFileSync(path.join(out, 'compose.yaml'), 'utf8')) as Json;
    expectValidCompose(compose);
    const writer = compose.services.writer as Json;
    expect(writer.deploy).toEqual({ replicas: 2 });
    expect(writer.restart).toBe('on-failure:5');
    expect(writer.stop_grace_period).toBe('25s');
    expect(writer.healthcheck).toMatchObject({ interval: '10s', timeout: '1500ms', retries: 4, start_period: '45s' });
    expect(writer.environment.PRICE).toBe('$$5'); // Compose would otherwise interpolate $5
    const custom = compose.services['custom-py'] as Json;
    expect(custom.entrypoint).toEqual(['python3', 'agent.py', '--port', '9110', '--home', '$${HOME}']);
    expect(custom.restart).toBe('no');
    expect(custom.volumes).toContain(`${path.relative(out, cwd)}:/agent:ro`);
    expect(compose.configs.agents).toEqual({ file: './agents.yaml' });

    // The workers' copy loads to the same settings (host paths aside) ...
    const original = loadConfig(path.join(cwd, 'agents.yaml'));
    const copy = loadConfig(path.join(out, 'agents.yaml'));
    expect(copy.agents.map(portable)).toEqual(original.agents.map(portable));
    expect(copy.agents[0]?.prompt).toBe(path.join(out, 'prompts/writer.md'));
    // ... and the built-in worker runs from it with the exported command line.
    const health = await workerAnswers(path.join(out, 'agents.yaml'), writer.command as string[]);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', agent: 'writer', capacity: 4 } });

    // The supervisor's derived config: every agent remote, reached by service name. Needs the
    // config loader's `url:` support (remote agents).
    const derived = loadConfig(path.join(out, 'agents.supervisor.yaml'));
    expect(derived.supervisor).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(derived.agents.map((agent) => [agent.name, agent.url, agent.command])).toEqual([
      ['writer', 'http://writer:9101', null],
      ['custom_py', 'http://custom-py:9110', null],
    ]);
    expect(derived.agents[0]?.capacity).toBe(8); // two replicas behind one name
    expect(derived.agents[0]?.health).toEqual(original.agents[0]?.health);
  });

  it('passes `docker compose config` where the Compose plugin is installed', async () => {
    const plugin = await execa('docker', ['compose', 'version'], { reject: false });
    if (plugin.exitCode !== 0) {
      process.stderr.write(`skipped docker compose config: the Compose plugin is not installed here (${(plugin.stderr || String(plugin.message)).split('\n')[0]})\n`);
      return;
    }
    const out = path.join(tempDir(), 'compose');
    expect((await exportTo(project(CUSTOM_YAML), ['compose', '-o', out])).exitCode).toBe(0);
    const check = await execa('docker', ['compose', '-f', path.join(out, 'compose.yaml'), 'config', '-q'], { reject: false });
    expect(check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
  });
});

describe('lightning export kubernetes', () => {
  it('prints manifests that validate against the Kubernetes schemas: a Deployment and Service per agent, probes from health, keys from a Secret', async () => {
    const result = await exportTo(ROOT, ['kubernetes']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('kubectl apply');
    const manifests = yamlDocuments(result.stdout);
    for (const manifest of manifests) {
      expectValidManifest(manifest);
      expect(manifest.metadata.name).toMatch(DNS_1123);
    }
    const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
    expect(byKind('ConfigMap')).toHaveLength(2);
    expect(byKind('Deployment')).toHaveLength(REPO_AGENTS.length + 1);
    expect(byKind('Service')).toHaveLength(REPO_AGENTS.length + 1);

    const agentsMap = byKind('ConfigMap').find((m) => m.metadata.name === 'lightning-agents') as Json;
    expect(Object.keys(agentsMap.data as object)).toEqual(['agents.yaml', ...REPO_AGENTS.map((a) => `prompt.${a.name}.md`)]);
    const web = byKind('Deployment').find((m) => m.metadata.name === 'web-developer') as Json;
    expect(web.spec.replicas).toBe(1);
    expect(web.metadata.labels['app.kubernetes.io/part-of']).toBe('lightning');
    const container = web.spec.template.spec.containers[0] as Json;
    expect(container.args).toEqual(['worker', '--agent', 'web_developer', '--port', '9001', '--host', '0.0.0.0']);
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 });
    expect(container.startupProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 30 });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    const key = (container.env as Json[]).find((e) => e.name === 'OPENAI_API_KEY');
    expect(key).toEqual({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'lightning-model', key: 'OPENAI_API_KEY', optional: true } } });
    expect((container.env as Json[]).every((e) => e.value === undefined || !/key|token/i.test(e.name as string))).toBe(true);

    const supervisor = byKind('Deployment').find((m) => m.metadata.name === 'lightning') as Json;
    expect(supervisor.spec.strategy).toEqual({ type: 'Recreate' });
    const derived = parse((byKind('ConfigMap').find((m) => m.metadata.name === 'lightning-supervisor') as Json).data['agents.yaml'] as string) as Json;
    expect(derived.agents.qa_tester.url).toBe('http://qa-tester:9005');
  });

  it('writes one file per agent with -o: replicas from instances, custom commands kept, probes from the agent\'s health', async () => {
    const out = path.join(tempDir(), 'k8s');
    const result = await exportTo(project(CUSTOM_YAML), ['kubernetes', '-o', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`kubectl apply -f ${out}/`);
    const files = ['config.yaml', 'agent-writer.yaml', 'agent-custom-py.yaml', 'supervisor.yaml'];
    expectNoSecretsIn(out, files);
    const manifests = files.flatMap((file) => yamlDocuments(readFileSync(path.join(out, file), 'utf8')));
    for (const manifest of manifests) expectValidManifest(manifest);
    const deployment = (name: string) => manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === name) as Json;
    const writer = deployment('writer');
    expect(writer.spec.replicas).toBe(2);
    const probe = writer.spec.template.spec.containers[0].readinessProbe as Json;
    expect(probe).toMatchObject({ periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 4 });
    expect(writer.spec.template.spec.containers[0].startupProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 45 });
    expect(writer.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(20);
    const custom = deployment('custom-py').spec.template.spec.containers[0] as Json;
    expect(custom.command).toEqual(['python3', 'agent.py', '--port', '9110', '--home', '${HOME}']);
    expect(custom.args).toBeUndefined();
  });

  it('passes `kubectl apply --dry-run=client` where kubectl can run without a cluster', async () => {
    const out = path.join(tempDir(), 'k8s');
    expect((await exportTo(ROOT, ['kubernetes', '-o', out])).exitCode).toBe(0);
    const kubeconfig = path.join(tempDir(), 'kubeconfig');
    writeFileSync(kubeconfig, '');
    const check = await execa('kubectl', ['apply', '--dry-run=client', '--validate=false', '--request-timeout=5s', '-f', `${out}/`], {
      reject: false,
      env: { KUBECONFIG: kubeconfig },
      timeout: 30_000,
    });
    const noCluster = /couldn't get current server API group list|connection refused|ENOENT|unable to recognize/i;
    if (check.exitCode !== 0 && noCluster.test(`${check.stderr}${check.message}`)) {
      process.stderr.write(`skipped kubectl dry-run: kubectl needs an API server even for --dry-run=client (${check.stderr.split('\n').find((l) => l.trim()) ?? check.message})\n`);
      return;
    }
    expect(check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
  });
});

describe('lightning export systemd', () => {
  it('writes a user unit running `lightning up` in the foreground with absolute paths, and no key', async () => {
    const cwd = project(CUSTOM_YAML);
    const out = path.join(tempDir(), 'systemd');
    const result = await cli(cwd, ['export', 'systemd', '-o', out], { env: { ...SECRETS, OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' } });
    expect(result.exitCode).toBe(0);
    for (const step of ['systemctl --user daemon-reload', 'systemctl --user enable --now lightning.service', 'loginctl enable-linger']) expect(result.stdout).toContain(step);
    const unit = readFileSync(path.join(out, 'lightning.service'), 'utf8');
    for (const secret of Object.values(SECRETS)) expect(unit).not.toContain(secret);
    expect(unit).toContain(`ExecStart=${process.execPath} ${BIN} -c ${path.join(cwd, 'agents.yaml')} up\n`);
    expect(unit).toContain(`WorkingDirectory=${cwd}\n`);
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('KillMode=mixed\n');
    expect(unit).toContain('EnvironmentFile=-%h/.config/lightning/env\n');
    expect(unit).toContain('Environment="OPENAI_BASE_URL=http://127.0.0.1:11434/v1"\n');
    expect(unit).toContain('WantedBy=default.target');
    // Longer than the longest stop grace (20s), so systemd never cuts the supervisor's own stop short.
    expect(Number(/TimeoutStopSec=(\d+)s/.exec(unit)?.[1])).toBeGreaterThan(20);

    if (!existsSync('/usr/bin/systemd-analyze')) {
      process.stderr.write('skipped systemd-analyze verify: /usr/bin/systemd-analyze is not installed here\n');
      return;
    }
    const verify = await execa('systemd-analyze', ['verify', '--user', path.join(out, 'lightning.service')], {
      reject: false,
      env: { XDG_RUNTIME_DIR: tempDir() },
    });
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
  });

  it('prints the unit on stdout and the install steps on stderr without -o', async () => {
    const result = await exportTo(ROOT, ['systemd']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\[Service\]$/m);
    expect(result.stdout).not.toContain('next:');
    expect(result.stderr).toContain('systemctl --user enable --now lightning.service');
  });
});

describe('lightning export: bad input', () => {
  it('refuses to overwrite files without --force, and replaces them with it', async () => {
    const out = path.join(tempDir(), 'unit');
    expect((await cli(ROOT, ['export', 'systemd', '-o', out])).exitCode).toBe(0);
    const unit = path.join(out, 'lightning.service');
    writeFileSync(unit, 'edited by hand\n');
    const again = await cli(ROOT, ['export', 'systemd', '-o', out]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(unit);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(unit, 'utf8')).toBe('edited by hand\n');
    expect((await cli(ROOT, ['export', 'systemd', '-o', out, '--force'])).exitCode).toBe(0);
    expect(readFileSync(unit, 'utf8')).toContain('[Service]');
  });

  it('names the three targets for an unknown one, and refuses agents whose DNS names collide', async () => {
    const unknown = await cli(ROOT, ['export', 'helm']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown export target "helm": use one of compose, kubernetes, systemd');
    expect(unknown.stdout).toBe('');

    const cwd = project(`version: 1
agents:
  web_dev: { port: 9101, prompt: templates/prompts/web_developer.md }
  web-dev: { port: 9102, prompt: templates/prompts/web_developer.md }
`);
    const clash = await cli(cwd, ['export', 'kubernetes']);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toContain('agent "web-dev" would be named "web-dev"');
    expect(clash.stderr).toContain('agent "web_dev"');
    expect(clash.stdout).toBe('');
  });
});
