// Some tests drive the built artefacts (bin/ecs-role-attach.js -> dist/cli/main.js, the FC bundles in
// dist/functions). Rebuild before the suite when any source is newer than the build, so that a test
// run never exercises a stale dist/ (CI builds in `npm ci` already and skips this).
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const builds = ['dist/cli/main.js', 'dist/functions/on-instance-created/index.js', 'dist/bench/run.js'];

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(join(root, path)).mtimeMs);
  }
  return latest;
}

module.exports = async () => {
  const built = builds.map((file) => join(root, file));
  const oldestBuild = built.every(existsSync) ? Math.min(...built.map((file) => statSync(file).mtimeMs)) : 0;
  const sources = Math.max(...['src', 'functions', 'bench', 'scripts'].map(newest));
  if (sources > oldestBuild) {
    process.stderr.write('\nglobalSetup: sources are newer than dist/, running `npm run build`...\n');
    execSync('npm run build --silent', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
};
