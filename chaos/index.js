// The chaos scenarios, each a function of its sizes: `npm run chaos` runs them full size
// (chaos/run.js) and test/integration/chaos.test.ts runs them slim.
export { shippedFleet } from './shipped-fleet.js';
export { workerKills } from './worker-kills.js';
export { supervisorKill } from './supervisor-kill.js';
export { hangingWorker } from './hang.js';
export { modelOutage } from './model-outage.js';
export { providerOutage } from './provider-outage.js';
export { formatReport } from './report.js';
