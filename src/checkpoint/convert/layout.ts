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
