/**
 * The process event the detached supervisor emits once its start-up is over (the runtime's
 * startedUp: the fleet settled and the status `up -d` waits for answered): the moment
 * src/cli/daemon-start.ts saves the code cache, from what start-up compiled, after `up -d` has its
 * answer and before the task side loads (which start-up does not need).
 */
export const DAEMON_STARTED_EVENT = 'lightning:daemon-started';
