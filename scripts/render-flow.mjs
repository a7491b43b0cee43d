// Renders workflows/<name>.yaml into dist/workflows/<name>.yaml with ${region} and ${accountId}
// replaced, because the Serverless Devs `flow` component sends the definition file as-is.
// Usage: node scripts/render-flow.mjs <region> <accountId> [name=bulk-attach]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [region, accountId, name = 'bulk-attach'] = process.argv.slice(2);
if (!/^[a-z]{2,}(-[a-z0-9]+)+$/.test(region ?? '')) {
  console.error(`render-flow: region must be a region id like "cn-hangzhou", got ${JSON.stringify(region)}`);
  process.exit(2);
}
// The Serverless Devs `flow` component refuses every other region (devsapp/fnf src/impl/base.ts); say so
// before it does, with the way out (docs/deploy.md, "Regions").
const FLOW_REGIONS = [
  'cn-beijing',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-qingdao',
  'cn-shenzhen',
  'ap-southeast-1',
  'us-west-1',
  'cn-heyuan-acdr-1',
];
if (!FLOW_REGIONS.includes(region)) {
  console.error(
    `render-flow: CloudFlow flows deploy only to ${FLOW_REGIONS.join(', ')}, got region "${region}"; ` +
      'deploy the functions alone there (npx s <function> deploy), see docs/deploy.md "Regions"',
  );
  process.exit(2);
}
if (!/^\d{1,32}$/.test(accountId ?? '')) {
  console.error(`render-flow: accountId must be the numeric account id, got ${JSON.stringify(accountId)}`);
  process.exit(2);
}
const source = readFileSync(join('workflows', `${name}.yaml`), 'utf8');
const rendered = source.replaceAll(`\${region}`, region).replaceAll(`\${accountId}`, accountId);
mkdirSync(join('dist', 'workflows'), { recursive: true });
writeFileSync(join('dist', 'workflows', `${name}.yaml`), rendered);
console.log(`render-flow: wrote dist/workflows/${name}.yaml for ${region}/${accountId}`);
