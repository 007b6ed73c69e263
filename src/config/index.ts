/** Public API of the config module: everything else in lightning imports from here. */
export type {
  AgentConfig,
  HealthSettings,
  InstanceSpec,
  LightningConfig,
  LogSettings,
  ProviderSettings,
  RestartPolicyName,
  RestartSettings,
  StopSettings,
  SupervisorSettings,
  TaskSettings,
  ToolSettings,
} from './types.js';
export { instanceId } from './types.js';
export * from './defaults.js';
export { parseDuration, parseSize } from './duration.js';
export { ConfigError, displayPath, formatConfigError, isConfigError } from './errors.js';
export type { ConfigErrorInit } from './errors.js';
export { findConfigPath, loadConfig } from './load.js';
export { findAgent, planInstances, resolveAgent } from './plan.js';
export { AGENT_NAME_RE, splitCommand } from './schema.js';
export { levenshtein, suggest } from './suggest.js';
