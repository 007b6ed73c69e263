import type http from 'node:http';

/**
 * Server-sent events, the one codec: every SSE stream lightning writes (the control API's task
 * streams, the A2A endpoints of the supervisor and the workers) and every one it reads (the
 * supervisor reading a worker, the CLI reading the supervisor) goes through here.
 */

export const SSE_CONTENT_TYPE = 'text/event-stream';

/** One event as it travels: its `event:` name (null: none, i.e. "message") and its data text. */
export interface SseFrame {
  event: string | null;
  data: string;
}

/** One event on the wire: `event: name` (if named) and the data, each of its lines a `data:` line. */
export function encodeSse(data: unknown, event: string | null = null): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  const lines = text.includes('\n') ? text.split('\n').map((line) => `data: ${line}`).join('\n') : `data: ${text}`;
  return event === null ? `${lines}\n\n` : `event: ${event}\n${lines}\n\n`;
}

/** A comment line: ignored by every reader, it keeps idle connections (and proxies) open. */
export function encodeSseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** Starts an SSE response: status 200, no caching, the connection kept open. */
export function openSseResponse(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/**
 * Splits a stream's text into events as chunks arrive: push() returns the events each chunk
 * completes. Comments and blocks without data are skipped; CRLF line ends are accepted.
 */
export class SseDecoder {
  private buffer = '';

  /** A chunk that ended in CR: held back, it may be the first half of a CRLF. */
  private carriageReturn = false;

  push(chunk: string): SseFrame[] {
    let text = this.carriageReturn ? `\r${chunk}` : chunk;
    this.carriageReturn = text.endsWith('\r');
    if (this.carriageReturn) text = text.slice(0, -1);
    this.buffer += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
    const frames: SseFrame[] = [];
    let start = 0;
    let boundary = this.buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const frame = parseBlock(this.buffer.slice(start, boundary));
      if (frame) frames.push(frame);
      start = boundary + 2;
      boundary = this.buffer.indexOf('\n\n', start);
    }
    if (start > 0) this.buffer = this.buffer.slice(start);
    return frames;
  }
}

/**
 * Reads an SSE body (a Node stream, an undici body) to its end, handing over each event as it
 * completes. Event-driven rather than `for await`: this is the supervisor's task hot path, and an
 * async iterator costs promises per chunk. An `onFrame` that throws stops the stream and rejects.
 */
export function readSse(body: NodeJS.ReadableStream & { destroy(error?: Error): unknown }, onFrame: (frame: SseFrame) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const decoder = new SseDecoder();
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    // Bytes decoded here, not by setEncoding(): undici's body ignores that.
    const text = new TextDecoder();
    body.on('data', (chunk: Buffer | string) => {
      if (settled) return;
      try {
        for (const frame of decoder.push(typeof chunk === 'string' ? chunk : text.decode(chunk, { stream: true }))) onFrame(frame);
      } catch (error) {
        fail(error as Error);
        body.destroy();
      }
    });
    body.once('end', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    body.once('error', fail);
    // A stream destroyed without an error (the request was aborted) never ends: say so.
    body.once('close', () => fail(new Error('the stream closed before its end')));
  });
}

function parseBlock(block: string): SseFrame | null {
  let event: string | null = null;
  let data: string | null = null;
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) {
      const value = line.slice(line.startsWith('data: ') ? 6 : 5);
      data = data === null ? value : `${data}\n${value}`;
    } else if (line.startsWith('event:')) {
      event = line.slice(6).trim();
    }
  }
  return data === null || data === '' ? null : { event, data };
}
