// Bundles, with esbuild:
// - every FC function under functions/<name>/index.ts into dist/functions/<name>/index.js (handler
//   `index.handler`), one self-contained CommonJS file each, as s.yaml deploys them;
// - the CLI (src/cli/main.ts) into dist/cli/main.js, which bin/ecs-role-attach.js runs.
//
// The generated SDKs' model index (`dist/models/model.js`) re-exports every model of the product:
// about 3,450 files for ECS, 3 MB of the 5.4 MB a function bundle would weigh, and a third of a
// second to load. The product calls nine ECS actions and one RAM action, so the index is rewritten
// at bundle time to the entries of those actions (and the files they require). The SDK code itself is
// unchanged; a call to any other action would fail, and none is made. The tests run the untouched
// packages from node_modules, and test/e2e/functions/bundle.test.ts drives the bundles for real.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/** Actions whose models stay in the bundles, per SDK package. */
const USED_ACTIONS = {
  '@alicloud/ecs20140526': [
    'DescribeInstances',
    'DescribeInstanceRamRole',
    'AttachInstanceRamRole',
    'DetachInstanceRamRole',
    // templates / harden-metadata (src/cloud/sources.ts)
    'DescribeLaunchTemplates',
    'DescribeLaunchTemplateVersions',
    'CreateLaunchTemplateVersion',
    'ModifyLaunchTemplateDefaultVersion',
    'ModifyInstanceMetadataOptions',
  ],
  '@alicloud/ram20150501': ['GetRole'],
  '@alicloud/sts20150401': ['AssumeRole', 'GetCallerIdentity'],
  '@alicloud/resourcemanager20200331': ['ListAccounts', 'ListAccountsForParent', 'ListFoldersForParent'],
};

const MODEL_SUFFIXES = ['Request', 'ShrinkRequest', 'Response', 'ResponseBody'];

/** esbuild plugin: keeps only the used actions' entries in each SDK's model index. */
const trimSdkModels = {
  name: 'trim-sdk-models',
  setup(pluginBuild) {
    pluginBuild.onLoad(
      { filter: /[\\/]@alicloud[\\/][a-z0-9]+[\\/]dist[\\/]models[\\/]model\.js$/ },
      (args) => {
        const sdk = Object.keys(USED_ACTIONS).find((name) => args.path.includes(name.replace('/', '/')));
        if (!sdk) return undefined;
        const keep = new Set(
          USED_ACTIONS[sdk].flatMap((action) => MODEL_SUFFIXES.map((suffix) => action + suffix)),
        );
        const lines = readFileSync(args.path, 'utf8').split('\n');
        const kept = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });'];
        for (let i = 0; i < lines.length; i += 1) {
          const required = /^var (\w+) = require\("\.\/([\w]+)"\);$/.exec(lines[i] ?? '');
          if (
            required &&
            keep.has(basename(required[2])) &&
            lines[i + 1]?.startsWith('Object.defineProperty(exports,')
          ) {
            kept.push(lines[i], lines[i + 1]);
          }
        }
        if (kept.length === 2)
          throw new Error(`trim-sdk-models: no models of ${sdk} kept; has its index changed?`);
        return { contents: kept.join('\n'), loader: 'js' };
      },
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // urllib (under ali-oss) requires proxy-agent optionally, inside a try; it is never installed.
  external: ['proxy-agent'],
  plugins: [trimSdkModels],
};

const root = 'functions';
const names = existsSync(root)
  ? readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'index.ts')))
      .map((entry) => entry.name)
  : [];

await Promise.all([
  ...names.map((name) =>
    build({
      ...common,
      entryPoints: [join(root, name, 'index.ts')],
      outfile: join('dist', 'functions', name, 'index.js'),
    }),
  ),
  build({
    ...common,
    minify: false,
    entryPoints: ['src/cli/main.ts'],
    outfile: join('dist', 'cli', 'main.js'),
  }),
]);
