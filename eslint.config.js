// Flat config: typescript-eslint's recommended rules over src, test and bench, plus the layering of src/:
//   native ← engine ← models ← train ← pipeline ← cli; data, text and eval never load the engine;
//   serve loads neither the engine nor the models (a serving host has no libtorch); report (charts, report.html)
//   takes plain data and loads no engine or models; pipeline may use it.
// A file importing across these lines fails `npm run lint` (test/lint.test.ts checks that it does).
import tseslint from 'typescript-eslint';

const layer = (folder) => [`**/${folder}/*`, `**/${folder}/**`, `**/${folder}`];
/** folder → the src folders its files must not import */
const FORBIDDEN = {
  util: ['engine', 'text', 'data', 'eval', 'models', 'train', 'pipeline', 'serve', 'report', 'cli'],
  engine: ['text', 'data', 'eval', 'models', 'train', 'pipeline', 'serve', 'report', 'cli'],
  text: ['engine', 'data', 'eval', 'models', 'train', 'pipeline', 'serve', 'report', 'cli'],
  data: ['engine', 'eval', 'models', 'train', 'pipeline', 'serve', 'report', 'cli'],
  eval: ['engine', 'models', 'train', 'pipeline', 'serve', 'report', 'cli'],
  models: ['data', 'eval', 'train', 'pipeline', 'serve', 'report', 'cli'],
  train: ['pipeline', 'serve', 'report', 'cli'],
  pipeline: ['serve', 'cli'],
  serve: ['engine', 'models', 'train', 'pipeline', 'report', 'cli'],
  // report.html's charts and page: plain data in, HTML out; no engine, no models
  report: ['engine', 'text', 'models', 'train', 'pipeline', 'serve', 'cli'],
};

const layering = Object.entries(FORBIDDEN).map(([folder, banned]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.map((b) => ({
            group: layer(b),
            message: `src/${folder} must not import src/${b} (layers: native ← engine ← models ← train ← pipeline ← cli; data, text and eval never load the engine; serve loads no engine or models).`,
          })),
          ...(['models', 'train', 'pipeline'].includes(folder)
            ? [{ group: ['**/engine/*', '!**/engine/index.js'], message: `src/${folder} uses the engine's public API (src/engine/index.js), not its internals or the raw addon.` }]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'native/build/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  ...layering,
);
