const { run } = await import(process.argv[2] + '/bench/tasks.js');
const sections = await run();
const rows = sections[0].rows;
const { median } = await import(process.argv[2] + '/bench/lib.js');
for (const r of rows) console.log(`${r.label}: median ${median(r.runs).toFixed(2)} ${r.unit} [${r.runs.map((x) => x.toFixed(2)).join(', ')}]`);
process.exit(0);
