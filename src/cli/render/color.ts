/** Colour only for a terminal that wants it: NO_COLOR (any value) and TERM=dumb turn it off. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== undefined) return false;
  if (process.env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type ColorName = keyof typeof CODES;

export function paint(text: string, color: ColorName, stream: NodeJS.WriteStream = process.stdout): string {
  return colorEnabled(stream) ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const STATE_COLORS: Record<string, ColorName> = {
  healthy: 'green',
  starting: 'cyan',
  unhealthy: 'yellow',
  backoff: 'yellow',
  failed: 'red',
  unreachable: 'red',
  stopping: 'gray',
  stopped: 'gray',
};

export function paintState(state: string, stream?: NodeJS.WriteStream): string {
  return paint(state, STATE_COLORS[state] ?? 'bold', stream);
}
