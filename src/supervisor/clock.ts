/** The clock is a leaf helper (tasks/ uses it too); re-exported here for the supervisor's modules. */
export type { Clock, TimerHandle } from '../util/clock.js';
export { realClock } from '../util/clock.js';
