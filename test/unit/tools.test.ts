import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PATH_LIMIT_BYTES, PATH_SEGMENT_LIMIT_BYTES, READ_LIMIT_BYTES, WRITE_LIMIT_BYTES, WorkspaceTools, confinePath } from '../../src/worker/model/tools.js';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A workspace plus a sibling "outside" directory holding a secret, like /etc next to a task. */
function setup(): { workspace: string; outside: string; tools: WorkspaceTools } {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-tools-')));
  tmpDirs.push(base);
  const workspace = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(workspace);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
  return { workspace, outside, tools: new WorkspaceTools(workspace, { shell: false }) };
}

const args = (value: Record<string, unknown>): string => JSON.stringify(value);

describe('workspace tools', () => {
  it('writes, reads and lists inside the workspace and tracks written files', async () => {
    const { workspace, tools } = setup();
    const write = await tools.run('write_file', args({ path: 'src/app.js', content: 'console.log(1);\n' }));
    expect(write).toMatchObject({ ok: true, content: 'wrote 16 bytes to src/app.js' });
    expect(fs.readFileSync(path.join(workspace, 'src/app.js'), 'utf8')).toBe('console.log(1);\n');
    expect(await tools.run('read_file', args({ path: './src/app.js' }))).toMatchObject({ ok: true, content: 'console.log(1);\n' });
    expect((await tools.run('list_files', '{}')).content).toBe('src/\nsrc/app.js');
    expect((await tools.run('list_files', args({ path: 'src' }))).content).toBe('src/app.js');
    // An absolute path that stays inside the workspace is fine.
    expect((await tools.run('read_file', args({ path: path.join(workspace, 'src/app.js') }))).ok).toBe(true);
    expect([...tools.written]).toEqual(['src/app.js']);
  });

  it.each([
    ['../outside/secret.txt'],
    ['../../etc/passwd'],
    ['/etc/passwd'],
    ['src/../../outside/secret.txt'],
  ])('refuses the escaping path %s', async (escape) => {
    const { tools } = setup();
    for (const tool of ['read_file', 'write_file', 'list_files']) {
      const result = await tools.run(tool, args({ path: escape, content: 'x' }));
      expect(result.ok).toBe(false);
      expect(result.content).toBe(`error: path escapes the workspace: ${escape}`);
    }
    expect(tools.written.size).toBe(0);
  });

  it('refuses to read or write through symlinks that point outside', async () => {
    const { workspace, outside, tools } = setup();
    fs.symlinkSync(outside, path.join(workspace, 'link-dir'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'link-file'));
    fs.symlinkSync(path.join(outside, 'new.txt'), path.join(workspace, 'dangling'));
    for (const [tool, target] of [
      ['read_file', 'link-dir/secret.txt'],
      ['read_file', 'link-file'],
      ['write_file', 'link-dir/new.txt'],
      ['write_file', 'link-dir/deep/new.txt'],
      ['write_file', 'link-file'],
      ['write_file', 'dangling'],
      ['list_files', 'link-dir'],
    ] as const) {
      const result = await tools.run(tool, args({ path: target, content: 'pwned' }));
      expect(result.content).toMatch(new RegExp(`^error: path escapes the workspace: ${target}`));
    }
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    // Listing shows symlinks without following them.
    expect((await tools.run('list_files', '{}')).content).toBe('dangling (symlink)\nlink-dir (symlink)\nlink-file (symlink)');
  });

  it('allows symlinks that stay inside the workspace', async () => {
    const { workspace, tools } = setup();
    fs.mkdirSync(path.join(workspace, 'real'));
    fs.symlinkSync(path.join(workspace, 'real'), path.join(workspace, 'alias'));
    expect((await tools.run('write_file', args({ path: 'alias/a.txt', content: 'A' }))).ok).toBe(true);
    expect(fs.readFileSync(path.join(workspace, 'real/a.txt'), 'utf8')).toBe('A');
  });

  it('enforces size limits', async () => {
    const { workspace, tools } = setup();
    fs.writeFileSync(path.join(workspace, 'big.bin'), Buffer.alloc(READ_LIMIT_BYTES + 1));
    expect((await tools.run('read_file', args({ path: 'big.bin' }))).content).toMatch(/^error: big.bin is 262145 bytes, over the 256 KiB read limit/);
    const tooBig = await tools.run('write_file', args({ path: 'x.txt', content: 'x'.repeat(WRITE_LIMIT_BYTES + 1) }));
    expect(tooBig.content).toMatch(/over the 1024 KiB write limit/);
    expect(fs.existsSync(path.join(workspace, 'x.txt'))).toBe(false);
  });

  it('reports bad arguments, missing files and unknown tools as results, never throws', async () => {
    const { tools } = setup();
    expect((await tools.run('write_file', '{"path": "a.txt", "content": ')).content).toMatch(/^error: invalid JSON arguments for write_file: /);
    expect((await tools.run('read_file', '[1]')).content).toMatch(/must be a JSON object/);
    expect((await tools.run('read_file', '{}')).content).toBe('error: path must be a non-empty string');
    expect((await tools.run('write_file', args({ path: 'a.txt', content: 42 }))).content).toBe('error: content must be a string');
    expect((await tools.run('read_file', args({ path: 'missing.txt' }))).content).toMatch(/^error: ENOENT: /);
    expect((await tools.run('read_file', args({ path: 'missing.txt' }))).content).not.toContain(os.tmpdir());
    expect((await tools.run('run_shell', args({ command: 'id' }))).content).toBe('error: unknown tool run_shell; available: list_files, read_file, write_file');
  });

  it('refuses untrusted paths: long segments, long paths, control characters — and creates nothing', async () => {
    const { workspace, tools } = setup();
    // What a small model really sent: a sentence with slashes in it as the file name.
    const sentence = 'The report/analysis of the quarterly numbers shows that revenue grew by 12% while costs/expenses ' +
      'stayed flat, which means the margin improved; see the attached tables and the notes/appendix for the details. '.repeat(6);
    expect(sentence.length).toBeGreaterThan(700);
    const refused = await tools.run('write_file', args({ path: sentence, content: 'x' }));
    expect(refused.ok).toBe(false);
    expect(refused.content).toBe(`error: path is ${Buffer.byteLength(sentence)} bytes, over the ${PATH_LIMIT_BYTES}-byte limit; use a short file name`);
    const segment = 'a'.repeat(PATH_SEGMENT_LIMIT_BYTES + 1);
    expect((await tools.run('write_file', args({ path: `dir/${segment}.txt`, content: 'x' }))).content).toMatch(
      new RegExp(`^error: a path segment is ${PATH_SEGMENT_LIMIT_BYTES + 5} bytes \\("a{40}…"\\), over the 255-byte limit`),
    );
    // Bytes, not characters: 128 two-byte characters are 256 bytes.
    expect((await tools.run('write_file', args({ path: 'é'.repeat(128), content: 'x' }))).content).toMatch(/^error: a path segment is 256 bytes/);
    expect((await tools.run('write_file', args({ path: 'ok\nname.txt', content: 'x' }))).content).toBe('error: path contains a control character (U+000A) at character 3; use a plain file name');
    expect((await tools.run('read_file', args({ path: 'a\u0000b' }))).content).toMatch(/^error: path contains a control character \(U\+0000\)/);
    expect((await tools.run('list_files', args({ path: 'x\u009by' }))).content).toMatch(/^error: path contains a control character \(U\+009B\)/);
    // Within the limits, what llama.cpp's tiny model really sent as file names: prose, in no portable name.
    const prose: Array<[string, RegExp]> = [
      ['arguments? Because light attracts bugs.2 * 2. I found.0.2. Official docs/guide.md', /^error: path contains "\?" at character 10, which no portable file name has; use a plain file name$/],
      ['10.0.2. I am a temperature of people: hello.txt', /^error: path contains ":" at character 37/],
      ['src\\index.ts', /^error: path contains "\\\\" at character 4, which no portable file name has \(separate directories with \/\)/],
      ['arguments borrow checker is Paris.2 ', /^error: a path segment starts with a space or ends with a space or a dot \("arguments borrow checker is Paris.2 "\)/],
      ['notes/ draft.md', /^error: a path segment starts with a space/],
      ['notes./a.md', /^error: a path segment starts with a space or ends with a space or a dot \("notes\."\)/],
      ['hello worldwork/project world.0.0.0. Official docs/guide.md. Official docs/guide.md', /^error: a path segment reads as a sentence, not a name \("\. " in "project world\.0\.0\.0\. Official docs"\); use a plain file name$/],
    ];
    for (const [name, error] of prose) expect((await tools.run('write_file', args({ path: name, content: 'x' }))).content).toMatch(error);
    expect(fs.readdirSync(workspace)).toEqual([]);
    // Dots and spaces inside a name, dot segments, and dot files are fine.
    for (const name of ['my notes v1.2.md', './a/../b.txt', '.env', 'docs/guide.md', 'Q3 report.final.md']) expect([name, (await tools.run('write_file', args({ path: name, content: 'x' }))).ok]).toEqual([name, true]);
    // At the limits exactly, a path is fine.
    const longest = `${'a'.repeat(100)}/${'b'.repeat(PATH_SEGMENT_LIMIT_BYTES)}/${'c'.repeat(PATH_LIMIT_BYTES - PATH_SEGMENT_LIMIT_BYTES - 102)}`;
    expect(Buffer.byteLength(longest)).toBe(PATH_LIMIT_BYTES);
    expect((await tools.run('write_file', args({ path: longest, content: 'fine' }))).ok).toBe(true);
  });

  it('confinePath gives workspace-relative paths', async () => {
    const { workspace } = setup();
    await expect(confinePath(workspace, 'a/b/../c.txt')).resolves.toEqual({ abs: path.join(workspace, 'a/c.txt'), rel: 'a/c.txt' });
    await expect(confinePath(workspace, '.')).resolves.toEqual({ abs: workspace, rel: '.' });
  });

  it('offers run_shell only when enabled, in the workspace, without hidden variables', async () => {
    const { workspace } = setup();
    const tools = new WorkspaceTools(workspace, { shell: true, env: { ...process.env, SECRET_KEY: 'sk-hidden' }, hiddenEnv: ['SECRET_KEY'] });
    expect(tools.names).toContain('run_shell');
    const result = await tools.run('run_shell', args({ command: 'pwd; echo "key=${SECRET_KEY:-unset}"' }));
    expect(result).toMatchObject({ ok: true, content: `exit 0\n${workspace}\nkey=unset\n` });
    expect((await tools.run('run_shell', args({ command: 'exit 3' }))).content).toBe('error: exit 3\n');
  });

  it('kills a running shell command when the task is cancelled', async () => {
    const { workspace } = setup();
    const controller = new AbortController();
    const tools = new WorkspaceTools(workspace, { shell: true, signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const result = await tools.run('run_shell', args({ command: 'sleep 20' }));
    expect(result.content).toMatch(/^error: command cancelled/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
