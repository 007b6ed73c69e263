import type http from 'node:http';

/**
 * A request body, or null once it is over `limit` bytes: the one bounded body reader of every
 * server in lightning. The rest of an oversized body is read and dropped rather than the socket
 * destroyed: a destroyed socket reaches the client as a reset, never as the 413 that says what
 * was wrong. Rejects when the stream fails (the client went away mid-body).
 */
export function readBoundedBody(request: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    request.once('error', (error) => {
      if (!over) reject(error);
    });
  });
}
