#!/usr/bin/env node
// `npm run build:binary`: dist-binary/lightning, a Node single executable application — one file
// holding Node, every command, the supervisor daemon and the worker (it spawns itself as those,
// see src/cli/binary-entry.ts), with templates/ embedded as the SEA asset templates.json.
// The documented route (https://nodejs.org/api/single-executable-applications.html):
//   1. bundle the program into one CommonJS file (scripts/bundle.mjs binaryBundle)
//   2. node --experimental-sea-config sea-config.json   → the preparation blob
//   3. copy the node binary and inject the blob with postject
// On a Node that has `node --build-sea` (v25+), that one command does 2 and 3.
// The result runs on hosts like this one (same OS and CPU, glibc at least as new); build on each
// target platform for others.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { binaryBundle, ROOT } from './bundle.mjs';

const OUT = path.join(ROOT, 'dist-binary');
const BINARY = path.join(OUT, process.platform === 'win32' ? 'lightning.exe' : 'lightning');
const SEA_CONFIG = path.join(ROOT, 'sea-config.json');
// The fuse every official node binary carries, which postject flips (from the Node docs).
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const started = performance.now();
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const config = JSON.parse(readFileSync(SEA_CONFIG, 'utf8'));

await binaryBundle(path.join(ROOT, config.main));
writeFileSync(path.join(ROOT, config.assets['templates.json']), JSON.stringify(templateFiles(path.join(ROOT, 'templates'))));

const run = (file, args) => execFileSync(file, args, { cwd: ROOT, stdio: 'inherit' });
if (hasBuildSea()) {
  const configWithBinary = path.join(OUT, 'sea-config.json');
  writeFileSync(configWithBinary, JSON.stringify({ ...config, executable: process.execPath, output: path.relative(ROOT, BINARY) }));
  run(process.execPath, ['--build-sea', configWithBinary]);
} else {
  run(process.execPath, ['--experimental-sea-config', SEA_CONFIG]);
  copyFileSync(process.execPath, BINARY);
  chmodSync(BINARY, 0o755);
  if (process.platform === 'darwin') run('codesign', ['--remove-signature', BINARY]);
  const postject = path.join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  run(process.execPath, [postject, BINARY, 'NODE_SEA_BLOB', path.join(ROOT, config.output), '--sentinel-fuse', FUSE, ...(process.platform === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [])]);
  if (process.platform === 'darwin') run('codesign', ['--sign', '-', BINARY]);
}
const version = execFileSync(BINARY, ['--version'], { encoding: 'utf8' }).trim();
const size = statSync(BINARY).size / 1024 / 1024;
console.log(`built ${path.relative(ROOT, BINARY)} (lightning ${version}, ${size.toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

/** Every file under templates/ as { "relative/path": "text" }, minus caches and dotfiles. */
function templateFiles(dir) {
  const files = {};
  const walk = (relative) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files[child.split(path.sep).join('/')] = readFileSync(path.join(dir, child), 'utf8');
    }
  };
  walk('');
  return files;
}

function hasBuildSea() {
  return execFileSync(process.execPath, ['--help'], { encoding: 'utf8' }).includes('--build-sea');
}
