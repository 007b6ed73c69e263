import { describe, expect, it } from '@jest/globals';
import { renderStatusTable } from '../../src/cli/render/status-table.js';
import type { InstanceStatus, StatusDocument } from '../../src/protocol/status.js';

const LONG_REASON =
  'port 9003 for security_expert#0 is already in use by pid 4242 (/usr/bin/python3 -m http.server 9003 --bind 127.0.0.1 --directory /srv/some/very/long/path/of/a/project); waiting for the port to be free (checked again every 30s)';

function instance(name: string, index: number, extra: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name, instance: index, kind: 'local', url: null, leaseExpiresAt: null, pid: 40000 + index, port: 9001 + index, state: 'healthy',
    restarts: 0, lastExit: null, reason: null, nextRestartAt: null, uptimeMs: 65_000, inflight: 0, capacity: 4, healthLatencyMs: 1,
    capabilities: ['x'], tasks: { completed: 0, failed: 0 }, ...extra,
  };
}

const document: StatusDocument = {
  supervisor: { pid: 1234, api: 'http://127.0.0.1:9000', config: '/home/someone/projects/a-rather-long-directory-name/agents.yaml', startedAt: '2025-01-01T00:00:00Z' },
  agents: [
    instance('web_developer', 0),
    instance('general_assistant', 1),
    instance('security_expert', 2, { state: 'backoff', pid: null, lastExit: 'exited with code 1', reason: LONG_REASON, restarts: 3, nextRestartAt: new Date(Date.now() + 5000).toISOString(), uptimeMs: null }),
  ],
};

describe('lightning status fits the terminal', () => {
  it('at 80 columns: no line is wider, the long reason is cut with "…", the next restart joins it', () => {
    const text = renderStatusTable(document, { columns: 80 });
    const lines = text.split('\n');
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    const row = lines.find((line) => line.startsWith('security_expert#2'))!;
    expect(row).toMatch(/ restart in \S+ · .*…$/);
    // Short rows are not padded out to the long reason's width.
    expect(lines.find((line) => line.startsWith('web_developer#0'))!.length).toBeLessThan(70);
    expect(lines[1]).toMatch(/^AGENT +STATE +PID +PORT +RESTARTS +UPTIME +REASON$/);
  });

  it('wide enough: every column as it is, nothing cut', () => {
    const text = renderStatusTable(document, { columns: 400 });
    expect(text).toContain(LONG_REASON);
    expect(text).toContain('NEXT RESTART');
  });

  it('not a terminal (columns null): whole lines, for grep', () => {
    const text = renderStatusTable(document, { columns: null });
    expect(text).toContain(LONG_REASON);
    expect(text).not.toContain('…');
  });
});

describe('lightning status: a cooling model provider', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cooling = {
    ...document,
    agents: [instance('web_developer', 0, { cooling: [{ provider: 'gpt-4o-mini at https://api.openai.com/v1', until: new Date(now + 4000).toISOString() }] }), instance('general_assistant', 1)],
  };

  it('is a line under the table naming the instance, the provider and when it is tried again', () => {
    const text = renderStatusTable(cooling, { now, columns: null });
    expect(text).toContain('COOLING web_developer#0: gpt-4o-mini at https://api.openai.com/v1 put aside after failures, tried again in 4.0s');
    expect(renderStatusTable(document, { now, columns: null })).not.toContain('COOLING');
  });

  it('fits the terminal like the rest', () => {
    const lines = renderStatusTable(cooling, { now, columns: 80 }).split('\n');
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    expect(lines.find((line) => line.startsWith('COOLING web_developer#0'))).toMatch(/…$/);
  });
});
