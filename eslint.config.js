// Lint of the project: no import cycles, and no import from a higher layer into a lower one.
//
// Layers, from the bottom (a layer may import only from layers below it and from itself):
//   core
//   nn, structures → metrics (pure math)
//   checkpoint, registry (Registry, options)
//   config
//   backbones → necks → losses, models/task_modules → heads → models
//   datasets → evaluation, visualization
//   optim
//   engine
//   apis
//   tools (the CLI)
// registry/registries.ts names every component type (type-only imports); registry/builtins.ts is the
// composition root that registers every built-in component.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Import patterns of every layer (gitignore-style globs on the import path). */
const L = {
  nn: '**/nn/**',
  structures: '**/structures/**',
  metrics: '**/metrics/**',
  checkpoint: '**/checkpoint/**',
  registry: '**/registry/**',
  config: '**/config/**',
  backbones: '**/backbones/**',
  necks: '**/necks/**',
  losses: '**/losses/**',
  heads: '**/heads/**',
  models: '**/models/**',
  datasets: '**/datasets/**',
  evaluation: '**/evaluation/**',
  visualization: '**/visualization/**',
  optim: '**/optim/**',
  engine: '**/engine/**',
  apis: '**/apis/**',
  tools: '**/tools/**',
};
const all = Object.keys(L);
/** Every layer name from `name` upwards (`name` itself excluded), in the order above. */
const above = (name) => all.slice(all.indexOf(name) + 1);

const MESSAGE = 'imports from a higher layer (see the layer list in eslint.config.js)';

/**
 * A rule forbidding imports of `layers` from the files matched by `files`;
 * `allowTaskModules` lets the heads use models/task_modules, the one part of models below them.
 */
function forbid(files, layers, { allowTaskModules = false } = {}) {
  const banned = allowTaskModules ? layers.filter((l) => l !== 'models') : layers;
  const patterns = [{ group: banned.map((l) => L[l]), message: MESSAGE }];
  if (allowTaskModules) patterns.push({ regex: '(^|/)models/(?!task_modules/)', message: MESSAGE });
  return { files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'work_dirs/**', '.native/**', '.venv/**', 'test/fixtures/**/*.js', 'src/**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import-x/extensions': ['.ts', '.mts', '.js'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  forbid(['src/core/**'], all),
  forbid(['src/nn/**'], above('nn').filter((l) => l !== 'structures' && l !== 'metrics')),
  forbid(['src/structures/**'], all.filter((l) => l !== 'structures')),
  forbid(['src/metrics/**'], all.filter((l) => l !== 'metrics' && l !== 'structures')),
  forbid(['src/checkpoint/**'], all.filter((l) => !['nn', 'structures', 'checkpoint'].includes(l))),
  forbid(['src/registry/registry.ts', 'src/registry/options.ts', 'src/registry/suggest.ts'], all.filter((l) => l !== 'registry')),
  forbid(['src/config/**'], above('config')),
  forbid(['src/backbones/**'], above('backbones')),
  forbid(['src/necks/**'], above('necks')),
  forbid(['src/losses/**'], above('losses')),
  forbid(['src/models/task_modules/**'], above('checkpoint').filter((l) => l !== 'models')),
  forbid(['src/heads/**'], above('heads'), { allowTaskModules: true }),
  forbid(['src/models/**'], above('models')),
  forbid(['src/datasets/**'], [...above('datasets'), 'backbones', 'necks', 'losses', 'heads', 'models']),
  forbid(['src/evaluation/**'], [...above('evaluation'), 'backbones', 'necks', 'losses', 'heads', 'models']),
  forbid(['src/visualization/**'], above('visualization')),
  forbid(['src/optim/**'], [...above('optim'), 'backbones', 'necks', 'losses', 'heads', 'models', 'datasets', 'evaluation', 'visualization']),
  forbid(['src/engine/**'], above('engine')),
  forbid(['src/apis/**'], above('apis')),
);
