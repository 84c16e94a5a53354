/** The JSON-lines log of a run: one object per logged training step or evaluation. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic_write.js';
import { join } from 'node:path';

/** A logged training step. */
export interface TrainLogRecord {
  mode: 'train';
  iter: number;
  epoch: number;
  lr: number;
  /** Sum of the loss terms. */
  loss: number;
  /** Each loss term. */
  losses: Record<string, number>;
  imagesPerSecond: number;
  /** Mean seconds per iteration waiting for data since the last record. */
  dataTime: number;
  /** Mean seconds per iteration since the last record. */
  time: number;
  /** Global gradient norm before clipping, when clipping is on. */
  gradNorm?: number;
}

/** A logged evaluation. */
export interface ValLogRecord {
  mode: 'val';
  iter: number;
  epoch: number;
  metrics: Record<string, number | null>;
}

/** Any log record. */
export type LogRecord = TrainLogRecord | ValLogRecord;

/** File name of the log inside a work dir. */
export const LOG_FILE = 'scalars.jsonl';

/** Appends records to `<workDir>/scalars.jsonl`. */
export class JsonlLog {
  readonly path: string;

  constructor(workDir: string) {
    this.path = join(workDir, LOG_FILE);
  }

  /**
   * Drops the records after iteration `iter` (a resumed run restarts there, so
   * records a killed run wrote later would otherwise repeat); returns how many were dropped.
   * Lines that do not parse (a record cut by a kill) are dropped too.
   */
  truncateAfter(iter: number): number {
    if (!existsSync(this.path)) return 0;
    const lines = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const kept = lines.filter((l) => {
      try {
        return (JSON.parse(l) as LogRecord).iter <= iter;
      } catch {
        return false;
      }
    });
    if (kept.length === lines.length) return 0;
    const text = kept.map((l) => `${l}\n`).join('');
    writeFileAtomic(
      this.path,
      (sink) => sink(new TextEncoder().encode(text)),
      (msg) => new Error(msg),
    );
    return lines.length - kept.length;
  }

  /** Appends one record. */
  write(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}

/** Reads every record of a work dir's log (skipping records after `maxIter` when given). */
export function readJsonlLog(workDir: string): LogRecord[] {
  const path = join(workDir, LOG_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogRecord);
}
