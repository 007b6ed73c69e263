// Types of chaos/index.js for the TypeScript tests that run the scenarios slim.

export interface Bar {
  name: string;
  ok: boolean;
  detail: string;
  /** Depends on the machine's speed: `npm run chaos` holds it, the tests only print it. */
  timed: boolean;
}

export interface ScenarioReport {
  name: string;
  figures: Record<string, string | number>;
  bars: Bar[];
}

interface Common {
  instances?: number;
  /** How long the chaos model takes to answer. */
  modelDelayMs?: number;
  log?: (line: string) => void;
}

/** The repository's agents.yaml with its defaults; see chaos/shipped-fleet.js. */
export function shippedFleet(options?: {
  tasks?: number;
  concurrency?: number;
  killEveryMs?: number;
  modelDelayMs?: number;
  sameWorkerKills?: number;
  sameWorkerHealthyMs?: number;
  heldBackTasks?: number;
  log?: (line: string) => void;
}): Promise<ScenarioReport>;
export function workerKills(options?: Common & { tasks?: number; concurrency?: number; killEveryMs?: number }): Promise<ScenarioReport>;
export function supervisorKill(options?: Common & { concurrency?: number; completeBeforeKill?: number }): Promise<ScenarioReport>;
export function hangingWorker(options?: Common & { tasks?: number; concurrency?: number }): Promise<ScenarioReport>;
export function modelOutage(options?: Common & { tasks?: number; concurrency?: number; outageAfter?: number; outageMs?: number }): Promise<ScenarioReport>;
/** Two providers; the primary answers 500 for `outageMs` after `warmup` results; see chaos/provider-outage.js. */
export function providerOutage(options?: Common & { concurrency?: number; warmup?: number; outageMs?: number; afterMs?: number }): Promise<ScenarioReport>;
/** `timedHeld: false`: a missed machine-dependent bar is printed as "·", not "✗" (the tests do not fail on it). */
export function formatReport(report: ScenarioReport, options?: { timedHeld?: boolean }): string;
