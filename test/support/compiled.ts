import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
/** What the web, worker and migrate entry points load (as tsconfig.build.json compiles). */
const SOURCE_DIRS = ['src', 'workflows', 'activities'];

/**
 * Compiles the production processes' modules to JavaScript once per test run, file by file without
 * type checks (the sources are type-checked by `npm run check`), as tsc would for the image. Under
 * tsx, each of the many web and worker processes the multi-process tests start would compile them
 * again at start-up, seconds of CPU each. `outDir` must be inside the clone: the compiled modules
 * find templates/, public/ and node_modules by walking up to package.json.
 */
export async function compileProcesses(outDir: string): Promise<void> {
  const sources = (await Promise.all(SOURCE_DIRS.map((dir) => typeScriptFiles(path.join(ROOT, dir))))).flat();
  for (const file of sources) {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        esModuleInterop: true,
        isolatedModules: true,
      },
    });
    const out = path.join(outDir, path.relative(ROOT, file).replace(/\.ts$/, '.js'));
    await mkdir(path.dirname(out), { recursive: true });
    // Awaited file by file: the run's servers start meanwhile, in the same process.
    await writeFile(out, outputText);
  }
}

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
