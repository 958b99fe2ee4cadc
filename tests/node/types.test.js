'use strict';
// The package's type declarations (src/index.d.ts, "types" in package.json) as a TypeScript
// user meets them: one run of tsc --strict --noEmit finds no error in types/user.ts, and one
// on exactly each line of types/misuse.ts marked "error:".

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const { PACKAGE_DIR, REPO_ROOT } = require('./support');

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const FIXTURES = path.join(__dirname, 'types');

/** A project whose node_modules/CyberSource is the package, as `npm install <folder>` makes it. */
function typeProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cybersource-node-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(PACKAGE_DIR, path.join(dir, 'node_modules', 'CyberSource'), 'dir');
  // node-redis, whose client a user passes to RedisTokenStore (a dev dependency here; ioredis's
  // own declarations do not compile under --strict without @types/redis-errors, so user.ts
  // declares an ioredis-shaped client itself).
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', 'redis'), path.join(dir, 'node_modules', 'redis'), 'dir');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'es2020',
      module: 'commonjs',
      moduleResolution: 'node10',
      lib: ['es2020'],
      types: ['node'],
      typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
      skipLibCheck: false,
      esModuleInterop: true, // as the Redis clients' own declarations need (tsc --init sets it)
    },
  }));
  return dir;
}

/** tsc --strict --noEmit on the fixtures, copied into the project; {status, errors, output}. */
function compile(dir) {
  for (const file of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
  }
  const result = spawnSync(process.execPath, [TSC, '--strict', '--noEmit', '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const errors = [...result.stdout.matchAll(/^(\S+)\((\d+),\d+\): error (TS\d+: .*)$/gm)]
    .map((match) => ({ file: match[1], line: Number(match[2]), text: match[3] }));
  return { status: result.status, errors, output: result.stdout + result.stderr };
}

describe('type declarations', () => {
  let dir;
  let result;

  before(() => {
    dir = typeProject();
    result = compile(dir);
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('package.json names src/index.d.ts, which exists beside src/index.js', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
    assert.equal(manifest.types, 'src/index.d.ts');
    assert.ok(fs.existsSync(path.join(PACKAGE_DIR, manifest.types)));
    assert.equal(path.dirname(manifest.types), path.dirname(manifest.main));
  });

  test('every export of the package is declared, and nothing else', () => {
    const declared = fs.readFileSync(path.join(PACKAGE_DIR, 'src', 'index.d.ts'), 'utf8');
    const classes = [...declared.matchAll(/^ {2}class (\w+)/gm)].map((match) => match[1]).sort();
    assert.deepEqual(classes, Object.keys(require(PACKAGE_DIR)).sort());
  });

  test('a user script compiles under tsc --strict --noEmit', () => {
    assert.deepEqual(result.errors.filter((error) => error.file !== 'misuse.ts'), [], result.output);
    assert.match(result.output, /^misuse\.ts\(/m, 'tsc checked both files in one run');
  });

  test('misuses fail to compile, each on its own line', () => {
    const source = fs.readFileSync(path.join(FIXTURES, 'misuse.ts'), 'utf8').split('\n');
    const marked = source.flatMap((line, index) => (/\/\/ error: /.test(line) ? [index + 1] : []));
    assert.ok(marked.length >= 10);
    assert.notEqual(result.status, 0);
    const misuses = result.errors.filter((error) => error.file === 'misuse.ts');
    const lines = [...new Set(misuses.map((error) => error.line))].sort((a, b) => a - b);
    assert.deepEqual(lines, marked, result.output);
  });
});
