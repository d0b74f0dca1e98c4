/**
 * One adapter kit: the ERP folders share code only through ../common/ (and the contract), never by importing
 * each other; and every ERP builds its HttpClient (and OAuth token manager) through the kit's one factory
 * (common/http.ts), keeping only its own data.
 */
import assert from 'node:assert/strict';

const ERPS = ['bling', 'omie', 'tiny', 'tiny_v3', 'conta_azul'];

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

/** Every non-test TypeScript source of each ERP folder, as `[erp/file, text]`. */
function erpSources(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const erp of ERPS) {
    const dir = new URL(`../${erp}/`, import.meta.url);
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
      out.push([erp, `${erp}/${e.name}`, Deno.readTextFileSync(new URL(e.name, dir))]);
    }
  }
  return out;
}

Deno.test('adapter kit: no ERP folder imports another', () => {
  const offences: string[] = [];
  for (const [erp, file, text] of erpSources()) {
    for (const spec of importsOf(text)) {
      if (crossErpTarget(erp, spec)) offences.push(`${file} → ${spec}`);
    }
  }
  assert.deepEqual(offences, []);
});

/** Places in a source that build an HttpClient or a token manager by hand instead of through common/http.ts. */
export function handBuiltClients(source: string): string[] {
  return [...source.matchAll(/\bnew\s+(HttpClient|OAuthTokenManager)\s*\(/g)].map((m) => m[1]);
}

Deno.test('adapter kit: the hand-built client check sees one', () => {
  assert.deepEqual(
    handBuiltClients('const a = new HttpClient({});\nconst t = new  OAuthTokenManager ({});'),
    [
      'HttpClient',
      'OAuthTokenManager',
    ],
  );
  assert.deepEqual(handBuiltClients('const { http } = createErpHttp(ctx, deps, SPEC);'), []);
});

Deno.test('adapter kit: every ERP builds its HttpClient through the kit factory', () => {
  const offences: string[] = [];
  for (const [, file, text] of erpSources()) {
    for (const built of handBuiltClients(text)) offences.push(`${file}: new ${built}(...)`);
  }
  assert.deepEqual(offences, []);
});
