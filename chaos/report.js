// A scenario's outcome as text: its figures, then each bar with ✓ or ✗.
export function formatReport(report) {
  const lines = [`── ${report.name}`];
  const width = Math.max(...Object.keys(report.figures).map((key) => key.length));
  for (const [key, value] of Object.entries(report.figures)) lines.push(`   ${key.padEnd(width)}  ${value}`);
  for (const { name, ok, detail, timed } of report.bars) lines.push(`   ${ok ? '✓' : '✗'} ${name}${timed ? ' (machine-dependent)' : ''} — ${detail}`);
  return lines.join('\n');
}
