#!/usr/bin/env node
// Starts this agent. Node 20 cannot run TypeScript, so every .ts file in this directory is first
// compiled to build/*.js with the TypeScript compiler (transpileModule: types are erased, not
// checked) whenever its source changed since the last build. An edit to agent.ts therefore takes
// effect at the agent's next restart, and an unchanged agent starts without loading the compiler.
//   node start.mjs          build if needed, then run build/agent.js
//   node start.mjs --build  build if needed, then exit
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The compiler `lightning new agent` used (lightning's own), tried last: see findTypeScript().
const SCAFFOLD_TYPESCRIPT = null;

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const sources = readdirSync(here).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
const outputOf = (file) => path.join(buildDir, file.replace(/\.ts$/, '.js'));
// The first line of each output names the source's hash: a changed source is rebuilt, whatever
// the files' times say (git checkouts, copies and clock changes all move mtimes).
const stampOf = (file) => `// built by start.mjs from ${file} sha256:${createHash('sha256').update(readFileSync(path.join(here, file))).digest('hex')}\n`;
const stale = sources.filter((file) => {
  const output = outputOf(file);
  return !existsSync(output) || !readFileSync(output, 'utf8').startsWith(stampOf(file));
});

if (stale.length > 0) {
  const ts = findTypeScript();
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(path.join(buildDir, 'package.json'), '{ "type": "module" }\n');
  let failed = false;
  for (const file of stale) {
    const source = readFileSync(path.join(here, file), 'utf8');
    const result = ts.transpileModule(source, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
    });
    const errors = result.diagnostics ?? [];
    for (const diagnostic of errors) {
      const { line, character } = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0) ?? { line: 0, character: 0 };
      console.error(`${path.join(here, file)}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
    if (errors.length > 0) failed = true;
    else writeFileSync(outputOf(file), stampOf(file) + result.outputText);
  }
  if (failed) {
    console.error('start.mjs: fix the errors above, then restart the agent');
    process.exit(1);
  }
  console.log(`start.mjs: compiled ${stale.join(', ')}`);
}

if (!process.argv.includes('--build')) {
  // Stack traces point at agent.ts lines, through the inline source maps.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(path.join(buildDir, 'agent.js')).href);
}

/**
 * The TypeScript compiler, from the first place that has one: this project (its node_modules, or
 * any parent's), the `lightning` on PATH (it ships the compiler as a dependency), or the
 * lightning that scaffolded this agent.
 */
function findTypeScript() {
  const places = [path.join(here, 'start.mjs')];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const bin = dir && path.join(dir, 'lightning');
    if (bin && existsSync(bin)) places.push(realpathSync(bin));
  }
  if (SCAFFOLD_TYPESCRIPT && existsSync(SCAFFOLD_TYPESCRIPT)) places.push(SCAFFOLD_TYPESCRIPT);
  for (const from of places) {
    try {
      const require = createRequire(from);
      return require(from === SCAFFOLD_TYPESCRIPT ? from : require.resolve('typescript'));
    } catch {
      // not there: try the next place
    }
  }
  console.error(
    `start.mjs: cannot compile ${stale.join(', ')}: the TypeScript compiler was not found in ${here} or its parents, ` +
      `next to a \`lightning\` on PATH, or at ${SCAFFOLD_TYPESCRIPT ?? '(no scaffold-time path)'}.\n` +
      '  fix: run `npm install --save-dev typescript` in your project directory, then restart the agent',
  );
  process.exit(1);
}
