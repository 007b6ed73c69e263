/**
 * `lightning export kubernetes`: Kubernetes runs and restarts the workers, lightning routes. Per
 * agent a Deployment (replicas = instances) and a Service; a ConfigMap with the workers'
 * agents.yaml and the prompts; the supervisor's Deployment and Service with its derived config in
 * another ConfigMap. API keys come from the Secret `lightning-model` by reference, never inline.
 */
/*
 * Typed with kubernetes-models' interfaces (generated from the Kubernetes OpenAPI definitions;
 * type-only, erased at build) so a misspelt field is a compile error, not a silently ignored key.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IConfigMapVolumeSource } from 'kubernetes-models/v1/ConfigMapVolumeSource';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { AgentConfig } from '../config/types.js';
import { promptPath, supervisorConfig, workerConfig, yamlText } from './agents-yaml.js';
import {
  CONTAINER_CONFIG_DIR,
  CONTAINER_CONFIG_FILE,
  CONTAINER_DATA_DIR,
  CONTAINER_UID,
  CONTAINER_WORKSPACES_DIR,
  K8S_AGENTS_CONFIGMAP,
  K8S_MODEL_SECRET,
  K8S_SUPERVISOR_CONFIGMAP,
  K8S_SUPERVISOR_RESOURCES,
  K8S_WORKER_RESOURCES,
  K8S_WORKER_TOKEN_SECRET,
  STOP_MARGIN_S,
  SUPERVISOR_SERVICE,
  SUPERVISOR_STOP_MARGIN_S,
  WORKER_TOKEN_ENV,
} from './defaults.js';
import type { ExportInput, ExportResult } from './model.js';
import { containerPlan, containerPort, containerWarnings, keyEnvs, localAgents, substituteCommand } from './model.js';
import { Document } from 'yaml';

type Manifest = IConfigMap | IDeployment | IService;
type Component = 'agent' | 'supervisor';

/** A ConfigMap holds at most 1 MiB; prompts beyond that need another way in (a volume). */
const CONFIGMAP_MAX_BYTES = 1024 * 1024;

function labels(name: string, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'lightning',
    'app.kubernetes.io/managed-by': 'lightning-export',
  };
}

function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'lightning' };
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** Probes from the agent's health settings; the startup probe allows `startTimeout` in 1 s steps. */
function probes(agent: AgentConfig): Pick<IContainer, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const h = agent.health;
  const httpGet = { path: h.path, port: 'http' };
  const steady: IProbe = { httpGet, periodSeconds: seconds(h.intervalMs), timeoutSeconds: seconds(h.timeoutMs), failureThreshold: h.failureThreshold };
  return {
    startupProbe: { httpGet, periodSeconds: 1, timeoutSeconds: seconds(h.timeoutMs), failureThreshold: seconds(h.startTimeoutMs) },
    livenessProbe: steady,
    readinessProbe: steady,
  };
}

function secretEnv(name: string, secret: string, key: string): IEnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } };
}

/** Kubernetes expands `$(VAR)` in command and args; a literal one is written `$$(VAR)`. */
function literalArgs(argv: readonly string[]): string[] {
  return argv.map((arg) => arg.replace(/\$\(/g, '$$$$('));
}

/** Hardening every container gets: non-root, read-only root, no privilege, no capabilities. */
const CONTAINER_SECURITY: IContainer['securityContext'] = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
const POD_SECURITY: IPodSpec['securityContext'] = { runAsNonRoot: true, runAsUser: CONTAINER_UID, runAsGroup: CONTAINER_UID, fsGroup: CONTAINER_UID, seccompProfile: { type: 'RuntimeDefault' } };

function podSpec(container: IContainer, configMap: IConfigMapVolumeSource, graceSeconds: number): IPodSpec {
  return {
    // Service links would put WEB_DEVELOPER_PORT=tcp://… style variables into every container.
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: graceSeconds,
    securityContext: POD_SECURITY,
    containers: [
      {
        ...container,
        securityContext: CONTAINER_SECURITY,
        volumeMounts: [
          { name: 'config', mountPath: CONTAINER_CONFIG_DIR, readOnly: true },
          // emptyDir: the ledger and workspaces live as long as the pod; use a PersistentVolumeClaim to keep them.
          { name: 'data', mountPath: CONTAINER_DATA_DIR },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes: [{ name: 'config', configMap }, { name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }],
  };
}

function deployment(name: string, component: Component, replicas: number, pod: IPodSpec, extra: Partial<NonNullable<IDeployment['spec']>> = {}): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: labels(name, component) },
    spec: {
      replicas,
      selector: { matchLabels: selector(name) },
      ...extra,
      template: { metadata: { labels: labels(name, component) }, spec: pod },
    },
  };
}

function service(name: string, component: Component, port: number): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name, component) },
    spec: { type: 'ClusterIP', selector: selector(name), ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }] },
  };
}

function agentObjects(agent: AgentConfig, name: string, input: ExportInput, configMap: IConfigMapVolumeSource): Manifest[] {
  const port = containerPort(agent);
  const env: IEnvVar[] = [
    { name: 'LIGHTNING_CONFIG', value: CONTAINER_CONFIG_FILE },
    { name: 'LIGHTNING_WORKSPACES', value: CONTAINER_WORKSPACES_DIR },
    { name: 'LIGHTNING_AGENT', value: agent.name },
    { name: 'LIGHTNING_INSTANCE', value: '0' },
    { name: 'PORT', value: String(port) },
    { name: 'HOST', value: '0.0.0.0' },
    secretEnv('LIGHTNING_TOKEN', K8S_WORKER_TOKEN_SECRET, 'token'),
    ...keyEnvs(agent).map((name) => secretEnv(name, K8S_MODEL_SECRET, name)),
    ...(agent.provider.baseURL ? [] : [secretEnv('OPENAI_BASE_URL', K8S_MODEL_SECRET, 'OPENAI_BASE_URL')]),
    ...Object.entries(agent.env).map(([key, value]) => ({ name: key, value: value.replace(/\$\(/g, '$$$$(') })),
  ];
  const run = agent.command
    ? { command: literalArgs(substituteCommand(agent.command, { ...agent.env, PORT: String(port), LIGHTNING_AGENT: agent.name, LIGHTNING_INSTANCE: '0' })) }
    : { args: ['worker', '--agent', agent.name, '--port', String(port), '--host', '0.0.0.0'] };
  const container: IContainer = {
    name: 'agent',
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    ...run,
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env,
    resources: K8S_WORKER_RESOURCES,
    ...probes(agent),
  };
  const pod = podSpec(container, configMap, seconds(agent.stop.graceMs) + STOP_MARGIN_S);
  return [deployment(name, 'agent', agent.instances, pod), service(name, 'agent', port)];
}

function supervisorObjects(input: ExportInput, port: number): Manifest[] {
  const { config } = input;
  const maxGrace = Math.max(0, ...localAgents(config).map((agent) => agent.stop.graceMs));
  const remoteTokens = config.agents.flatMap((agent) => (agent.url !== null && agent.tokenEnv ? [agent.tokenEnv] : []));
  const httpGet = { path: '/healthz', port: 'http' };
  const container: IContainer = {
    name: 'supervisor',
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['up'],
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: [
      { name: 'LIGHTNING_CONFIG', value: CONTAINER_CONFIG_FILE },
      { name: 'LIGHTNING_HOME', value: CONTAINER_DATA_DIR },
      secretEnv(WORKER_TOKEN_ENV, K8S_WORKER_TOKEN_SECRET, 'token'),
      ...remoteTokens.map((name) => secretEnv(name, K8S_MODEL_SECRET, name)),
    ],
    resources: K8S_SUPERVISOR_RESOURCES,
    livenessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
  };
  const pod = podSpec(container, { name: K8S_SUPERVISOR_CONFIGMAP }, seconds(maxGrace) + SUPERVISOR_STOP_MARGIN_S);
  // One supervisor per ledger: Recreate stops the old pod before the new one starts.
  return [deployment(SUPERVISOR_SERVICE, 'supervisor', 1, pod, { strategy: { type: 'Recreate' } }), service(SUPERVISOR_SERVICE, 'supervisor', port)];
}

function multiDocument(objects: readonly Manifest[], comment: string): string {
  return objects
    .map((object, i) => {
      const doc = new Document(object, { aliasDuplicateObjects: false });
      if (i === 0) doc.commentBefore = comment;
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

export function kubernetesExport(input: ExportInput): ExportResult {
  const { config } = input;
  const { names, supervisorPort: port, agents, prompted, urls } = containerPlan(config);
  const header = ` Written by \`lightning export kubernetes\` from ${config.path}.`;

  const workerData: Record<string, string> = { 'agents.yaml': yamlText(workerConfig(config), header) };
  for (const agent of prompted) workerData[`prompt.${agent.name}.md`] = input.prompts.get(agent.name) ?? '';
  const agentsConfigMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: K8S_AGENTS_CONFIGMAP, labels: labels(K8S_AGENTS_CONFIGMAP, 'agent') },
    data: workerData,
  };
  const supervisorConfigMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: K8S_SUPERVISOR_CONFIGMAP, labels: labels(K8S_SUPERVISOR_CONFIGMAP, 'supervisor') },
    data: { 'agents.yaml': yamlText(supervisorConfig(config, urls, port), header) },
  };
  // ConfigMap keys cannot hold `/`: items put each prompt where agents.yaml expects it.
  const workerVolume: IConfigMapVolumeSource = {
    name: K8S_AGENTS_CONFIGMAP,
    items: [{ key: 'agents.yaml', path: 'agents.yaml' }, ...prompted.map((agent) => ({ key: `prompt.${agent.name}.md`, path: promptPath(agent.name) }))],
  };

  const perAgent = agents.map((agent) => ({ agent, objects: agentObjects(agent, names.get(agent.name) ?? agent.name, input, workerVolume) }));
  const supervisor = supervisorObjects(input, port);
  const comment = header;
  const warnings = containerWarnings(config);
  const size = Object.values(workerData).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (size > CONFIGMAP_MAX_BYTES) {
    warnings.push(`the ConfigMap ${K8S_AGENTS_CONFIGMAP} holds ${size} bytes of agents.yaml and prompts, over Kubernetes' 1 MiB limit: shorten the prompts or mount them from a volume`);
  }
  return {
    files: [
      { path: 'config.yaml', content: multiDocument([agentsConfigMap, supervisorConfigMap], comment) },
      ...perAgent.map(({ agent, objects }) => ({ path: `agent-${names.get(agent.name) ?? agent.name}.yaml`, content: multiDocument(objects, comment) })),
      { path: 'supervisor.yaml', content: multiDocument(supervisor, comment) },
    ],
    stdout: multiDocument([agentsConfigMap, supervisorConfigMap, ...perAgent.flatMap(({ objects }) => objects), ...supervisor], comment),
    warnings,
    next: (dir) => {
      const remoteTokens = config.agents.flatMap((agent) => (agent.url !== null && agent.tokenEnv ? [agent.tokenEnv] : []));
      const keys = [...new Set([...agents.flatMap((agent) => keyEnvs(agent)), ...remoteTokens])];
      return [
        `docker build -t ${input.image} <the lightning repository>, then push it where the cluster pulls from (or pass --image)`,
        `kubectl create secret generic ${K8S_MODEL_SECRET} ${keys.map((key) => `--from-literal=${key}="$${key}"`).join(' ')}   # optional; add --from-literal=OPENAI_BASE_URL=… for a local model server`,
        `kubectl create secret generic ${K8S_WORKER_TOKEN_SECRET} --from-literal=token="$(openssl rand -hex 32)"   # optional: workers then accept tasks only from the supervisor`,
        dir === null ? 'kubectl apply -f lightning.yaml   # the manifests printed above, saved to a file' : `kubectl apply -f ${dir}/`,
        `kubectl rollout status deployment/${SUPERVISOR_SERVICE}`,
        `kubectl exec deploy/${SUPERVISOR_SERVICE} -- lightning status`,
        `kubectl port-forward svc/${SUPERVISOR_SERVICE} ${port}:${port}   # the control API and dashboard on 127.0.0.1:${port}`,
      ];
    },
  };
}
