// Safe output: atomic files and folders (a temp path beside the target, renamed on success, removed on failure,
// on SIGINT/SIGTERM, and by the next run when the process that made it died), and the checks that keep `--out`
// (with `--force`) from replacing anything disranker did not write. A crash or an error never leaves half a file
// under the final name.
import { createWriteStream, existsSync, mkdirSync, promises as fsp, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, basename, join, parse, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { DisrankerError } from './errors.js';

/** A hidden temp path beside `target`: `.<name>.<pid>.<8 hex>.tmp` (the pid lets a later run tell a dead one's litter). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

// ---- cleanup on SIGINT / SIGTERM / exit ------------------------------------------------------------------------

const pendingTemps = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function removePendingTemps(): void {
  for (const p of pendingTemps) rmSync(p, { recursive: true, force: true });
  pendingTemps.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removePendingTemps();
  uninstall();
  // Without our listener the signal's default action applies again: die of it (exit status 128 + n), unless
  // the program has its own handler, which then decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', removePendingTemps);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', removePendingTemps);
}

/**
 * Remove `path` (a temp file or folder) if the process exits or gets SIGINT/SIGTERM before the returned function is
 * called. The handlers are installed only while something is pending. SIGKILL cannot be caught: `removeStaleTemps`
 * cleans up after it on the next run.
 */
export function removeOnInterrupt(path: string): () => void {
  if (pendingTemps.size === 0) install();
  pendingTemps.add(path);
  return () => {
    if (pendingTemps.delete(path) && pendingTemps.size === 0) uninstall();
  };
}

/** The paths currently registered with `removeOnInterrupt` (for tests). */
export function pendingTempPaths(): string[] {
  return [...pendingTemps];
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Remove the temp files and folders `tempPathFor(target)` made (and a data set's `<temp>.old`) whose process is
 * gone. Only names of exactly that form, for this target, with the pid of a dead process, are touched; a live
 * process's temp is kept. A `.old` folder (a previous output being replaced when the process died) is put back as
 * `target` when `target` is missing, never deleted then. Returns the paths removed or restored.
 */
export function removeStaleTemps(target: string): string[] {
  const dir = dirname(resolve(target));
  const re = new RegExp(`^\\.${escapeRe(basename(target))}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp(\\.old)?$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const done: string[] = [];
  // Temp folders first, then `.old` ones: a restored `.old` must not race its own temp.
  const stale = names.map((n) => ({ n, m: re.exec(n) })).filter((x) => x.m && !processAlive(Number(x.m[1])));
  stale.sort((a, b) => Number(!!a.m![2]) - Number(!!b.m![2]));
  for (const { n, m } of stale) {
    const p = join(dir, n);
    if (m![2] && !existsSync(resolve(target))) renameSync(p, resolve(target));
    else rmSync(p, { recursive: true, force: true });
    done.push(p);
  }
  return done;
}

/** Write a whole file atomically (sync). */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write a whole file atomically. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  const done = removeOnInterrupt(tmp);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  } finally {
    done();
  }
}

/**
 * Stream into `target` atomically: `fn` receives a writable stream on a temp file; when it resolves
 * the stream is closed and renamed over `target`; when it throws the temp file is removed.
 */
export async function withAtomicWriteStream<T>(
  target: string,
  fn: (out: NodeJS.WritableStream) => Promise<T>,
): Promise<T> {
  const tmp = tempPathFor(target);
  const done = removeOnInterrupt(tmp);
  const out = createWriteStream(tmp);
  try {
    const result = await fn(out);
    out.end();
    await finished(out);
    await fsp.rename(tmp, target);
    return result;
  } catch (err) {
    out.destroy();
    await fsp.rm(tmp, { force: true });
    throw err;
  } finally {
    done();
  }
}


// ---- where an output may go ----------------------------------------------------------------------------------

/** The file a training stage's run folder carries (its stage, configuration and result; src/pipeline/run-folder.ts). */
export const STAGE_MARKER = 'run.json';

/** The file that marks a folder as a disranker run folder (written by `markRunFolder`). */
export const RUN_MARKER = '.disranker-run';

/** Mark `dir` (created if needed) as a disranker run folder, so that a later `--force` may replace it. */
export function markRunFolder(dir: string, info: Record<string, unknown> = {}): void {
  const p = join(dir, RUN_MARKER);
  if (existsSync(p)) return;
  mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(p, `${JSON.stringify({ format: 'disranker-run', version: 1, ...info })}\n`);
}

/** True when `dir` is something disranker wrote: a data set (meta.json of format disranker-dataset) or a run folder. */
export function isDisrankerOutput(dir: string): boolean {
  if (existsSync(join(dir, RUN_MARKER))) return true;
  try {
    // a stage's run folder (src/pipeline/run-folder.ts)
    if ((JSON.parse(readFileSync(join(dir, STAGE_MARKER), 'utf8')) as { format?: unknown })?.format === 'disranker.run') return true;
  } catch {
    // no stage marker
  }
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { format?: unknown };
    return meta?.format === 'disranker-dataset';
  } catch {
    return false;
  }
}

/** The real path of `p`, resolving symlinks in the part of it that exists. */
function realPath(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail.push(basename(head));
      head = up;
    }
  }
}

/** a === b or a is a folder above b (both absolute, real). */
function isSameOrAncestor(a: string, b: string): boolean {
  return a === b || b.startsWith(a.endsWith(sep) ? a : a + sep);
}

export interface SafeOutputOptions {
  /** The command's input files and folders: the output may not be one of them or a folder holding one. */
  inputs?: readonly string[];
  /** Replace an existing non-empty folder (only one disranker wrote: see `isDisrankerOutput`). */
  force?: boolean;
  /** What the output is. Default 'folder'. */
  kind?: 'folder' | 'file';
  /** Name of the option in messages. Default '--out'. */
  flag?: string;
}

function usage(msg: string): never {
  throw new DisrankerError('DR_ERR_USAGE', msg);
}

/**
 * Check that `out` may be written (and, for a folder with `force`, replaced) before anything is written. Refuses:
 * an empty path; `/`, the home folder, the working directory or any folder above them; an input or a folder holding
 * an input; a path under a file; for a folder, an existing file, an existing non-empty folder without `force`, and
 * with `force` one that is not a disranker output; for a file, an existing folder. Returns the absolute path.
 */
export function assertSafeOutput(out: string, opts: SafeOutputOptions = {}): string {
  const flag = opts.flag ?? '--out';
  const kind = opts.kind ?? 'folder';
  if (out.trim() === '') usage(`${flag}: the path is empty; give the ${kind} to write`);
  const abs = resolve(out);
  const real = realPath(abs);
  if (real === parse(real).root) usage(`${flag} ${out}: refusing to write to the root folder`);
  const guarded: [string, string][] = [
    [realPath(homedir()), 'the home folder'],
    [realPath(process.cwd()), 'the working directory'],
  ];
  for (const [p, what] of guarded) {
    if (isSameOrAncestor(real, p)) usage(`${flag} ${out}: refusing to write to ${real === p ? what : `a folder that holds ${what} (${p})`}`);
  }
  for (const input of opts.inputs ?? []) {
    const ri = realPath(input);
    if (isSameOrAncestor(real, ri)) {
      usage(`${flag} ${out}: ${real === ri ? 'is the input' : `holds the input ${input}`}; write the output somewhere else`);
    }
  }
  // The nearest existing folder above must be a folder (mkdir -p under a file fails with EEXIST/ENOTDIR).
  for (let up = dirname(real); ; up = dirname(up)) {
    if (existsSync(up)) {
      if (!statSync(up).isDirectory()) usage(`${flag} ${out}: ${up} is a file, not a folder`);
      break;
    }
    if (dirname(up) === up) break;
  }
  if (!existsSync(real)) return abs;
  const isDir = statSync(real).isDirectory();
  if (kind === 'file') {
    if (isDir) usage(`${flag} ${out}: is a folder; give a file name`);
    return abs;
  }
  if (!isDir) usage(`${flag} ${out}: exists and is a file, not a folder`);
  if (readdirSync(real).length === 0) return abs;
  if (!opts.force) usage(`${flag} ${out}: exists and is not empty; pass --force to replace it`);
  if (!isDisrankerOutput(real)) {
    usage(
      `${flag} ${out}: exists and is not a disranker output (no data set meta.json, no ${RUN_MARKER}); ` +
        '--force only replaces what disranker wrote: remove it yourself or choose another folder',
    );
  }
  return abs;
}
