// How library code tells the user what it is doing without printing: jobs and stages take a Reporter and call
// it; the CLI passes one that draws progress bars on a terminal and plain lines otherwise (src/cli/reporter.ts),
// tests pass one that records, and the default says nothing.

/** A running progress display (a bar on a terminal). */
export interface Progress {
  /** `done` units of the total, with named values to show (loss, rate...). */
  update(done: number, values?: Record<string, string | number>): void;
  /** Ends the display (idempotent). */
  stop(): void;
}

export interface Reporter {
  /** A line about what happens now ("using the data set in ..."). */
  info(message: string): void;
  /** Something the user should know that does not stop the job. */
  warn(message: string): void;
  /** Starts a progress display for `total` units of `task`, `start` of which are already done (a resumed run). */
  progress(task: string, total: number, start?: number): Progress;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** Says nothing: the default of every library function that takes a reporter. */
export const silentReporter: Reporter = {
  info() {},
  warn() {},
  progress: () => NO_PROGRESS,
};

/** Keeps every message (tests read `lines`). */
export function recordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(m),
    warn: (m) => void lines.push(`warning: ${m}`),
    progress: () => NO_PROGRESS,
  };
}
