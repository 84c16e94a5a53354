/**
 * Lists the registered components with their options and defaults.
 *
 *   npm run list [-- --registry backbones] [--json]
 */
import '../src/registry/builtins.js';
import { registryOf } from '../src/registry/registry.js';
import type { RegistryKind } from '../src/registry/options.js';
import { flagBool, flagString, parseArgs, runTool, usage, UsageError, type FlagSpec } from './lib/cli.js';

const KINDS: RegistryKind[] = ['models', 'backbones', 'necks', 'heads', 'losses', 'datasets', 'transforms', 'optimizers', 'schedulers', 'metrics', 'hooks'];

const FLAGS: Record<string, FlagSpec> = {
  registry: { kind: 'string', help: `only this registry: ${KINDS.join(', ')}` },
  json: { kind: 'boolean', help: 'print JSON instead of text' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = usage('npm run list [-- --registry R] [--json]', FLAGS);

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, FLAGS);
  const only = flagString(args, 'registry');
  if (only !== undefined && !KINDS.includes(only as RegistryKind)) throw new UsageError(`unknown registry '${only}'`);
  const kinds = only === undefined ? KINDS : [only as RegistryKind];
  const out: Record<string, Record<string, { description: string; options: Record<string, { default: unknown; doc: string }> }>> = {};
  for (const kind of kinds) {
    const registry = registryOf(kind);
    out[kind] = {};
    for (const name of registry.names()) {
      const spec = registry.get(name);
      const defaults = spec.defaults as Record<string, unknown>;
      const docs = (spec.docs ?? {}) as Record<string, string | undefined>;
      out[kind][name] = {
        description: spec.description,
        options: Object.fromEntries(Object.keys(defaults).map((k) => [k, { default: defaults[k], doc: docs[k] ?? '' }])),
      };
    }
  }
  if (flagBool(args, 'json')) {
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  for (const [kind, comps] of Object.entries(out)) {
    console.log(`\n${kind.toUpperCase()} (${Object.keys(comps).length})`);
    for (const [name, c] of Object.entries(comps)) {
      console.log(`  ${name}: ${c.description}`);
      for (const [opt, o] of Object.entries(c.options)) {
        console.log(`      ${opt.padEnd(22)} = ${show(o.default).padEnd(24)} ${o.doc}`);
      }
    }
  }
}

runTool(main, USAGE);
