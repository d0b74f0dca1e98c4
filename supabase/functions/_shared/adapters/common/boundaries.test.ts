/**
 * One adapter kit: the ERP folders share code only through ../common/ (and the contract), never by importing
 * each other.
 */
import assert from 'node:assert/strict';

const ERPS = ['bling', 'omie', 'tiny', 'conta_azul'];

/** `from '...'` specifiers of a TypeScript source. */
export function importsOf(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** The ERP folder an import specifier of a file in `erp/` reaches, when it is another ERP's folder. */
export function crossErpTarget(erp: string, specifier: string): string | null {
  const m = /^\.\.\/([\w-]+)\//.exec(specifier);
  return m && m[1] !== erp && ERPS.includes(m[1]) ? m[1] : null;
}

Deno.test('adapter kit: the boundary check sees a cross-ERP import', () => {
  assert.deepEqual(
    importsOf(`import { x } from '../omie/mappers.ts';\nimport type { Y } from "./schemas.ts";`),
    [
      '../omie/mappers.ts',
      './schemas.ts',
    ],
  );
  assert.equal(crossErpTarget('conta_azul', '../omie/mappers.ts'), 'omie');
  assert.equal(crossErpTarget('tiny', '../common/xml.ts'), null);
  assert.equal(crossErpTarget('tiny', './mappers.ts'), null);
});

Deno.test('adapter kit: no ERP folder imports another', () => {
  const offences: string[] = [];
  for (const erp of ERPS) {
    const dir = new URL(`../${erp}/`, import.meta.url);
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || !e.name.endsWith('.ts')) continue;
      for (const spec of importsOf(Deno.readTextFileSync(new URL(e.name, dir)))) {
        const target = crossErpTarget(erp, spec);
        if (target) offences.push(`${erp}/${e.name} → ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});
