/**
 * Import rules enforced by `npm run lint` (dependency-cruiser).
 * - no cycles anywhere in src/ and functions/;
 * - the engine is self-contained: src/engine imports only src/engine and libraries;
 * - the input boundary (src/inputs) sits above the engine: it may import the engine, never a shell;
 * - shells (src/cli, functions/) reach the engine through its API (src/engine/index.ts).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'engine-self-contained',
      comment: 'src/engine imports only itself and libraries (node_modules, node builtins).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: {
        pathNot: ['^src/engine/', 'node_modules', '^node:'],
        dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
      },
    },
    {
      name: 'inputs-above-engine',
      comment: 'src/inputs may use the engine but never a shell or an adapter.',
      severity: 'error',
      from: { path: '^src/inputs/' },
      to: { path: ['^src/cli/', '^functions/', '^src/cloud/', '^src/store/', '^src/emulator/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^dist/', '^test/', '^bench/', '^scripts/'] },
  },
};
