import { afterAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, userEnv } from '../helpers/fleet.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * `lightning init` writes the committed template, never the installed package's live agents.yaml:
 * an installed copy whose agents.yaml its owner edited (an agent added) must not leak that agent
 * into a new project.
 */
describe('lightning init writes a clean template', () => {
  it('ignores agents added to the package’s own agents.yaml', async () => {
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'lightning-pkg-'));
    dirs.push(pkg);
    for (const entry of ['bin', 'dist-bundle', 'templates', 'agents.yaml', 'agents.schema.json', 'package.json']) {
      cpSync(path.join(ROOT, entry), path.join(pkg, entry), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    appendFileSync(path.join(pkg, 'agents.yaml'), '  private_invoice_bot:\n    port: 9042\n    description: our local secret sauce\n    command: ["python3", "agents/private.py"]\n');

    const project = mkdtempSync(path.join(os.tmpdir(), 'lightning-init-'));
    dirs.push(project);
    const result = await execa(process.execPath, [path.join(pkg, 'bin/lightning.js'), 'init', 'fleet'], { cwd: project, env: userEnv(), extendEnv: false, reject: false });
    expect(result.exitCode).toBe(0);
    const written = readFileSync(path.join(project, 'fleet/agents.yaml'), 'utf8');
    expect(written).not.toContain('private_invoice_bot');
    expect(written).not.toContain('9042');
    expect(written).toBe(readFileSync(path.join(ROOT, 'templates/init-agents.yaml'), 'utf8'));
    for (const agent of ['web_developer', 'data_analyst', 'security_expert', 'devops_engineer', 'qa_tester', 'general_assistant']) {
      expect(written).toContain(`\n  ${agent}:\n`);
    }
    // And what it wrote is a fleet the CLI accepts.
    const doctor = await execa(process.execPath, [path.join(pkg, 'bin/lightning.js'), 'doctor', '--json'], { cwd: path.join(project, 'fleet'), env: userEnv(), extendEnv: false, reject: false });
    const findings = (JSON.parse(doctor.stdout) as { findings: { check: string; status: string }[] }).findings;
    expect(findings.find((finding) => finding.check === 'config')?.status).toBe('ok');
  });

  it('ships in the package, which is named lightning-fleet and installs the command lightning', async () => {
    // --ignore-scripts: the build (prepare) has already run for the integration tests.
    const pack = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, env: userEnv(), extendEnv: false });
    const [info] = JSON.parse(pack.stdout) as { name: string; files: { path: string }[] }[];
    expect(info!.name).toBe('lightning-fleet');
    const files = info!.files.map((file) => file.path);
    for (const file of ['templates/init-agents.yaml', 'bin/lightning.js', 'bin/package.json', 'dist-bundle/cli.cjs', 'dist-bundle/up.cjs', 'dist-bundle/main.js', 'dist-bundle/worker.cjs', 'dist-bundle/daemon.cjs', 'dist-bundle/daemon-main.cjs', 'dist-bundle/config-load.cjs', 'dist-bundle/config-errors.cjs', 'agents.schema.json', 'templates/prompts/qa_tester.md']) expect(files).toContain(file);
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(manifest.bin).toEqual({ lightning: 'bin/lightning.js' });
  });
});
