/**
 * Preloaded into the web and worker processes by `BENCH_CPU_PROFILE_DIR` (bench/replies.ts) with
 * NODE_OPTIONS=--import, as Node 20 refuses --cpu-prof there: the first SIGURG starts V8's CPU
 * profiler, the next writes `<dir>/<pid>-<n>.cpuprofile` (open it in Chrome DevTools). SIGURG, as
 * its default is to be ignored and Temporal's worker runtime shuts down on SIGUSR2.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import process from 'node:process';

const dir = process.env.CXLOOP_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const post = (method) =>
    new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
  let profiling = false;
  let written = 0;
  process.on('SIGURG', () => {
    const step = profiling
      ? post('Profiler.stop').then(({ profile }) => {
          writeFileSync(path.join(dir, `${process.pid}-${++written}.cpuprofile`), JSON.stringify(profile));
        })
      : post('Profiler.enable').then(() => post('Profiler.start'));
    profiling = !profiling;
    step.catch((err) => process.stderr.write(`CPU profile: ${err.message}\n`));
  });
}
