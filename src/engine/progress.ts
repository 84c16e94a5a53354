/** Console progress output: a redrawn bar on a terminal, plain lines otherwise. */

/** One training-progress update. */
export interface ProgressUpdate {
  iter: number;
  maxIters: number;
  epoch: number;
  lr: number;
  loss: number;
  imagesPerSecond: number;
  /** Seconds remaining, estimated. */
  etaSeconds: number;
}

/** Formats seconds as h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Writes progress to a stream: redrawn in place on a TTY, one line per update otherwise. */
export class ProgressPrinter {
  private lastLength = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    readonly isTTY: boolean = stream.isTTY === true,
    private readonly label = 'train',
  ) {}

  /** One-line text of an update. */
  static text(u: ProgressUpdate): string {
    return `iter ${u.iter}/${u.maxIters}  epoch ${u.epoch}  loss ${u.loss.toFixed(4)}  lr ${u.lr.toExponential(3)}  ` + `${u.imagesPerSecond.toFixed(1)} img/s  eta ${formatDuration(u.etaSeconds)}`;
  }

  /** Shows an update. */
  update(u: ProgressUpdate): void {
    const text = ProgressPrinter.text(u);
    if (!this.isTTY) {
      this.stream.write(`[${this.label}] ${text}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round((width * u.iter) / Math.max(1, u.maxIters));
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
    this.stream.write(`\r${bar}${' '.repeat(Math.max(0, this.lastLength - bar.length))}`);
    this.lastLength = bar.length;
  }

  /** Prints a message on its own line (ends the bar's line first on a TTY). */
  message(text: string): void {
    if (this.isTTY && this.lastLength > 0) {
      this.stream.write('\n');
      this.lastLength = 0;
    }
    this.stream.write(`${text}\n`);
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.isTTY && this.lastLength > 0) this.stream.write('\n');
    this.lastLength = 0;
  }
}
