// What a user downloads and installs: the npm package (`npm pack`), a global install of it (time
// and size on disk, with npm's cache warm, as on a second machine of a team), and the single
// executable (`npm run build:binary`, built by ./cli-builds.js earlier in the same run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICK, ROOT, removeDir, summary } from './lib.js';

const INSTALL_RUNS = QUICK ? 1 : 3;
const MIB = 1024 * 1024;

/** Bytes under `dir`, files only, symlinks not followed. */
function diskBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += diskBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

export async function run() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-sizes-'));
  try {
    // --ignore-scripts: `prepare` would rebuild; the bench already built what is packed.
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const tarball = path.join(work, packed.filename);
    const rows = [
      { key: 'pack', label: '`npm pack` tarball', unit: 'MiB', runs: [packed.size / MIB] },
      { key: 'unpacked', label: 'package unpacked', unit: 'MiB', runs: [packed.unpackedSize / MIB] },
    ];
    const installs = [];
    let installed = null;
    for (let i = 0; i < INSTALL_RUNS; i += 1) {
      const prefix = path.join(work, `global-${i}`);
      const started = performance.now();
      const result = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { encoding: 'utf8' });
      if (result.status !== 0) {
        console.log(`global install failed (left out of the report): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
        break;
      }
      installs.push(performance.now() - started);
      installed = diskBytes(prefix) / MIB;
    }
    if (installs.length > 0) {
      rows.push({ key: 'install', label: '`npm install -g` of the tarball (npm cache warm)', unit: 'ms', runs: installs });
      rows.push({ key: 'installed', label: 'global install on disk', unit: 'MiB', runs: [installed] });
    }
    const binary = path.join(ROOT, 'dist-binary', 'lightning');
    if (existsSync(binary)) rows.push({ key: 'binary', label: 'single executable (`dist-binary/lightning`)', unit: 'MiB', runs: [statSync(binary).size / MIB] });
    console.log(`npm pack ${(packed.size / MIB).toFixed(2)} MiB (${(packed.unpackedSize / MIB).toFixed(2)} MiB unpacked, ${packed.entryCount} files)` +
      (installs.length ? `; global install ${summary(installs)}, ${installed.toFixed(1)} MiB` : ''));
    return [
      {
        id: 'sizes',
        title: 'Package and binary sizes',
        method:
          `\`npm pack\` of this checkout (${packed.entryCount} files: the bundle, templates, bin; runtime dependencies only what cannot be bundled), ` +
          `then \`npm install -g --prefix DIR --prefer-offline\` of that tarball ${INSTALL_RUNS}× into fresh directories (npm's cache warm: the registry is not what is measured), ` +
          'its size on disk (files under DIR), and the single executable built by `npm run build:binary` (Node itself plus the bundle and templates as SEA assets).',
        rows,
      },
    ];
  } finally {
    removeDir(work);
  }
}
