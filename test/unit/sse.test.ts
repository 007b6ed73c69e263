import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBoundedBody } from '../../src/util/body.js';
import { Readable } from 'node:stream';
import { SseDecoder, encodeSse, encodeSseComment, readSse } from '../../src/util/sse.js';

describe('the SSE codec', () => {
  it('decodes what it encodes: named and unnamed events, JSON and multi-line text', () => {
    const wire = encodeSse({ a: 1, text: 'two\nlines' }, 'task.routed') + encodeSseComment('keep-alive') + encodeSse('first\nsecond') + encodeSse({ b: 2 });
    const frames = new SseDecoder().push(wire);
    expect(frames).toEqual([
      { event: 'task.routed', data: JSON.stringify({ a: 1, text: 'two\nlines' }) },
      { event: null, data: 'first\nsecond' },
      { event: null, data: '{"b":2}' },
    ]);
  });

  it('keeps an event split across chunks whole, at any split point, and accepts CRLF', () => {
    const wire = encodeSse({ output: 'héllo' }, 'result') + 'event: x\r\ndata: y\r\n\r\n';
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const decoder = new SseDecoder();
      const frames = [...decoder.push(wire.slice(0, cut)), ...decoder.push(wire.slice(cut))];
      expect(frames).toEqual([
        { event: 'result', data: '{"output":"héllo"}' },
        { event: 'x', data: 'y' },
      ]);
    }
  });

  it('reads a byte stream whose chunks split a multi-byte character, to its end', async () => {
    const bytes = Buffer.from(encodeSse({ text: '→ ✓' }) + encodeSse('last', 'result'));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.subarray(i * 3, i * 3 + 3));
    const frames: unknown[] = [];
    await readSse(Readable.from(chunks), (frame) => frames.push(frame));
    expect(frames).toEqual([
      { event: null, data: '{"text":"→ ✓"}' },
      { event: 'result', data: 'last' },
    ]);
  });

  it('rejects when a handler throws, and when the stream fails or is destroyed before its end', async () => {
    await expect(readSse(Readable.from([Buffer.from(encodeSse('x'))]), () => { throw new Error('bad event'); })).rejects.toThrow('bad event');
    const failing = new Readable({ read() { this.destroy(new Error('reset')); } });
    await expect(readSse(failing, () => undefined)).rejects.toThrow('reset');
    const aborted = new Readable({ read() { this.destroy(); } });
    await expect(readSse(aborted, () => undefined)).rejects.toThrow('closed before its end');
  });
});

describe('the bounded body reader', () => {
  async function post(body: Buffer, limit: number): Promise<{ status: number; text: string }> {
    const server = http.createServer((request, response) => {
      void readBoundedBody(request, limit).then((read) => {
        response.writeHead(read === null ? 413 : 200);
        response.end(read === null ? 'too large' : `${read.length}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body });
      return { status: response.status, text: await response.text() };
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('reads a body up to the limit and answers a larger one (no reset) with null', async () => {
    expect(await post(Buffer.alloc(1000, 1), 1000)).toEqual({ status: 200, text: '1000' });
    expect(await post(Buffer.alloc(200_000, 1), 1000)).toEqual({ status: 413, text: 'too large' });
  });
});
