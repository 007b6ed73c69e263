/**
 * Port preflight for agents that serve HTTP. A worker that cannot bind its port dies with an
 * EADDRINUSE buried in its log and then crash-loops; checking before spawning lets `lightning up`
 * say which process holds the port instead.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import net from 'node:net';

const COMMAND_MAX = 120;

/**
 * True when nothing listens on host:port. `exclusive` keeps cluster workers from sharing a handle,
 * so the answer is about the kernel's view, not this process's. Errors other than "in use" or
 * "not permitted" (e.g. a host that is not a local address) are real mistakes and reject.
 */
export function checkPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the kernel considers free right now (another process may still take it before use). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => {
        if (port === null) reject(new Error('could not read the port the kernel assigned'));
        else resolve(port);
      });
    });
  });
}

export interface PortListener {
  pid: number;
  command: string;
}

/**
 * The process listening on a TCP port, found the way `ss -p` does it: the socket inode from
 * /proc/net/tcp{,6}, then the process holding an fd to that inode. Null when not found, when the
 * owner's fds are unreadable (another user's process), or when there is no /proc (not Linux).
 */
export async function findListener(port: number): Promise<PortListener | null> {
  const inodes = await listeningInodes(port);
  if (inodes === null || inodes.size === 0) return null;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
  // Lowest pid first: when a listening socket is shared after fork, the parent is the one to name.
  for (const pid of pids) {
    if (await holdsSocket(pid, inodes)) {
      return { pid, command: await readCommand(pid) };
    }
  }
  return null;
}

/** A one-line explanation for `lightning up` when an agent's port is taken. */
export async function describePortConflict(port: number, agentLabel: string): Promise<string> {
  const hint = "stop that process or change the agent's port in agents.yaml";
  let listener: PortListener | null = null;
  try {
    listener = await findListener(port);
  } catch {
    // Best effort only: the conflict itself is what matters, not who holds the port.
  }
  const owner = listener
    ? `pid ${listener.pid}${listener.command ? ` (${listener.command})` : ''}`
    : 'another process (pid unknown)';
  return `port ${port} for ${agentLabel} is already in use by ${owner}; ${hint}`;
}

/** Inodes of LISTEN sockets on `port`, IPv4 and IPv6; null when neither table is readable. */
async function listeningInodes(port: number): Promise<Set<string> | null> {
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue; // tcp6 is absent when IPv6 is disabled; both are absent off Linux.
    }
    readAny = true;
    // Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (!local || state !== '0A' || !inode || inode === '0') continue; // 0A = TCP_LISTEN
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (localPort === port) inodes.add(inode);
    }
  }
  return readAny ? inodes : null;
}

async function holdsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = await readdir(dir);
  } catch {
    return false; // EACCES for other users' processes, ENOENT when the process just exited.
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = await readlink(`${dir}/${fd}`);
    } catch {
      continue; // The fd was closed between readdir and readlink.
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] && inodes.has(match[1])) return true;
  }
  return false;
}

/** argv joined with spaces, cut to fit a log line; kernel threads fall back to [comm]. */
async function readCommand(pid: number): Promise<string> {
  let command = '';
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    command = raw.split('\0').filter((arg) => arg.length > 0).join(' ');
  } catch {
    // Process exited after we matched it: report the pid alone.
  }
  if (!command) {
    try {
      command = `[${(await readFile(`/proc/${pid}/comm`, 'utf8')).trim()}]`;
    } catch {
      return '';
    }
  }
  return command.length > COMMAND_MAX ? `${command.slice(0, COMMAND_MAX - 1)}…` : command;
}
