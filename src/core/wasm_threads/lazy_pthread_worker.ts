/**
 * A stand-in for a Node `Worker` in the Emscripten pthread pool that starts the real worker only
 * when a thread is first run on it.
 *
 * tfjs's threaded build pre-creates 8 pool workers (`PTHREAD_POOL_SIZE`) whatever the thread
 * count, and waits until each has loaded the wasm module; XNNPACK then uses `threads − 1` of them.
 * Each real Node worker costs about 10 MiB and 0.1–0.5 s to start. This stand-in answers the
 * glue's `load` message itself (`loaded`), keeps it, and on the first other message (`run`,
 * …) starts the real worker, attaches the listeners the glue registered, and sends it the
 * kept `load` message and then the new one.
 *
 * The glue uses only `on`, `postMessage`, `ref`, `unref` and `terminate` of a pool worker in Node
 * (and sets its own fields on the object), which is what this class provides.
 */
import type { TransferListItem, Worker, WorkerOptions } from 'node:worker_threads';

type Listener = (...args: unknown[]) => void;

/** Whether `message` is the glue's `{ cmd: 'load', … }` (wasm module and memory for the worker). */
function isLoadMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { cmd?: unknown }).cmd === 'load';
}

/** A pool worker whose Node `Worker` starts on first use. */
export class LazyPthreadWorker {
  private real: Worker | null = null;
  private readonly listeners: Array<[string, Listener]> = [];
  private loadMessage: unknown = null;
  private referenced = true;

  /**
   * @param WorkerClass Node's `Worker` class.
   * @param filename the worker's entry file.
   * @param options options of the real worker (`execArgv: []` is forced: the worker needs none of the
   *   parent's Node options, and a loader such as tsx's would cost seconds per worker).
   */
  constructor(
    private readonly WorkerClass: typeof Worker,
    private readonly filename: string | URL,
    private readonly options: WorkerOptions = {},
  ) {}

  /** True once the real worker exists. */
  get started(): boolean {
    return this.real !== null;
  }

  on(event: string, listener: Listener): this {
    this.listeners.push([event, listener]);
    this.real?.on(event, listener);
    return this;
  }

  postMessage(message: unknown, transferList?: readonly TransferListItem[]): void {
    if (this.real === null && isLoadMessage(message)) {
      this.loadMessage = message;
      // Answer as a loaded worker would, asynchronously like a real message.
      setImmediate(() => this.emit('message', { cmd: 'loaded' }));
      return;
    }
    this.start().postMessage(message, transferList);
  }

  ref(): void {
    this.referenced = true;
    this.real?.ref();
  }

  unref(): void {
    this.referenced = false;
    this.real?.unref();
  }

  terminate(): Promise<number> {
    return this.real === null ? Promise.resolve(0) : this.real.terminate();
  }

  private emit(event: string, value: unknown): void {
    for (const [name, listener] of this.listeners) if (name === event) listener(value);
  }

  private start(): Worker {
    if (this.real !== null) return this.real;
    const real = new this.WorkerClass(this.filename, { ...this.options, execArgv: [] });
    for (const [event, listener] of this.listeners) real.on(event, listener);
    if (!this.referenced) real.unref();
    if (this.loadMessage !== null) real.postMessage(this.loadMessage);
    this.real = real;
    return real;
  }
}
