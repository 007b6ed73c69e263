// A scenario's outcome as text: its figures, then each bar with ✓ or ✗.
// `timedHeld: false` (the slim copies in the tests) prints a missed machine-dependent bar as "·",
// not "✗": a test never prints ✗ for a bar it does not fail on; `npm run chaos` holds them all.
export function formatReport(report, { timedHeld = true } = {}) {
  const lines = [`── ${report.name}`];
  const width = Math.max(...Object.keys(report.figures).map((key) => key.length));
  for (const [key, value] of Object.entries(report.figures)) lines.push(`   ${key.padEnd(width)}  ${value}`);
  for (const { name, ok, detail, timed } of report.bars) {
    const mark = ok ? '✓' : timed && !timedHeld ? '·' : '✗';
    const note = timed ? (ok || timedHeld ? ' (machine-dependent)' : ' (machine-dependent, missed on this run; held by `npm run chaos`)') : '';
    lines.push(`   ${mark} ${name}${note} — ${detail}`);
  }
  return lines.join('\n');
}
