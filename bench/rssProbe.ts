/**
 * Preloaded into a measured child process (`node --require dist/bench/rssProbe.js ...`): on exit, writes
 * the process's peak RSS and CPU time to the file named by `BENCH_RSS_FILE`.
 */
import { writeFileSync } from 'node:fs';

const target = process.env['BENCH_RSS_FILE'];
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      target,
      JSON.stringify({
        maxRssKb: usage.maxRSS,
        userCpuUs: usage.userCPUTime,
        systemCpuUs: usage.systemCPUTime,
      }),
    );
  });
}
