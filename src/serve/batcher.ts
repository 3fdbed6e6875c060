// Dynamic batching across concurrent requests, for one model session that runs one batch at a time.
//
// Requests put their encoded rows (one per document) into a bounded queue. When the model is idle, a batch is
// formed as soon as the queue holds maxBatchTokens padded tokens, or when its oldest row has waited maxWaitMs.
// A batch is formed by length: the queued rows sorted by length, a run of neighbours around the oldest row (so
// nothing starves) grown while rows × longest row stays within maxBatchTokens. Padding is then small and one
// long document does not inflate a batch of short ones. Rows whose request was abandoned (timeout, client gone)
// are dropped before they reach the model.
//
// Admission happens before tokenisation: a request reserves its documents (reserve()), and one whose documents
// would push the queue (reserved + queued) past maxQueueRows is refused at once (QueueFullError: 429 with
// Retry-After). So neither the tokenizer workers nor the model queue grow without bound under overload, and the
// wait of admitted requests stays bounded.
import { DisrankerError } from '../util/errors.js';
import type { EncodedRow } from './encoder.js';

export interface BatcherOptions {
  /** Padded tokens (rows × longest row) per model run at most; a longer single row runs alone. */
  maxBatchTokens: number;
  /** How long the oldest queued row may wait for a batch to fill. */
  maxWaitMs: number;
  /** Rows (documents) waiting at most; more is refused. */
  maxQueueRows: number;
}

export interface BatchStats {
  rows: number;
  paddedTokens: number;
  realTokens: number;
  seconds: number;
}

export class QueueFullError extends DisrankerError {
  constructor(
    readonly queued: number,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super('DR_ERR_INPUT', `the queue holds ${queued} documents and takes at most ${limit}; retry in ${retryAfterSeconds} s`);
  }
}

export class ClosedError extends DisrankerError {
  constructor() {
    super('DR_ERR_INPUT', 'the server is shutting down');
  }
}

interface Pending {
  row: EncodedRow;
  job: Job;
  slot: number;
  arrived: number;
}

/** One request's rows: its scores fill in as batches finish. */
export class Job {
  readonly scores: Float32Array;
  remaining: number;
  cancelled = false;
  done: Promise<Float32Array>;
  resolve!: (s: Float32Array) => void;
  reject!: (e: unknown) => void;
  constructor(n: number) {
    this.scores = new Float32Array(n);
    this.remaining = n;
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  /** Abandons the job: its queued rows are dropped before they reach the model. */
  cancel(): void {
    this.cancelled = true;
  }
}

export class Batcher {
  private queue: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Exponential moving average of rows per second, for Retry-After. */
  private rowsPerSecond = 0;

  constructor(
    private readonly run: (rows: EncodedRow[]) => Promise<Float32Array>,
    readonly opts: BatcherOptions,
    private readonly onBatch: (s: BatchStats) => void = () => {},
  ) {}

  private reserved = 0;

  /** Rows waiting: reserved by requests being tokenised, and queued for the model. */
  get depth(): number {
    return this.queue.length + this.reserved;
  }

  /** Admits n rows ahead of tokenisation, or throws QueueFullError (ClosedError while draining). */
  reserve(n: number): void {
    if (this.closed) throw new ClosedError();
    const depth = this.depth;
    if (depth + n > this.opts.maxQueueRows && depth > 0) {
      const wait = this.rowsPerSecond > 0 ? Math.ceil(depth / this.rowsPerSecond) : 1;
      throw new QueueFullError(depth, this.opts.maxQueueRows, Math.max(1, wait));
    }
    this.reserved += n;
  }

  /** Gives back a reservation that will not be submitted (tokenisation failed). */
  release(n: number): void {
    this.reserved = Math.max(0, this.reserved - n);
  }

  /**
   * Queues a request's rows; the job resolves with one score per row, in order. `reserved` rows were admitted by
   * reserve(); without a reservation the queue bound is checked here (QueueFullError).
   */
  submit(rows: EncodedRow[], reserved = 0): Job {
    if (reserved > 0) {
      this.release(reserved);
    } else {
      this.reserve(rows.length); // throws when full
      this.release(rows.length);
    }
    const job = new Job(rows.length);
    if (rows.length === 0) {
      job.resolve(job.scores);
      return job;
    }
    const now = performance.now();
    rows.forEach((row, slot) => this.queue.push({ row, job, slot, arrived: now }));
    this.schedule();
    return job;
  }

  private queuedTokens(): number {
    // Padded cost if everything ran as one batch: an upper bound that is cheap to keep.
    let longest = 0;
    for (const p of this.queue) longest = Math.max(longest, p.row.ids.length);
    return longest * this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0].arrived;
    if (this.closed || waited >= this.opts.maxWaitMs || this.queuedTokens() >= this.opts.maxBatchTokens) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.opts.maxWaitMs - waited);
    }
  }

  /** Takes the next batch off the queue (see the file comment). */
  private takeBatch(): Pending[] {
    this.queue = this.queue.filter((p) => !p.job.cancelled);
    if (this.queue.length === 0) return [];
    const oldest = this.queue[0];
    const sorted = [...this.queue].sort((a, b) => a.row.ids.length - b.row.ids.length);
    let lo = sorted.indexOf(oldest);
    let hi = lo;
    const len = (i: number) => sorted[i].row.ids.length;
    for (;;) {
      const n = hi - lo + 2;
      const canLeft = lo > 0 && n * len(hi) <= this.opts.maxBatchTokens;
      const canRight = hi < sorted.length - 1 && n * len(hi + 1) <= this.opts.maxBatchTokens;
      if (!canLeft && !canRight) break;
      // Grow toward the neighbour closest in length to the run.
      if (canLeft && (!canRight || len(lo) - len(lo - 1) <= len(hi + 1) - len(hi))) lo--;
      else hi++;
    }
    const batch = sorted.slice(lo, hi + 1);
    const taken = new Set(batch);
    this.queue = this.queue.filter((p) => !taken.has(p));
    return batch;
  }

  private async runBatch(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) {
      this.settleIdle();
      return;
    }
    this.running = true;
    const started = performance.now();
    try {
      const scores = await this.run(batch.map((p) => p.row));
      const seconds = (performance.now() - started) / 1000;
      this.rowsPerSecond = this.rowsPerSecond === 0 ? batch.length / seconds : 0.8 * this.rowsPerSecond + 0.2 * (batch.length / seconds);
      const longest = batch.reduce((m, p) => Math.max(m, p.row.ids.length), 0);
      this.onBatch({ rows: batch.length, paddedTokens: longest * batch.length, realTokens: batch.reduce((s, p) => s + p.row.ids.length, 0), seconds });
      batch.forEach((p, i) => {
        p.job.scores[p.slot] = scores[i];
        if (--p.job.remaining === 0) p.job.resolve(p.job.scores);
      });
    } catch (err) {
      const failed = new Set(batch.map((p) => p.job));
      for (const job of failed) {
        job.cancel();
        job.reject(err);
      }
    } finally {
      this.running = false;
    }
    if (this.queue.length) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.running || this.queue.length) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Refuses new work and resolves when every queued row has run. */
  async drain(): Promise<void> {
    this.closed = true;
    if (!this.running && this.queue.length === 0) return;
    const idle = new Promise<void>((res) => this.idleWaiters.push(res));
    this.schedule();
    await idle;
  }
}
