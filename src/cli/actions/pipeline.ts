// The work of `disranker pipeline run`: resolve the configuration, run the stages with a console reporter, write
// the report and print the closing table.
import { parseSettings, readPipelineConfigFile, resolvePipelineConfig, type PipelineConfigFile } from '../../pipeline/pipeline-config.js';
import { runPipeline, type PipelineStage, type StageLauncher } from '../../pipeline/pipeline.js';
import { writePipelineReport } from '../../pipeline/pipeline-report.js';
import { consoleReporter } from '../reporter.js';
import { fork } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DisrankerError } from '../../util/errors.js';
import { writeFileAtomicSync } from '../../util/fs.js';
import type { Progress, Reporter } from '../../util/reporter.js';

export interface PipelineRunFlags {
  config?: string;
  preset?: string;
  data?: string;
  set?: string[];
  from?: string;
  only?: string;
  out: string;
  seed?: number;
  quiet?: boolean;
  jobs?: number;
}

export async function pipelineRunAction(o: PipelineRunFlags): Promise<void> {
  const reporter = consoleReporter({ quiet: o.quiet });
  const layers: PipelineConfigFile[] = [];
  if (o.config) layers.push(readPipelineConfigFile(o.config));
  if (o.data) layers.push({ data: { path: o.data } });
  if (o.seed !== undefined) layers.push({ seed: o.seed });
  if (o.set?.length) layers.push(parseSettings(o.set));
  const config = resolvePipelineConfig({ preset: o.preset, layers });
  reporter.info(`pipeline: preset ${config.preset}, seed ${config.seed}, ${config.data.path ? `data set ${config.data.path}` : `synthetic world ${config.data.world}`}; output in ${o.out}`);
  const res = await runPipeline({ out: o.out, config, from: o.from, only: o.only, jobs: o.jobs, launch: launchStage }, reporter);
  const report = await writePipelineReport(res);

  const metrics = ['ndcg_cut_5', 'ndcg_cut_10', 'map', 'recip_rank', 'pnr'];
  const w = Math.max(8, ...Object.keys(report.test.runs).map((v) => v.length));
  const lines = [`test queries: ${report.test.queries}`, `${'variant'.padEnd(w)}  ${metrics.map((m) => m.padStart(11)).join(' ')}`];
  for (const [v, m] of Object.entries(report.test.runs)) lines.push(`${v.padEnd(w)}  ${metrics.map((k) => (typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : '-').padStart(11)).join(' ')}`);
  for (const [v, why] of Object.entries(report.test.skipped_variants ?? {})) lines.push(`${v.padEnd(w)}  not evaluated: ${why}`);
  const lat = report.latency_ms_per_100;
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  lines.push('', `latency per 100 candidates: teacher ${f(lat.teacher)} ms, student ${f(lat.student)} ms, ONNX student ${f(lat.student_onnx)} ms`);
  lines.push('', `${'stage'.padEnd(18)} ${'status'.padEnd(8)} seconds`);
  for (const [s, r] of Object.entries(report.stages)) lines.push(`${s.padEnd(18)} ${r.status.padEnd(8)} ${r.seconds.toFixed(1).padStart(7)}${r.reason ? `  ${r.reason}` : ''}`);
  console.log('\n' + lines.join('\n') + '\n');
  reporter.info(`done in ${res.seconds.toFixed(1)} s (${res.ran.length ? `ran: ${res.ran.join(', ')}` : 'nothing to train: every stage was done'}); ${join(o.out, 'report.json')}, ${join(o.out, 'report.html')}`);
}

/** What a stage's process tells its parent (over the IPC channel of `fork`). */
type StageMessage =
  | { kind: 'info' | 'warn'; message: string }
  | { kind: 'progress'; id: number; task: string; total: number; start: number }
  | { kind: 'update'; id: number; done: number; values?: Record<string, string | number> }
  | { kind: 'stop'; id: number };

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'disranker.js');

/** Runs one stage in a process of its own (`disranker pipeline stage`), its messages shown by `reporter`. */
const launchStage: StageLauncher = (stage, { out, threads, signal }, reporter) => {
  // widen(n) writes the new thread count here; the stage's process reads it at its next progress update
  const threadsFile = join(out, `.threads-${stage}`);
  rmSync(threadsFile, { force: true });
  const done = new Promise<void>((resolvePromise, reject) => {
    const child = fork(BIN, ['pipeline', 'stage', '--config', join(out, 'pipeline.config.json'), '--out', out, '--stage', stage], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), DISRANKER_THREADS: '1', [THREADS_FILE_ENV]: threadsFile },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      signal,
    });
    const bars = new Map<number, Progress>();
    child.on('message', (m: StageMessage) => {
      if (m.kind === 'info') {
        if (!m.message.startsWith('── stage ')) reporter.info(`[${stage}] ${m.message}`); // the parent said it
      }
      else if (m.kind === 'warn') reporter.warn(`[${stage}] ${m.message}`);
      else if (m.kind === 'progress') bars.set(m.id, reporter.progress(stage, m.total, m.start));
      else if (m.kind === 'update') bars.get(m.id)?.update(m.done, m.values);
      else if (m.kind === 'stop') {
        bars.get(m.id)?.stop();
        bars.delete(m.id);
      }
    });
    child.on('error', (err) => {
      if ((err as { name?: string }).name !== 'AbortError') reject(err);
    });
    child.on('exit', (code, sig) => {
      for (const b of bars.values()) b.stop();
      rmSync(threadsFile, { force: true });
      if (code === 0) resolvePromise();
      else reject(new DisrankerError('DR_ERR_USAGE', `pipeline: stage ${stage} failed in its own process (${sig ? `killed by ${sig}` : `exit code ${code}; its error is above`}). A rerun resumes it.`));
    });
  });
  return { done, widen: (n) => writeFileAtomicSync(threadsFile, String(n)) };
};

/** The environment variable that names a stage process's thread-count file (see launchStage). */
export const THREADS_FILE_ENV = 'DISRANKER_STAGE_THREADS_FILE';

/**
 * A reporter that sends everything to the parent process, progress at most every 200 ms. A stage whose parent is gone
 * (killed) stops at its next progress update rather than run on beside the rerun that resumes it.
 */
export function parentReporter(setBlasThreads: (n: number) => void): Reporter {
  const send = (m: StageMessage) => void process.send?.(m);
  const parent = process.ppid;
  const threadsFile = process.env[THREADS_FILE_ENV];
  let lastThreadsCheck = 0;
  let next = 0;
  return {
    info: (message) => send({ kind: 'info', message }),
    warn: (message) => send({ kind: 'warn', message }),
    progress(task, total, start = 0) {
      const id = next++;
      send({ kind: 'progress', id, task, total, start });
      let last = 0;
      return {
        update(done, values) {
          if (process.ppid !== parent) process.exit(1); // the run's checkpoint is there for the rerun
          const now = performance.now();
          if (threadsFile && now - lastThreadsCheck > 1000) {
            lastThreadsCheck = now;
            if (existsSync(threadsFile)) {
              const n = Number(readFileSync(threadsFile, 'utf8'));
              rmSync(threadsFile, { force: true });
              if (Number.isInteger(n) && n >= 1) {
                setBlasThreads(n);
                send({ kind: 'info', message: `nothing else runs beside it now: ${n} threads from here on` });
              }
            }
          }
          if (now - last < 200 && done !== total) return;
          last = now;
          send({ kind: 'update', id, done, values });
        },
        stop: () => send({ kind: 'stop', id }),
      };
    },
  };
}

/** `disranker pipeline stage` (hidden): one stage of a run, in the process `pipeline run --jobs` started for it. */
export async function pipelineStageAction(o: { config: string; out: string; stage: string }): Promise<void> {
  const { setThreads } = await import('../../engine/index.js');
  const reporter = process.send ? parentReporter((n) => setThreads(1, n)) : consoleReporter();
  const config = resolvePipelineConfig({ layers: [readPipelineConfigFile(o.config)] });
  await runPipeline({ out: o.out, config, only: o.stage as PipelineStage }, reporter);
  process.disconnect?.();
}
