/**
 * Every recorded fixture of the four ERP adapters names the public source its shape rests on: a JSON fixture in
 * its top-level `_source` field, an XML fixture in a trailing comment `<!-- source: … -->`. A source is a public URL or a
 * repository file pinned to a commit (`owner/repo@<40 hex>`), never a note outside the repository.
 * docs/erp-sources.md maps each shape to its source.
 */
import assert from 'node:assert/strict';

const ERPS = ['bling', 'omie', 'tiny', 'conta_azul'] as const;

const PUBLIC_SOURCE = /https:\/\/[^\s)]+|\b[\w.-]+\/[\w.-]+@[0-9a-f]{40}\b/;
const PRIVATE_NOTE = /research\/|erp-apis\.md|DESIGN\.md|\.\.\/shared|\[U\]|\[V\]/;

/** What is wrong with a fixture's source text (null when it is a public source). */
export function sourceProblem(source: string | null | undefined): string | null {
  if (typeof source !== 'string' || !source.trim()) return 'no source';
  if (PRIVATE_NOTE.test(source)) return 'cites a note outside the repository';
  if (!PUBLIC_SOURCE.test(source)) return 'no public URL or owner/repo@commit';
  return null;
}

/** The source a fixture file names (JSON `_source`, or an XML comment `<!-- source: … -->` after the document). */
function sourceOf(dir: URL, name: string): string | null {
  const text = Deno.readTextFileSync(new URL(name, dir));
  if (name.endsWith('.json')) {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed._source ?? null : null;
  }
  return /<!--\s*source:\s*([\s\S]*?)\s*-->/.exec(text)?.[1] ?? null;
}

Deno.test('fixture sources: the check rejects a fixture without a public source', () => {
  assert.equal(sourceProblem(undefined), 'no source');
  assert.equal(sourceProblem(''), 'no source');
  assert.equal(sourceProblem(['research', 'erp-apis.md §2.3'].join('/')), 'cites a note outside the repository');
  assert.equal(sourceProblem('shape as documented'), 'no public URL or owner/repo@commit');
  assert.equal(sourceProblem('https://tiny.com.br/api-docs/api2-produtos-obter'), null);
  assert.equal(sourceProblem(`OmieSharp/OmieSharp@${'c'.repeat(40)} src/x.cs`), null);
});

for (const erp of ERPS) {
  Deno.test(`fixture sources: every ${erp} fixture names a public source`, () => {
    const dir = new URL(`./${erp}/fixtures/`, import.meta.url);
    const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) =>
      e.name
    );
    assert.ok(names.length > 0, `${erp} has fixtures`);
    const problems = names.flatMap((n) => {
      const p = sourceProblem(sourceOf(dir, n));
      return p ? [`${n}: ${p}`] : [];
    });
    assert.deepEqual(problems, []);
  });
}
