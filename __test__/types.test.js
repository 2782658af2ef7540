'use strict'

// The hand-written types (index.d.ts, packet.d.ts) compile for typical MQTT.js usage.

const test = require('node:test')
const assert = require('node:assert')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('index.d.ts and packet.d.ts type-check typical usage under --strict', { skip: process.env.MQTT_IMPL === 'mqtt' }, () => {
  const root = path.join(__dirname, '..')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--types', 'node', '--moduleResolution', 'node', '--esModuleInterop', path.join(__dirname, 'types', 'usage.ts')], { cwd: root, encoding: 'utf8' })
  assert.strictEqual(r.status, 0, r.stdout + r.stderr)
})

/**
 * Compiles __test__/types/surface.ts with 'mqtt' resolved to `target` (a .d.ts path without
 * its extension): returns tsc's exit status and output.
 */
function compileSurface (target) {
  const fs = require('node:fs')
  const os = require('node:os')
  const root = path.join(__dirname, '..')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-types-'))
  try {
    const config = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        skipLibCheck: true,
        module: 'commonjs',
        moduleResolution: 'node',
        target: 'es2020',
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
        baseUrl: root,
        paths: { mqtt: [target] }
      },
      files: [path.join(__dirname, 'types', 'surface.ts')]
    }
    const file = path.join(dir, 'tsconfig.json')
    fs.writeFileSync(file, JSON.stringify(config))
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    return spawnSync(process.execPath, [tsc, '-p', file], { cwd: root, encoding: 'utf8' })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

test('a program using every type MQTT.js 5.16 exports compiles against both packages, and both reject the same mistakes', () => {
  const root = path.join(__dirname, '..')
  for (const target of [path.join(root, 'node_modules', 'mqtt', 'build', 'index'), path.join(root, 'index')]) {
    const r = compileSurface(target)
    assert.strictEqual(r.status, 0, `against ${target}:\n${r.stdout}${r.stderr}`)
  }
})

test('index.d.ts exports every name MQTT.js 5.16\'s declarations export', () => {
  const root = path.join(__dirname, '..')
  const ts = require(path.join(root, 'node_modules', 'typescript'))
  const namesOf = (file) => {
    const program = ts.createProgram([file], { strict: true, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, types: ['node'], skipLibCheck: true })
    const checker = program.getTypeChecker()
    return new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file))).map((s) => s.getName()))
  }
  const ours = namesOf(path.join(root, 'index.d.ts'))
  const missing = [...namesOf(path.join(root, 'node_modules', 'mqtt', 'build', 'index.d.ts'))].filter((n) => !ours.has(n))
  assert.deepStrictEqual(missing, [])
})

test('device.d.ts and jsre.d.ts type-check typical use and refuse the marked mistakes', { skip: process.env.MQTT_IMPL === 'mqtt' && 'this package\'s own modules' }, () => {
  const root = path.join(__dirname, '..')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--types', 'node', '--moduleResolution', 'node', '--esModuleInterop', path.join(__dirname, 'types', 'runtimes.ts')], { cwd: root, encoding: 'utf8' })
  assert.strictEqual(r.status, 0, r.stdout + r.stderr)
})
