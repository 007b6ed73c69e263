import type http from 'node:http';

/** Content types whose bodies are text: the ones redacted (a workspace file's bytes are the task's). */
const TEXT_TYPES = /^(application\/json|text\/|application\/x-ndjson)/;

/**
 * Makes every text body this response sends pass through `redact` — the control API's one
 * boundary for secrets, whatever route or codec wrote it. writeHead's headers become implicit
 * ones so the content-length can follow the redacted body; a streamed body (SSE) is redacted
 * chunk by chunk.
 */
export function redactResponse(response: http.ServerResponse, redact: (text: string) => string): void {
  const write = response.write.bind(response) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => http.ServerResponse;
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => http.ServerResponse;
  /** Set while the real write/end run: Node's own implicit writeHead call must reach the real one. */
  let sending = false;
  const send = <T>(work: () => T): T => {
    sending = true;
    try {
      return work();
    } finally {
      sending = false;
    }
  };
  const isText = () => TEXT_TYPES.test(String(response.getHeader('content-type') ?? ''));
  const clean = (chunk: unknown): unknown => {
    if (!isText()) return chunk;
    if (typeof chunk === 'string') return redact(chunk);
    if (Buffer.isBuffer(chunk)) {
      const text = chunk.toString('utf8');
      const redacted = redact(text);
      return redacted === text ? chunk : Buffer.from(redacted, 'utf8');
    }
    return chunk;
  };
  response.writeHead = ((status: number, ...rest: unknown[]) => {
    if (sending) return writeHead(status, ...rest);
    response.statusCode = status;
    const headers = rest.find((item) => typeof item === 'object' && item !== null) as http.OutgoingHttpHeaders | unknown[] | undefined;
    const message = rest.find((item) => typeof item === 'string') as string | undefined;
    if (message !== undefined) response.statusMessage = message;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) response.setHeader(String(headers[i]), headers[i + 1] as string);
    } else if (headers) {
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) response.setHeader(name, value);
    }
    return response;
  }) as typeof response.writeHead;
  response.write = ((chunk: unknown, ...rest: unknown[]) => send(() => write(clean(chunk), ...rest))) as typeof response.write;
  response.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (chunk === undefined || typeof chunk === 'function') return send(() => end(...args));
    const body = clean(chunk);
    if (body !== chunk && !response.headersSent && response.hasHeader('content-length')) {
      response.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : (body as Buffer).length);
    }
    return send(() => end(body, ...args.slice(1)));
  }) as typeof response.end;
}
