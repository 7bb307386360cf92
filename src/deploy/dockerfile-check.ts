/**
 * What is wrong with cxloop's Dockerfile, checked without a Docker engine: every base image pinned by
 * digest, a non-root numeric user, an init process as PID 1 that forwards signals, node started
 * directly (npm's shell swallowed SIGTERM), the compiled entry points and a health check.
 */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const args = new Map([...text.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] ?? '');
  const stages = new Set([...text.matchAll(/^FROM \S+ AS (\S+)/gim)].map((m) => m[1]));
  if (!froms.length) problems.push('no FROM');
  for (const from of froms) {
    const image = from.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? from);
    if (!stages.has(image) && !/^[^:@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/.test(image))
      problems.push(`FROM ${from}: not pinned by tag and digest (image@sha256:…)`);
  }
  const users = [...text.matchAll(/^USER (\S+)/gm)].map((m) => m[1] ?? '');
  const lastUser = users.at(-1);
  if (!lastUser || !/^[1-9]\d*(:\d+)?$/.test(lastUser))
    problems.push(
      `USER ${lastUser ?? '(none)'}: the image must run as a non-root numeric user (Kubernetes runAsNonRoot checks the number)`,
    );
  if (!/^ENTRYPOINT \[\s*"[^"]*\b(tini|dumb-init)"/m.test(text))
    problems.push('ENTRYPOINT: no init process (tini) as PID 1 to forward signals and reap zombies');
  const cmd = /^CMD (\[.*\])$/m.exec(text)?.[1];
  if (!cmd || !cmd.startsWith('["node"'))
    problems.push(`CMD ${cmd ?? '(none)'}: start node directly, not through npm or a shell`);
  else if (!cmd.includes('dist/src/web-main.js'))
    problems.push(`CMD ${cmd}: not the compiled web entry dist/src/web-main.js`);
  if (!/^HEALTHCHECK /m.test(text)) problems.push('no HEALTHCHECK');
  return problems;
}
