#!/usr/bin/env node
// Builds the libtorch N-API addon (native/) when libtorch is found; otherwise warns in one line and
// exits 0, so `npm install` never fails for a missing libtorch (data, eval and serving work without it).
//
// libtorch is looked up in this order:
//   LIBTORCH=/path/to/libtorch     an unpacked libtorch (CPU or CUDA), with include/ and lib/
//   /usr                           Debian/Ubuntu's libtorch-dev
// Overrides: LIBTORCH_CXX11_ABI=0|1 (default: read from libc10.so), DISRANKER_NODEDIR (Node headers).
// Flags: --force rebuilds even when nothing changed; --quiet prints only errors.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const nativeDir = join(root, 'native');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const log = (msg) => quiet || console.log(`build-native: ${msg}`);

function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = join(env, 'include');
    const lib = join(env, 'lib');
    if (!existsSync(join(inc, 'ATen', 'ATen.h'))) {
      throw new Error(`LIBTORCH=${env} has no include/ATen/ATen.h; point it at an unpacked libtorch`);
    }
    return { source: `LIBTORCH=${env}`, includes: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib };
  }
  const inc = '/usr/include';
  if (!existsSync(join(inc, 'ATen', 'ATen.h'))) return null;
  const arch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
  const libs = [arch && `/usr/lib/${arch}`, '/usr/lib', '/usr/lib64'].filter(Boolean);
  const lib = libs.find((d) => existsSync(join(d, 'libtorch_cpu.so')));
  if (!lib) return null;
  return { source: 'system (/usr)', includes: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib };
}

function torchVersion(includes) {
  for (const inc of includes) {
    const f = join(inc, 'torch', 'version.h');
    if (existsSync(f)) {
      const text = readFileSync(f, 'utf8');
      const major = /TORCH_VERSION_MAJOR (\d+)/.exec(text)?.[1];
      const minor = /TORCH_VERSION_MINOR (\d+)/.exec(text)?.[1];
      if (major) return `${major}.${minor}`;
    }
  }
  return 'unknown';
}

function cxx11Abi(lib) {
  const forced = process.env.LIBTORCH_CXX11_ABI;
  if (forced === '0' || forced === '1') return Number(forced);
  // A library built with the new ABI exports std::__cxx11 symbols; the pre-cxx11 builds have none.
  const bytes = readFileSync(join(lib, 'libc10.so'));
  return bytes.includes('__cxx11') ? 1 : 0;
}

function nodeDir() {
  const candidates = [process.env.DISRANKER_NODEDIR, process.env.npm_config_nodedir, dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  return candidates.find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
}

function sourceHash(config) {
  const h = createHash('sha256');
  h.update(JSON.stringify(config));
  const srcDir = join(nativeDir, 'src');
  for (const f of readdirSync(srcDir).sort()) h.update(f).update(readFileSync(join(srcDir, f)));
  h.update(readFileSync(join(nativeDir, 'binding.gyp')));
  return h.digest('hex');
}

let torch;
try {
  torch = findLibtorch();
} catch (err) {
  console.warn(`disranker: ${err.message}; the native engine was not built.`);
  process.exit(0);
}
if (!torch) {
  console.warn(
    'disranker: libtorch not found; the native engine was not built (training and teacher scoring need it). ' +
      'Install it with `apt-get install libtorch-dev`, or set LIBTORCH=/path/to/libtorch, then run `npm run build:native`.',
  );
  process.exit(0);
}
const cuda = existsSync(join(torch.lib, 'libtorch_cuda.so'));
// Distributed support (c10d's TCPStore + ProcessGroupGloo) needs Gloo's headers (Debian: libgloo-dev) and
// torch's c10d headers; libtorch_cpu exports the implementation. Without them the addon builds without it.
const gloo =
  process.env.DISRANKER_NO_GLOO !== '1' &&
  [...torch.includes, '/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'gloo', 'config.h'))) &&
  torch.includes.some((d) => existsSync(join(d, 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupGloo.hpp')));
const config = {
  source: torch.source,
  torch_version: torchVersion(torch.includes),
  torch_includes: torch.includes,
  torch_lib: torch.lib,
  cxx11_abi: cxx11Abi(torch.lib),
  cuda: cuda ? 1 : 0,
  gloo: gloo ? 1 : 0,
  node_api_include: dirname(createRequire(import.meta.url).resolve('node-addon-api/package.json')),
};
const stampFile = join(nativeDir, 'build', 'stamp.json');
const addon = join(nativeDir, 'build', 'Release', 'disranker.node');
const hash = sourceHash(config);
if (!force && existsSync(addon) && existsSync(stampFile) && JSON.parse(readFileSync(stampFile, 'utf8')).hash === hash) {
  log('addon is up to date');
  process.exit(0);
}

const nodedir = nodeDir();
if (!nodedir) {
  console.warn('disranker: Node headers (include/node/node_api.h) not found; set DISRANKER_NODEDIR. The native engine was not built.');
  process.exit(0);
}
writeFileSync(
  join(nativeDir, 'torch.gypi'),
  JSON.stringify(
    {
      variables: {
        torch_includes: config.torch_includes,
        torch_lib: config.torch_lib,
        cxx11_abi: config.cxx11_abi,
        with_cuda: config.cuda,
        with_gloo: config.gloo,
        node_api_include: config.node_api_include,
      },
    },
    null,
    2,
  ),
);
log(`libtorch ${config.torch_version} from ${config.source}, ${cuda ? 'CUDA' : 'CPU'}, ${gloo ? 'distributed (Gloo)' : 'no distributed support (libgloo-dev missing)'}, _GLIBCXX_USE_CXX11_ABI=${config.cxx11_abi}`);
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const jobs = String(Math.max(1, Math.min(2, (await import('node:os')).availableParallelism())));
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '-j', jobs, ...(quiet ? ['--silent'] : [])], {
  cwd: nativeDir,
  stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
});
if (r.status !== 0) {
  console.error('build-native: the addon failed to build (see the compiler output above)');
  process.exit(r.status ?? 1);
}
mkdirSync(dirname(stampFile), { recursive: true });
writeFileSync(stampFile, JSON.stringify({ hash, ...config }, null, 2));
log(`built ${addon}`);
