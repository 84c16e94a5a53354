/**
 * Checkpoint conversion: detects which published layout a state dict is in and
 * maps it to our parameter names. New layouts plug in with
 * {@link registerLayoutConverter}.
 */
import { CheckpointError } from '../../core/errors.js';
import type { ConversionReport, HostStateDict, LayoutConverter } from './layout.js';
import { swinMmdetLayout, swinOfficialLayout, swinTorchvisionLayout } from './swin_layouts.js';

const converters: LayoutConverter[] = [swinOfficialLayout, swinTorchvisionLayout, swinMmdetLayout];

/** Adds a layout converter (e.g. for another backbone family). Names must be unique. */
export function registerLayoutConverter(converter: LayoutConverter): void {
  if (converters.some((c) => c.name === converter.name)) {
    throw new Error(`Layout converter '${converter.name}' is already registered`);
  }
  converters.push(converter);
}

/** Names of the known layouts. */
export function layoutNames(): string[] {
  return ['native', ...converters.map((c) => c.name)];
}

/** Options of {@link convertStateDict}. */
export interface ConvertOptions {
  /** Force a layout by name instead of detecting it. `native` passes keys through. */
  layout?: string;
  /** Source named in error messages. */
  source?: string;
}

/**
 * Converts a state dict into our names.
 * @throws CheckpointError when no layout matches (naming the file and the known layouts).
 */
export function convertStateDict(state: HostStateDict, options: ConvertOptions = {}): { state: HostStateDict; report: ConversionReport } {
  const source = options.source ?? 'state dict';
  if (options.layout === 'native') return passthrough(state);
  if (options.layout !== undefined) {
    const chosen = converters.find((c) => c.name === options.layout);
    if (chosen === undefined) {
      throw new CheckpointError(`Unknown checkpoint layout '${options.layout}' for ${source}; known: ${layoutNames().join(', ')}`);
    }
    return chosen.convert(state);
  }
  const keys = [...state.keys()];
  const matches = converters.filter((c) => c.detect(keys));
  if (matches.length > 1) {
    throw new CheckpointError(`${source} matches several layouts (${matches.map((m) => m.name).join(', ')}); choose one with --layout`);
  }
  if (matches.length === 1) return matches[0].convert(state);
  return passthrough(state);
}

function passthrough(state: HostStateDict): { state: HostStateDict; report: ConversionReport } {
  return { state: new Map(state), report: { layout: 'native', mapped: 0, dropped: [], keptAsIs: [...state.keys()] } };
}

/** A short human-readable summary of a conversion. */
export function formatConversionReport(report: ConversionReport): string {
  const lines = [`layout: ${report.layout}`, `renamed into our names: ${report.mapped} tensors`];
  if (report.dropped.length > 0) {
    const reasons = new Map<string, number>();
    for (const d of report.dropped) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) lines.push(`dropped ${n} tensors: ${reason}`);
  }
  if (report.keptAsIs.length > 0 && report.layout !== 'native') {
    lines.push(`kept under their own names (not part of the converted backbone): ${report.keptAsIs.length}`);
    for (const k of report.keptAsIs.slice(0, 10)) lines.push(`  ${k}`);
    if (report.keptAsIs.length > 10) lines.push(`  ... (+${report.keptAsIs.length - 10} more)`);
  }
  return lines.join('\n');
}
