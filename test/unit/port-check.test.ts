import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import {
  checkPortFree,
  describePortConflict,
  findFreePort,
  findListener,
} from '../../src/supervisor/port-check.js';

const linuxIt = process.platform === 'linux' ? it : it.skip;

let servers: net.Server[] = [];
let children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  for (const child of children) child.kill('SIGKILL');
  children = [];
});

async function listen(): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

describe('checkPortFree / findFreePort', () => {
  it('reports a port with a live listener as taken', async () => {
    const port = await listen();
    await expect(checkPortFree(port)).resolves.toBe(false);
  });

  it('reports a free port as free, and findFreePort hands out usable ports', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    await expect(checkPortFree(port)).resolves.toBe(true);
    // Checking must not leave the port bound.
    await expect(checkPortFree(port)).resolves.toBe(true);
  });

  it('rejects on errors that are not about the port being taken', async () => {
    await expect(checkPortFree(0, '203.0.113.1')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });
});

describe('findListener', () => {
  linuxIt('finds this very process and its command line', async () => {
    const port = await listen();
    const listener = await findListener(port);
    expect(listener?.pid).toBe(process.pid);
    const own = readFileSync('/proc/self/cmdline', 'utf8').split('\0').filter(Boolean).join(' ');
    expect(listener?.command.length).toBeLessThanOrEqual(120);
    expect(own.startsWith(listener?.command.replace(/…$/, '') ?? '<none>')).toBe(true);
  });

  linuxIt('finds a listener in another process', async () => {
    const script =
      "require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)})";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    const listener = await findListener(port);
    expect(listener?.pid).toBe(child.pid);
    expect(listener?.command).toContain(' -e require(');

    const message = await describePortConflict(port, 'web_developer#0');
    expect(message).toMatch(
      new RegExp(`^port ${port} for web_developer#0 is already in use by pid ${child.pid} \\(.+\\)`),
    );
    expect(message).toContain("stop that process or change the agent's port in agents.yaml");
  });

  it('returns null for a port nobody listens on', async () => {
    const port = await findFreePort();
    await expect(findListener(port)).resolves.toBeNull();
    await expect(describePortConflict(port, 'x#1')).resolves.toBe(
      `port ${port} for x#1 is already in use by another process (pid unknown); ` +
        "stop that process or change the agent's port in agents.yaml",
    );
  });
});
