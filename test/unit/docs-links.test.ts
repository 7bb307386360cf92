import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The documentation people read: the README and the guides. */
const DOCS = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f)),
];

/** Lines outside fenced code blocks, with inline code spans blanked (links in code are not links). */
function proseLines(markdown: string): string[] {
  let inFence = false;
  return markdown.split('\n').map((line) => {
    if (line.trim().startsWith('```')) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : line;
  });
}

/** A heading's anchor as GitHub makes it: its text lowercased, punctuation dropped, spaces as hyphens. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[*`]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: its headings (repeats get -1, -2, …) and `<a id|name>` tags. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = githubSlug(heading[1]!);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const tag of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(tag[1]!);
  }
  return anchors;
}

/** The link targets of a Markdown file, outside code. */
function linksOf(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '``');
    for (const link of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(link[1]!);
  }
  return targets;
}

/**
 * What is wrong with the relative links of one file: a target that does not exist, or an anchor
 * that is no heading of its Markdown file. `read` gives a file's text (the repository by default).
 */
function brokenLinks(file: string, read = (f: string) => readFileSync(f, 'utf8')): string[] {
  const broken: string[] = [];
  for (const target of linksOf(read(file))) {
    if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto: …
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = pathPart ? path.normalize(path.join(path.dirname(file), decodeURI(pathPart))) : file;
    if (pathPart && !existsSync(resolved)) {
      broken.push(`${file}: ${target} (no such file)`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith('.md')) {
      broken.push(`${file}: ${target} (an anchor into something that is not a Markdown file)`);
    } else if (!anchorsOf(read(resolved)).has(anchor)) {
      broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  return broken;
}

describe('links in the README and the guides', () => {
  it('makes anchors the way GitHub does', () => {
    expect(githubSlug('Behind a load balancer: trusted proxies and shared rate limits')).toBe(
      'behind-a-load-balancer-trusted-proxies-and-shared-rate-limits',
    );
    expect(githubSlug('Upgrading to schema version 6 (counted keys)')).toBe(
      'upgrading-to-schema-version-6-counted-keys',
    );
    expect(githubSlug('`npm run bench` — figures')).toBe('npm-run-bench--figures');
    expect([...anchorsOf('# A\n## Tests\n```\n# not a heading\n```\n### Tests\n<a id="here"></a>')]).toEqual([
      'a',
      'tests',
      'tests-1',
      'here',
    ]);
  });

  it('reports a missing file and a missing heading', () => {
    const files: Record<string, string> = {
      'docs/a.md': '# A\n\n## Known part\n\n[ok](#known-part) [gone](#unknown) [other](b.md#nope) `[code](x.md)`',
    };
    const read = (f: string) => files[f] ?? readFileSync(f, 'utf8');
    expect(brokenLinks('docs/a.md', read)).toEqual([
      'docs/a.md: #unknown (no heading #unknown in docs/a.md)',
      'docs/a.md: b.md#nope (no such file)',
    ]);
  });

  it.each(DOCS)('%s links only to files and headings that exist', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});
