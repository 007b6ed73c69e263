import dc from 'node:diagnostics_channel';
const byOrigin = {};
dc.subscribe('undici:client:connected', (m) => { const k = `${m.connectParams.hostname}:${m.connectParams.port}`; byOrigin[k] = (byOrigin[k] ?? 0) + 1; });
process.on('exit', () => console.log(byOrigin));
await import('./_dbg2b.tmp.mjs');
