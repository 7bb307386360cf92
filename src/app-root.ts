import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory holding package.json (the clone, or /app in the image), where templates/ and
 * public/ live. Found by walking up, so the TypeScript source (src/…) and the compiled JavaScript
 * (dist/src/…) find the same directories.
 */
export const APP_ROOT = findAppRoot(__dirname);

function findAppRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** `name` with the extension of the running module: `.ts` under tsx, `.js` once compiled. */
export function sourceFile(dir: string, name: string): string {
  return path.join(dir, `${name}${path.extname(__filename)}`);
}
