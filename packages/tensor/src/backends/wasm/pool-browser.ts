import { BackendError } from '../../errors.js';
import { CONTROL_BYTES, type JobPool, type PoolStats } from './pool.js';

/** Word indices of the control block, in the same layout as the Node pool's. */
const GENERATION = 0;
const JOB = 1;
const DONE = 2;
const READY = 3;
const STOP = 4;
const FAILED = 5;

/**
 * Worker body, a classic script loaded from a blob URL: take the module, memory and thread index from
 * the first message, instantiate, report ready, then run each new generation's job as that thread.
 * Workers may block in Atomics.wait. Only the page's main thread may not.
 */
const WORKER_SOURCE = `
self.onmessage = (event) => {
  self.onmessage = null;
  const { module, memory, control, index } = event.data;
  const words = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  let run = null;
  try {
    run = new WebAssembly.Instance(module, { env: { memory } }).exports.run;
  } catch (error) {
    Atomics.store(words, ${FAILED}, 1);
    self.postMessage({ ok: false, message: String(error) });
    return;
  }
  let seen = Atomics.load(words, ${GENERATION});
  Atomics.add(words, ${READY}, 1);
  self.postMessage({ ok: true });
  for (;;) {
    Atomics.wait(words, ${GENERATION}, seen);
    const generation = Atomics.load(words, ${GENERATION});
    if (generation === seen) continue;
    seen = generation;
    if (Atomics.load(words, ${STOP})) break;
    try {
      run(Atomics.load(words, ${JOB}), index);
    } catch (error) {
      Atomics.store(words, ${FAILED}, 2);
    }
    Atomics.add(words, ${DONE}, 1);
  }
};
`;

interface WebWorker {
  onmessage: ((event: { data: { ok: boolean; message?: string } }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}

type WebWorkerConstructor = new (url: string, options?: { name?: string }) => WebWorker;

interface BrowserGlobals {
  Worker?: WebWorkerConstructor;
  crossOriginIsolated?: boolean;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL?: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
}

/** Reports whether this host can run kernels on Web Workers over shared memory (a cross-origin isolated page or worker). */
export function browserWorkersAvailable(): boolean {
  const g = globalThis as BrowserGlobals;
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && g.Blob !== undefined && g.URL !== undefined;
}

/**
 * Web Workers that run jobs with the calling thread over shared wasm memory. A page's main thread may
 * not call Atomics.wait, and a worker cannot start while that thread is busy. So workers start in the
 * background on the first job (or `ready()`), and jobs run on the calling thread alone until every
 * worker has reported in. After that the calling thread runs its share, then spins on the done counter.
 * The kernels hand out work items with an atomic counter, so the spin lasts only as long as the items
 * other threads have already claimed.
 */
export class BrowserThreadPool implements JobPool {
  private workers: WebWorker[] = [];
  private started = false;
  private failure: BackendError | null = null;
  private parallelJobs = 0;
  private readyPromise: Promise<void> | null = null;
  private readonly words: Int32Array;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    /** Threads including the calling thread. */
    readonly size: number,
  ) {
    this.words = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.words.fill(0);
  }

  run(job: number, runHere: (job: number, thread: number) => void): void {
    this.start();
    const workers = this.workers.length;
    if (this.failure || Atomics.load(this.words, READY) < workers) {
      runHere(job, 0);
      return;
    }
    Atomics.store(this.words, DONE, 0);
    Atomics.store(this.words, JOB, job);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    try {
      runHere(job, 0);
    } finally {
      while (Atomics.load(this.words, DONE) < workers) {
        // Spin: the workers are finishing items they claimed before the counter ran out.
      }
    }
    if (Atomics.load(this.words, FAILED) !== 0) {
      throw new BackendError('wasm', 'a worker thread trapped while running a kernel; recreate the backend with threads: 1 to see the error');
    }
    this.parallelJobs++;
  }

  ready(): Promise<void> {
    this.start();
    return this.readyPromise ?? Promise.resolve();
  }

  get stats(): PoolStats {
    const ready = this.started ? Math.min(Atomics.load(this.words, READY), this.workers.length) : 0;
    return { workers: this.workers.length, ready, parallelJobs: this.parallelJobs };
  }

  dispose(): void {
    if (this.started) {
      Atomics.store(this.words, STOP, 1);
      Atomics.add(this.words, GENERATION, 1);
      Atomics.notify(this.words, GENERATION);
    }
    for (const worker of this.workers) worker.terminate();
    this.workers = [];
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const g = globalThis as Required<BrowserGlobals>;
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const reports: Promise<void>[] = [];
    try {
      for (let index = 1; index < this.size; index++) {
        const worker = new g.Worker(url, { name: `lab-tensor-wasm-${index}` });
        reports.push(this.report(worker, index));
        worker.postMessage({ module: this.module, memory: this.memory, control: this.control, index });
        this.workers.push(worker);
      }
    } catch (error) {
      reports.push(Promise.reject(new BackendError('wasm', `failed to create a Web Worker (${String(error)}); create the backend with threads: 1`)));
    }
    // The URL is revoked once every worker has loaded the script or failed to.
    this.readyPromise = Promise.all(reports).then(
      () => g.URL.revokeObjectURL(url),
      (error: BackendError) => {
        g.URL.revokeObjectURL(url);
        this.failure = error;
        this.dispose();
        throw error;
      },
    );
    // After a failure run() uses the calling thread alone, so a rejection nobody awaits is not an error.
    this.readyPromise.catch(() => undefined);
  }

  /** Resolves when worker `index` has instantiated the module, rejects when it could not. */
  private report(worker: WebWorker, index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (reason: string) =>
        reject(new BackendError('wasm', `worker thread ${index} failed to start (${reason}); create the backend with threads: 1`));
      worker.onmessage = (event) => {
        worker.onmessage = null;
        if (event.data.ok) resolve();
        else fail(event.data.message ?? 'instantiation failed');
      };
      worker.onerror = (event) => fail(event.message ?? 'worker script error');
    });
  }
}
