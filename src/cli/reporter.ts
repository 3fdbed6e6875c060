// The reporter the CLI passes to the library: on a terminal, progress bars with an ETA (cli-progress); otherwise
// (a log file, CI) plain timestamped lines, with a progress line every 10% of a task.
import { SingleBar, Presets } from 'cli-progress';
import type { Progress, Reporter } from '../util/reporter.js';

export function consoleReporter(opts: { quiet?: boolean } = {}): Reporter {
  const t0 = performance.now();
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  const tty = Boolean(process.stderr.isTTY);
  return {
    info: (m) => void (opts.quiet || console.log(`${stamp()} ${m}`)),
    warn: (m) => console.error(`${stamp()} warning: ${m}`),
    progress(task: string, total: number, start = 0): Progress {
      if (opts.quiet) return { update() {}, stop() {} };
      if (tty) {
        const bar = new SingleBar(
          { format: `${task.padStart(10)} [{bar}] {value}/{total} | {values} | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr, etaBuffer: 50 },
          Presets.shades_classic,
        );
        bar.start(total, start, { values: '' });
        let stopped = false;
        return {
          update: (done, values = {}) => bar.update(done, { values: Object.entries(values).map(([k, v]) => `${k} ${v}`).join(' ') }),
          stop: () => {
            if (!stopped) bar.stop();
            stopped = true;
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
