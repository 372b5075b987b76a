// `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (so
// figures do not disturb each other), and prints their figures. Filter: `npm run bench -- openstack`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.log(`=== ${file} failed (exit ${result.status ?? result.signal})`);
  }
}
console.log(`\nbench: ${files.length - failed} of ${files.length} benchmark files ran`);
process.exitCode = failed === 0 ? 0 : 1;
