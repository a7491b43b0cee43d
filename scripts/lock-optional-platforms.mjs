// The registry reachable here answers 404 for some platform-specific optional packages (macOS,
// Windows, musl... builds of biome and unrs-resolver), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. This adds a lock entry for each
// such package with the os/cpu/libc its name declares, so `npm ci` skips it on this platform as it
// would have had the registry served it. Run after `npm install`; it changes nothing when complete.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'win32',
  'openharmony',
  'netbsd',
  'openbsd',
  'sunos',
  'aix',
];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 's390x', 'riscv64', 'mips64el', 'wasm32'];
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? '' : `${path}/`;
    const key = `${base}node_modules/${name}`;
    if (packages[key] || packages[`node_modules/${name}`]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((part) => OS.includes(part));
    const cpu = parts.find((part) => CPU.includes(part));
    if (!os || !cpu) continue;
    const platform = { os: [os], cpu: [cpu] };
    if (parts.includes('musl') || parts.includes('musleabihf')) platform.libc = ['musl'];
    else if (parts.includes('gnu') || parts.includes('gnueabihf')) platform.libc = ['glibc'];
    packages[`node_modules/${name}`] = {
      version: String(version).replace(/^[\^~]/, ''),
      dev: entry.dev,
      optional: true,
      ...platform,
    };
    if (!entry.dev) delete packages[`node_modules/${name}`].dev;
    added += 1;
  }
}
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-platforms: added ${added} platform entries`);
