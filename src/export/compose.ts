/**
 * `lightning export compose`: a Compose file where Docker supervises the processes and lightning
 * keeps routing. One service per agent running the built-in worker (or the agent's own command),
 * and the supervisor as a service whose derived agents.yaml lists every agent by service URL.
 *
 * `instances: N` becomes `deploy.replicas: N` of one service rather than N services: the agent
 * keeps one name (routing, `--agent`, status and the ledger are unchanged), `docker compose up
 * --scale` works, and it mirrors the Kubernetes export (a Deployment with N replicas behind one
 * Service). Docker's DNS spreads connections over the replicas, and the supervisor's entry for the
 * agent carries N × capacity.
 */
import path from 'node:path';
import { Document } from 'yaml';
import type { AgentConfig, RestartPolicyName } from '../config/types.js';
import { formatDuration, promptPath, supervisorConfig, workerConfig, yamlText } from './agents-yaml.js';
import {
  COMPOSE_HEALTHCHECK_MIN_INTERVAL_MS,
  CONTAINER_AGENT_DIR,
  CONTAINER_CONFIG_DIR,
  CONTAINER_CONFIG_FILE,
  CONTAINER_DATA_DIR,
  CONTAINER_WORKSPACES_DIR,
  STOP_MARGIN_S,
  SUPERVISOR_SERVICE,
  SUPERVISOR_STOP_MARGIN_S,
  WORKER_TOKEN_ENV,
} from './defaults.js';
import type { ExportInput, ExportResult } from './model.js';
import { containerPlan, containerPort, containerWarnings, keyEnvs, localAgents, substituteCommand } from './model.js';

type Raw = Record<string, unknown>;

export const COMPOSE_FILE = 'compose.yaml';
export const WORKER_CONFIG_FILE = 'agents.yaml';
export const SUPERVISOR_CONFIG_FILE = 'agents.supervisor.yaml';

const CONFIG_HEADER = ' Written by `lightning export compose` from %s.\n Edit that file and export again rather than editing this copy.';

/** Compose interpolates `$`: a literal one is written `$$`. */
function literal(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/** Docker: `unless-stopped` restarts like lightning's `always` but respects a manual `docker stop`. */
function restartPolicy(policy: RestartPolicyName, maxRestarts: number): string {
  switch (policy) {
    case 'always':
      return 'unless-stopped';
    case 'on-failure':
      return maxRestarts > 0 ? `on-failure:${maxRestarts}` : 'on-failure';
    case 'never':
      return 'no';
    default: {
      const unknown: never = policy;
      return String(unknown);
    }
  }
}

/** A probe with node's http module (node:20-slim has no curl; fetch costs 2.5× the CPU to load). */
export function nodeProbe(port: number, pathname: string, timeoutMs: number): string[] {
  const url = JSON.stringify(`http://127.0.0.1:${port}${pathname}`);
  return [
    'CMD',
    'node',
    '-e',
    `require('node:http').get(${url},{timeout:${timeoutMs}},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))`,
  ];
}

function healthcheck(agent: AgentConfig, port: number): Raw {
  const h = agent.health;
  return {
    test: literalArgv(nodeProbe(port, h.path, h.timeoutMs)),
    interval: formatDuration(Math.max(h.intervalMs, COMPOSE_HEALTHCHECK_MIN_INTERVAL_MS)),
    timeout: formatDuration(h.timeoutMs),
    retries: h.failureThreshold,
    start_period: formatDuration(h.startTimeoutMs),
  };
}

function literalArgv(argv: readonly string[]): string[] {
  return argv.map(literal);
}

/** A bind-mount source as Compose resolves it: relative to the compose file's directory when known. */
function hostPath(target: string, outDir: string | null): string {
  if (outDir === null) return target;
  const relative = path.relative(outDir, target) || '.';
  return relative.startsWith('.') || path.isAbsolute(relative) ? relative : `./${relative}`;
}

/** Environment every container of an agent gets: model settings and keys by name, never a value. */
function agentEnvironment(agent: AgentConfig, port: number): Raw {
  return {
    LIGHTNING_CONFIG: CONTAINER_CONFIG_FILE,
    LIGHTNING_WORKSPACES: CONTAINER_WORKSPACES_DIR,
    LIGHTNING_AGENT: agent.name,
    LIGHTNING_INSTANCE: '0',
    PORT: String(port),
    HOST: '0.0.0.0',
    LIGHTNING_TOKEN: `\${${WORKER_TOKEN_ENV}:-}`,
    // Every provider's key (provider: may be a list), each from the host's environment.
    ...Object.fromEntries(keyEnvs(agent).map((name) => [name, `\${${name}:-}`])),
    ...(agent.provider.baseURL ? {} : { OPENAI_BASE_URL: '${OPENAI_BASE_URL:-}' }),
    ...Object.fromEntries(Object.entries(agent.env).map(([key, value]) => [key, literal(value)])),
  };
}

interface ConfigRef {
  source: string;
  target: string;
}

function agentService(agent: AgentConfig, input: ExportInput, configRefs: ConfigRef[]): Raw {
  const port = containerPort(agent);
  const environment = agentEnvironment(agent, port);
  const custom = agent.command
    ? {
        entrypoint: literalArgv(substituteCommand(agent.command, { ...agent.env, PORT: String(port), LIGHTNING_AGENT: agent.name, LIGHTNING_INSTANCE: '0' })),
        working_dir: CONTAINER_AGENT_DIR,
      }
    : { command: ['worker', '--agent', agent.name, '--port', String(port), '--host', '0.0.0.0'] };
  return {
    image: input.image,
    ...custom,
    environment,
    configs: configRefs,
    volumes: [
      `lightning-workspaces:${CONTAINER_WORKSPACES_DIR}`,
      ...(agent.command ? [`${hostPath(agent.cwd, input.outDir)}:${CONTAINER_AGENT_DIR}:ro`] : []),
    ],
    expose: [String(port)],
    // So OPENAI_BASE_URL=http://host.docker.internal:11434/v1 reaches a model server on the host.
    extra_hosts: ['host.docker.internal:host-gateway'],
    healthcheck: healthcheck(agent, port),
    restart: restartPolicy(agent.restart.policy, agent.restart.maxRestarts),
    stop_grace_period: formatDuration(agent.stop.graceMs + STOP_MARGIN_S * 1000),
    ...(agent.instances > 1 ? { deploy: { replicas: agent.instances } } : {}),
  };
}

function supervisorService(input: ExportInput, names: ReadonlyMap<string, string>, port: number): Raw {
  const { config } = input;
  const maxGrace = Math.max(0, ...localAgents(config).map((agent) => agent.stop.graceMs));
  const remoteTokens = config.agents.flatMap((agent) => (agent.url !== null && agent.tokenEnv ? [agent.tokenEnv] : []));
  return {
    image: input.image,
    command: ['up'],
    environment: {
      LIGHTNING_CONFIG: CONTAINER_CONFIG_FILE,
      LIGHTNING_HOME: CONTAINER_DATA_DIR,
      [WORKER_TOKEN_ENV]: `\${${WORKER_TOKEN_ENV}:-}`,
      ...Object.fromEntries(remoteTokens.map((name) => [name, `\${${name}:-}`])),
    },
    configs: [{ source: 'supervisor-agents', target: CONTAINER_CONFIG_FILE }],
    volumes: [`lightning-state:${CONTAINER_DATA_DIR}`, `lightning-workspaces:${CONTAINER_WORKSPACES_DIR}`],
    // Published on the host's loopback only, like `lightning up` listens.
    ports: [`127.0.0.1:${port}:${port}`],
    depends_on: Object.fromEntries([...names.values()].map((service) => [service, { condition: 'service_started' }])),
    healthcheck: {
      test: literalArgv(nodeProbe(port, '/healthz', 1000)),
      interval: formatDuration(COMPOSE_HEALTHCHECK_MIN_INTERVAL_MS),
      timeout: '2s',
      retries: 3,
      start_period: '30s',
    },
    restart: 'unless-stopped',
    stop_grace_period: formatDuration(maxGrace + SUPERVISOR_STOP_MARGIN_S * 1000),
    // The supervisor is PID 1's child under tini, which reaps whatever it started and forwards signals.
    init: true,
  };
}

/** Everything a Compose deployment of the config needs; `inline` puts file contents in the YAML. */
export function composeExport(input: ExportInput): ExportResult {
  const { config } = input;
  const { names, supervisorPort: port, agents, prompted, urls } = containerPlan(config);
  const header = CONFIG_HEADER.replace('%s', config.path);
  const workerYaml = yamlText(workerConfig(config), header);
  const supervisorYaml = yamlText(supervisorConfig(config, urls, port), header);

  const configRefs: ConfigRef[] = [
    { source: 'agents', target: CONTAINER_CONFIG_FILE },
    ...prompted.map((agent) => ({ source: `prompt-${names.get(agent.name) ?? agent.name}`, target: `${CONTAINER_CONFIG_DIR}/${promptPath(agent.name)}` })),
  ];
  const build = (inline: boolean): string => {
    const source = (file: string, content: string): Raw => (inline ? { content: literal(content) } : { file: `./${file}` });
    const configs: Raw = {
      agents: source(WORKER_CONFIG_FILE, workerYaml),
      'supervisor-agents': source(SUPERVISOR_CONFIG_FILE, supervisorYaml),
      ...Object.fromEntries(
        prompted.map((agent) => [`prompt-${names.get(agent.name) ?? agent.name}`, source(promptPath(agent.name), input.prompts.get(agent.name) ?? '')]),
      ),
    };
    const services: Raw = {
      ...Object.fromEntries(agents.map((agent) => [names.get(agent.name) ?? agent.name, agentService(agent, input, configRefs)])),
      [SUPERVISOR_SERVICE]: supervisorService(input, names, port),
    };
    const doc = new Document({ services, configs, volumes: { 'lightning-state': {}, 'lightning-workspaces': {} } }, { aliasDuplicateObjects: false });
    doc.commentBefore = [
      ` Written by \`lightning export compose\` from ${config.path}.`,
      ` Build the image first: docker build -t ${input.image} <the lightning repository>`,
      ` Then: docker compose -f ${COMPOSE_FILE} up -d   (the control API is published on 127.0.0.1:${port})`,
    ].join('\n');
    return doc.toString({ lineWidth: 0 });
  };

  return {
    files: [
      { path: COMPOSE_FILE, content: build(false) },
      { path: WORKER_CONFIG_FILE, content: workerYaml },
      { path: SUPERVISOR_CONFIG_FILE, content: supervisorYaml },
      ...prompted.map((agent) => ({ path: promptPath(agent.name), content: input.prompts.get(agent.name) ?? '' })),
    ],
    stdout: build(true),
    warnings: containerWarnings(config),
    next: (dir) => {
      const file = dir === null ? COMPOSE_FILE : path.join(dir, COMPOSE_FILE);
      return [
        `docker build -t ${input.image} <the lightning repository>      # once: the image the services run`,
        `docker compose -f ${file} up -d`,
        `docker compose -f ${file} ps                                   # every agent and the supervisor, with health`,
        `docker compose -f ${file} exec ${SUPERVISOR_SERVICE} lightning status`,
        `docker compose -f ${file} exec ${SUPERVISOR_SERVICE} lightning run "Summarise the README"`,
        `optional: ${WORKER_TOKEN_ENV}=$(openssl rand -hex 32) in the environment (or a .env file beside ${COMPOSE_FILE}) so workers accept tasks only from the supervisor`,
      ];
    },
  };
}
