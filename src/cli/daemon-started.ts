/**
 * The process event the detached supervisor emits once the fleet it started has settled (every
 * instance healthy or given up on): the moment src/cli/daemon-start.ts saves the code cache, from
 * what start-up compiled, and before the task side loads (which start-up does not need).
 */
export const DAEMON_STARTED_EVENT = 'lightning:daemon-started';
