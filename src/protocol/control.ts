import type { InstanceStatus } from './status.js';

/** What a user can do to one agent, or one instance of it: `lightning restart|stop|start NAME[/i]`. */
export type ControlAction = 'restart' | 'stop' | 'start';

export const CONTROL_ACTIONS: readonly ControlAction[] = ['restart', 'stop', 'start'];

export interface ControlRequest {
  action: ControlAction;
  agent: string;
  /** One instance; null = every instance of the agent. */
  instance: number | null;
}

export type ControlFailure = 'unknown-agent' | 'unknown-instance' | 'not-local' | 'stopping';

/** `POST /v1/agents/:name/restart|stop|start` answers this (200), or `{error, message}`. */
export interface ControlDocument {
  action: ControlAction;
  agent: string;
  instance: number | null;
  message: string;
  /** The instances it acted on, as they are now (status rows). */
  instances: InstanceStatus[];
}

export type ControlAnswer = { ok: true; document: ControlDocument } | { ok: false; reason: ControlFailure; message: string };
