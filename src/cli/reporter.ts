// The reporter the CLI passes to the library: on a terminal, progress bars with an ETA (cli-progress); otherwise
// (a log file, CI) plain timestamped lines, with a progress line every 10% of a task. Several tasks may run at
// once (pipeline stages side by side): on a terminal each has its bar.
import { MultiBar, Presets } from 'cli-progress';
import type { Progress, Reporter } from '../util/reporter.js';

export function consoleReporter(opts: { quiet?: boolean } = {}): Reporter {
  const t0 = performance.now();
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  const tty = Boolean(process.stderr.isTTY);
  // on a terminal one MultiBar holds every running bar (stages side by side each have one); lines go above it
  let multi: MultiBar | null = null;
  let bars = 0;
  const line = (text: string, err = false) => {
    if (multi) multi.log(`${text}\n`);
    else if (err) console.error(text);
    else console.log(text);
  };
  return {
    info: (m) => void (opts.quiet || line(`${stamp()} ${m}`)),
    warn: (m) => line(`${stamp()} warning: ${m}`, true),
    progress(task: string, total: number, start = 0): Progress {
      if (opts.quiet) return { update() {}, stop() {} };
      if (tty) {
        multi ??= new MultiBar(
          { format: '{task} [{bar}] {value}/{total} | {values} | ETA {eta_formatted}', hideCursor: true, stream: process.stderr, etaBuffer: 50, clearOnComplete: false },
          Presets.shades_classic,
        );
        const bar = multi.create(total, start, { task: task.padStart(10), values: '' });
        bars++;
        let stopped = false;
        return {
          update: (done, values = {}) => bar.update(done, { values: Object.entries(values).map(([k, v]) => `${k} ${v}`).join(' ') }),
          stop: () => {
            if (stopped) return;
            stopped = true;
            bar.stop();
            if (--bars === 0 && multi) {
              multi.stop();
              multi = null;
            }
          },
        };
      }
      const tStart = performance.now();
      let nextShown = start + Math.max(1, Math.ceil(total / 10));
      return {
        update(done, values = {}) {
          if (done < nextShown && done !== total) return;
          nextShown = done + Math.max(1, Math.ceil(total / 10));
          const rate = (done - start) / ((performance.now() - tStart) / 1000);
          const eta = rate > 0 ? Math.round((total - done) / rate) : NaN;
          const shown = Object.entries(values).map(([k, v]) => `, ${k} ${v}`).join('');
          console.log(`${stamp()}   ${task} ${Number.isInteger(done) ? done : done.toFixed(2)}/${total}${shown}, ETA ${Number.isFinite(eta) ? `${eta}s` : '-'}`);
        },
        stop() {},
      };
    },
  };
}
