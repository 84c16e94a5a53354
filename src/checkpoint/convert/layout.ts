/** The contract of a checkpoint layout converter. */
import type { HostTensor } from '../host_tensor.js';

/** A state dict in host memory. */
export type HostStateDict = Map<string, HostTensor>;

/** What a conversion did. */
export interface ConversionReport {
  /** Name of the detected layout. */
  layout: string;
  /** Number of tensors renamed (and, where needed, reordered) into our names. */
  mapped: number;
  /** Keys dropped on purpose, with the reason (e.g. derived buffers). */
  dropped: Array<{ key: string; reason: string }>;
  /** Keys outside the converted part, kept under their own names. */
  keptAsIs: string[];
}

/** A converter from one published checkpoint layout to our parameter names. */
export interface LayoutConverter {
  /** Short name, e.g. `swin-official`. */
  name: string;
  /** Human description for reports. */
  description: string;
  /** True when the keys look like this layout. */
  detect(keys: readonly string[]): boolean;
  /** Renames (and reorders where needed) into our names. */
  convert(state: HostStateDict): { state: HostStateDict; report: ConversionReport };
}

/**
 * What a layout does with one key: rename it (with a reordered tensor where the layouts
 * differ), drop it with a reason, or keep it under its own name (`null`).
 */
export type KeyMapping = { to: string; tensor?: HostTensor } | { drop: string } | null;

/** Removes the first of `prefixes` that every key starts with (e.g. DataParallel's `module.`); else the identity. */
export function stripPrefix(keys: readonly string[], prefixes: readonly string[]): (k: string) => string {
  const prefix = prefixes.find((p) => keys.length > 0 && keys.every((k) => k.startsWith(p)));
  return prefix === undefined ? (k) => k : (k) => k.slice(prefix.length);
}

/**
 * The loop every layout converter shares: strips a `module.` prefix common to all keys,
 * asks `mapKey` what to do with each key, and records it in the report. Dropped and kept
 * keys are reported under their raw names.
 */
export function mapStateDict(layout: string, state: HostStateDict, mapKey: (key: string, value: HostTensor) => KeyMapping): { state: HostStateDict; report: ConversionReport } {
  const report: ConversionReport = { layout, mapped: 0, dropped: [], keptAsIs: [] };
  const strip = stripPrefix([...state.keys()], ['module.']);
  const out: HostStateDict = new Map();
  for (const [rawKey, value] of state) {
    const mapping = mapKey(strip(rawKey), value);
    if (mapping === null) {
      out.set(rawKey, value);
      report.keptAsIs.push(rawKey);
    } else if ('drop' in mapping) {
      report.dropped.push({ key: rawKey, reason: mapping.drop });
    } else {
      out.set(mapping.to, mapping.tensor ?? value);
      report.mapped++;
    }
  }
  return { state: out, report };
}
