/**
 * Model weights on disk: our native safetensors files, and PyTorch `.pth`
 * files in any layout {@link convertStateDict} knows (converted on the fly).
 */
import { extname } from 'node:path';
import { existsSync } from 'node:fs';
import { tf } from '../core/tf.js';
import { CheckpointError } from '../core/errors.js';
import type { LoadReport, Module } from '../nn/module.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { readPth, extractStateDict } from './pth/read_pth.js';
import type { HostTensor } from './host_tensor.js';
import { hostToTensor, tensorToHost } from './host_to_tensor.js';
import { convertStateDict, formatConversionReport } from './convert/convert.js';
import type { ConversionReport, HostStateDict } from './convert/layout.js';
import { isTrainingCheckpoint, modelWeightsOf } from './training_checkpoint_format.js';

export { hostToTensor, tensorToHost } from './host_to_tensor.js';

/** The result of reading a weights file. */
export interface ReadWeightsResult {
  /** Tensors under our names, on the host. */
  state: HostStateDict;
  /** Conversion summary when the file was a PyTorch checkpoint in a published layout. */
  conversion: ConversionReport | null;
  /** True when the file was a training checkpoint (its optimizer state was ignored). */
  fromTrainingCheckpoint?: boolean;
}

/**
 * Reads weights from a `.safetensors` file (our names: plain weights, or a
 * training checkpoint, whose model weights are taken and optimizer state
 * ignored) or a `.pth`/`.pt`/`.bin` PyTorch checkpoint (layout detected and converted).
 */
export function readWeights(path: string, options: { layout?: string } = {}): ReadWeightsResult {
  if (!existsSync(path)) throw new CheckpointError(`Weights file not found: ${path}`);
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') {
    const { tensors, metadata } = readSafetensors(path);
    if (isTrainingCheckpoint(metadata)) return { state: modelWeightsOf(tensors), conversion: null, fromTrainingCheckpoint: true };
    return { state: tensors, conversion: null };
  }
  if (ext === '.pth' || ext === '.pt' || ext === '.bin' || ext === '.ckpt') {
    const raw = extractStateDict(readPth(path), path);
    const { state, report } = convertStateDict(raw, { layout: options.layout, source: path });
    return { state, conversion: report };
  }
  throw new CheckpointError(`${path}: unsupported weights format '${ext}' (expected .safetensors or a PyTorch .pth)`);
}

/** Options of {@link loadWeightsInto}. */
export interface LoadWeightsOptions {
  /** Require exactly the model's keys. Default true. */
  strict?: boolean;
  /** Force a `.pth` layout instead of detecting it. */
  layout?: string;
}

/** What {@link loadWeightsInto} did. */
export interface LoadWeightsReport extends LoadReport {
  /** The conversion, for `.pth` inputs. */
  conversion: ConversionReport | null;
}

/**
 * Loads a weights file into a model.
 * @throws CheckpointError naming the file and parameter when a shape does not fit,
 *   or (strict) when keys are missing or unexpected.
 */
export function loadWeightsInto(model: Module, path: string, options: LoadWeightsOptions = {}): LoadWeightsReport {
  const { state, conversion } = readWeights(path, { layout: options.layout });
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of state) tensors.set(name, hostToTensor(t, `${path}: ${name}`));
    const report = model.loadStateDict(tensors, { strict: options.strict ?? true, source: path });
    return { ...report, conversion };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** Writes a model's state dict to a safetensors file, atomically. */
export function saveWeights(model: Module, path: string, metadata: Record<string, string> = {}): void {
  const host = new Map<string, HostTensor>();
  for (const [name, t] of model.stateDict()) host.set(name, tensorToHost(t));
  writeSafetensors(path, host, { format: 'densekit', ...metadata });
}

/** A human-readable summary of a weights load. */
export function formatLoadReport(report: LoadWeightsReport, path: string): string {
  const lines: string[] = [];
  if (report.conversion !== null) lines.push(formatConversionReport(report.conversion));
  lines.push(`loaded ${report.loaded.length} tensors from ${path}`);
  if (report.adapted.length > 0) lines.push(`adapted to the model's shape (${report.adapted.length}): ${report.adapted.join(', ')}`);
  const list = (keys: string[]): string => (keys.length <= 12 ? keys.join(', ') : `${keys.slice(0, 12).join(', ')}, ... (+${keys.length - 12} more)`);
  lines.push(`missing in the file (${report.missing.length})${report.missing.length > 0 ? `: ${list(report.missing)}` : ''}`);
  lines.push(`unexpected in the file (${report.unexpected.length})${report.unexpected.length > 0 ? `: ${list(report.unexpected)}` : ''}`);
  return lines.join('\n');
}
