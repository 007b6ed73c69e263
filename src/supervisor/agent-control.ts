import type { ControlFailure, ControlRequest } from '../protocol/control.js';
import type { FleetMember } from './fleet-member.js';
import { Instance } from './instance.js';

/** What the supervisor tells the ledger and /v1/events after a control. */
export interface ControlEvent extends ControlRequest {
  message: string;
}

export type ControlResult =
  | { ok: true; members: FleetMember[]; message: string }
  | { ok: false; reason: ControlFailure; message: string };

export interface ControlHost {
  members: readonly FleetMember[];
  stopping(): boolean;
  /** Resolves when the instance is healthy or settled (failed, stopped), or after a bound. */
  waitSettled(instance: Instance): Promise<void>;
}

/** Why a stopped instance stays stopped, for `status`. */
export function heldReason(agent: string): string {
  return `stopped by lightning stop; \`lightning start ${agent}\` or \`lightning up\` starts it again`;
}

/**
 * Applies one control to the instances it names.
 * - restart: one instance at a time, each back healthy (or settled) before the next, so an agent
 *   with several instances stays available; a `failed` instance's crash streak starts afresh.
 * - stop: every named instance at once; each stays stopped (no probe, no restart) until `start`,
 *   `restart` or `up`.
 * - start: whatever is not running (stopped, failed) starts with a fresh streak; running ones are
 *   left alone.
 */
export async function runControl(request: ControlRequest, host: ControlHost): Promise<ControlResult> {
  const selected = select(request, host.members);
  if (!selected.ok) return selected;
  if (host.stopping()) return { ok: false, reason: 'stopping', message: 'the supervisor is stopping' };
  const instances = selected.members as Instance[];
  const label = request.instance === null ? request.agent : `${request.agent}#${request.instance}`;
  switch (request.action) {
    case 'restart':
      for (const instance of instances) {
        if (host.stopping()) break;
        await instance.restart();
        await host.waitSettled(instance);
      }
      return { ok: true, members: instances, message: `restarted ${label}: ${summary(instances)}` };
    case 'stop':
      await Promise.all(instances.map((instance) => instance.stop(heldReason(request.agent))));
      return { ok: true, members: instances, message: `stopped ${label}; it stays stopped until \`lightning start ${request.agent}\`` };
    case 'start': {
      const idle = instances.filter((instance) => instance.pid === null && instance.state.name !== 'backoff');
      for (const instance of idle) await instance.start();
      await Promise.all(idle.map((instance) => host.waitSettled(instance)));
      return { ok: true, members: instances, message: idle.length === 0 ? `${label} was already running: ${summary(instances)}` : `started ${label}: ${summary(instances)}` };
    }
    default: {
      const unreachable: never = request.action;
      return unreachable;
    }
  }
}

function select(request: ControlRequest, members: readonly FleetMember[]): ControlResult {
  const ofAgent = members.filter((member) => member.spec.agent.name === request.agent);
  if (ofAgent.length === 0) {
    const known = [...new Set(members.map((member) => member.spec.agent.name))];
    return { ok: false, reason: 'unknown-agent', message: `unknown agent "${request.agent}"; agents: ${known.join(', ') || '(none)'}` };
  }
  const chosen = request.instance === null ? ofAgent : ofAgent.filter((member) => member.spec.index === request.instance);
  if (chosen.length === 0) {
    const indexes = ofAgent.map((member) => member.spec.index);
    return { ok: false, reason: 'unknown-instance', message: `${request.agent} has no instance ${request.instance}; its instances are ${indexes.join(', ')}` };
  }
  const elsewhere = chosen.find((member) => !(member instanceof Instance));
  if (elsewhere) {
    return {
      ok: false,
      reason: 'not-local',
      message: `${elsewhere.id} is a ${elsewhere.kind} agent at ${elsewhere.baseUrl}: lightning does not start or stop it; manage it where it runs`,
    };
  }
  return { ok: true, members: chosen, message: '' };
}

function summary(instances: readonly Instance[]): string {
  return instances.map((instance) => `${instance.id} ${instance.state.name}${instance.pid === null ? '' : ` pid ${instance.pid}`}`).join(', ');
}
