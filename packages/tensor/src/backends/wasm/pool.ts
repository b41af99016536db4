import { BackendError } from '../../errors.js';

/** Words of the control block shared by the main thread and the workers. */
const GENERATION = 0;
const JOB = 1;
const DONE = 2;
const READY = 3;
const STOP = 4;
const FAILED = 5;
export const CONTROL_BYTES = 32;

/** How long the first parallel job waits for workers to start before running on one thread. */
const START_TIMEOUT_MS = 10_000;

/**
 * Worker body, evaluated as a CommonJS script: instantiate the kernel module on the shared memory, then
 * for each new generation run the job as thread `index` and count it done. Kept small and free of
 * imports from this package so it needs no bundler or file path.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, index } = workerData;
const words = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
let run = null;
try {
  run = new WebAssembly.Instance(module, { env: { memory } }).exports.run;
} catch (error) {
  Atomics.store(words, ${FAILED}, 1);
}
// Read the generation before reporting ready: the first job is posted only after every worker is ready.
let seen = Atomics.load(words, ${GENERATION});
Atomics.add(words, ${READY}, 1);
Atomics.notify(words, ${READY});
for (;;) {
  Atomics.wait(words, ${GENERATION}, seen);
  const generation = Atomics.load(words, ${GENERATION});
  if (generation === seen) continue;
  seen = generation;
  if (Atomics.load(words, ${STOP})) break;
  try {
    if (run) run(Atomics.load(words, ${JOB}), index);
  } catch (error) {
    Atomics.store(words, ${FAILED}, 2);
  }
  Atomics.add(words, ${DONE}, 1);
  Atomics.notify(words, ${DONE});
}
`;

/** Interface of a thread pool, whichever host's workers it uses. */
export interface JobPool {
  /** Threads including the calling thread. */
  readonly size: number;
  /** Runs `job` on every thread, with `runHere` as the calling thread's share (thread index 0). */
  run(job: number, runHere: (job: number, thread: number) => void): void;
  /** Resolves when every worker can take jobs, and rejects when one could not start. */
  ready(): Promise<void>;
  readonly stats: PoolStats;
  dispose(): void;
}

export interface PoolStats {
  workers: number;
  /** Workers that have started and can take jobs. */
  ready: number;
  /** Jobs run with the workers taking part. */
  parallelJobs: number;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerConstructor = new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;

/** Node's Worker class when this host has worker threads and shared memory, else null. */
export function nodeWorkerClass(): WorkerConstructor | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const threads = processObject?.getBuiltinModule?.('node:worker_threads') as { Worker?: WorkerConstructor } | undefined;
  return threads?.Worker ?? null;
}

/** Logical cores the host offers, or 1 when it cannot tell. */
export function availableCores(): number {
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = processObject?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  if (os?.availableParallelism) return Math.max(1, os.availableParallelism());
  const navigatorObject = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, navigatorObject?.hardwareConcurrency ?? 1);
}

/**
 * Worker threads that run jobs with the main thread over shared wasm memory. The main thread is thread
 * 0 and blocks in Atomics.wait until every worker has finished the job (allowed in Node's main thread,
 * not in a browser's). Workers start on the first job and are unref'd, so they never keep the process
 * alive. `dispose` stops them.
 */
export class ThreadPool implements JobPool {
  private workers: NodeWorker[] = [];
  private started = false;
  private parallelJobs = 0;
  private words: Int32Array;

  constructor(
    private readonly WorkerClass: WorkerConstructor,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    /** Threads including the main thread. */
    readonly size: number,
  ) {
    this.words = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.words.fill(0);
  }

  /** Runs `job` on every thread, with `runHere` as the main thread's share (thread index 0). */
  run(job: number, runHere: (job: number, thread: number) => void): void {
    this.start();
    const workers = this.workers.length;
    Atomics.store(this.words, DONE, 0);
    Atomics.store(this.words, JOB, job);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    try {
      runHere(job, 0);
    } finally {
      for (let done = Atomics.load(this.words, DONE); done < workers; done = Atomics.load(this.words, DONE)) {
        Atomics.wait(this.words, DONE, done);
      }
    }
    if (Atomics.load(this.words, FAILED) !== 0) {
      throw new BackendError('wasm', 'a worker thread trapped while running a kernel; recreate the backend with threads: 1 to see the error');
    }
    this.parallelJobs++;
  }

  /** Starts the workers now (Node's start while the main thread waits, so this resolves at once). */
  async ready(): Promise<void> {
    this.start();
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
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (let index = 1; index < this.size; index++) {
      const worker = new this.WorkerClass(WORKER_SOURCE, {
        eval: true,
        workerData: { module: this.module, memory: this.memory, control: this.control, index },
      });
      worker.unref();
      this.workers.push(worker);
    }
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (let ready = Atomics.load(this.words, READY); ready < this.workers.length; ready = Atomics.load(this.words, READY)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.dispose();
        throw new BackendError('wasm', `worker threads did not start within ${START_TIMEOUT_MS} ms; create the backend with threads: 1`);
      }
      Atomics.wait(this.words, READY, ready, left);
    }
    if (Atomics.load(this.words, FAILED) !== 0) {
      this.dispose();
      throw new BackendError('wasm', 'a worker thread could not instantiate the kernel module; create the backend with threads: 1');
    }
  }
}
