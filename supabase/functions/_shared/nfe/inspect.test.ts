/** The inspect CLI run as a subprocess, as `deno task nfe:inspect` runs it. */
import assert from 'node:assert/strict';
import {
  buildCancellationEventXml,
  buildNfeXml,
  generateNotes,
} from '../../../../dev/fixtures/nfe-builder.ts';

const REPO = new URL('../../../../', import.meta.url);
const CLI = new URL('./inspect.ts', import.meta.url);

async function runCli(
  files: string[],
): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '--allow-read', '--config', new URL('deno.json', REPO).pathname, CLI.pathname, ...files],
    cwd: REPO.pathname,
    stdout: 'piped',
    stderr: 'piped',
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    lines: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test('inspect CLI: one JSON object per file, error objects for broken files, exit code', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'nfe-inspect-' });
  try {
    const [g] = generateNotes({
      seed: 3,
      count: 1,
      companyCnpj: '11222333000181',
      entradaShare: 1,
      bareShare: 0,
    });
    const good = `${dir}/good.xml`;
    const bad = `${dir}/bad.xml`;
    const other = `${dir}/pedido.xml`;
    const event = `${dir}/cancel.xml`;
    await Deno.writeTextFile(good, buildNfeXml(g.spec, { bom: true, pretty: true, crlf: true }).xml);
    await Deno.writeTextFile(bad, g.xml.slice(0, g.xml.length / 2));
    await Deno.writeTextFile(other, '<pedido><id>1</id></pedido>');
    await Deno.writeTextFile(
      event,
      buildCancellationEventXml({
        accessKey: g.accessKey,
        cnpj: g.spec.issuer.cnpj,
        at: '2026-11-10T16:00:00-03:00',
        nProt: g.spec.protocol!.nProt,
      }),
    );

    const ok = await runCli([good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.lines.length, 1);
    const n = ok.lines[0] as Record<string, any>;
    assert.equal(n.file, good);
    assert.equal(n.accessKey, g.accessKey);
    assert.equal(n.model, '55');
    assert.equal(n.series, '1');
    assert.equal(n.number, String(g.spec.number));
    assert.equal(n.issuedAt, g.spec.issuedAt);
    assert.equal(n.operation, 'saida');
    assert.deepEqual(Object.keys(n.issuer).slice(0, 1), ['cnpj']);
    assert.equal(n.issuer.cnpj, g.spec.issuer.cnpj);
    assert.equal(n.issuer.uf, g.spec.issuer.uf);
    assert.equal(n.issuer.crt, String(g.spec.issuer.crt));
    assert.equal(n.recipient.cnpj, '11222333000181');
    for (const k of ['vProd', 'vNF', 'vICMS', 'vST', 'vPIS', 'vCOFINS']) {
      assert.equal(n.totals[k], (g.totals as any)[k], k);
    }
    assert.equal(n.items.length, g.spec.items.length);
    const it = n.items[0];
    assert.equal(it.ncm, g.spec.items[0].ncm.replace(/\./g, ''));
    assert.equal(it.cfop, g.spec.items[0].cfop);
    assert.equal(it.vProd, g.items[0].vProd);
    assert.equal(it.icms.group, g.spec.items[0].icms.group);
    assert.equal(it.icms.cst ?? it.icms.csosn, g.items[0].icms.cst ?? g.items[0].icms.csosn);
    assert.equal(it.pis.cst, g.spec.items[0].pis.cst);
    assert.equal(it.cofins.cst, g.spec.items[0].cofins.cst);
    assert.equal(n.protocol.cStat, g.spec.protocol!.cStat);
    assert.equal(n.cancelled, false);
    assert.deepEqual(n.warnings, []);

    const mixed = await runCli([bad, good, other, event, `${dir}/missing.xml`]);
    assert.equal(mixed.code, 1);
    assert.equal(mixed.lines.length, 5, 'the good files are still printed');
    const [eBad, eGood, eOther, eEvent, eMissing] = mixed.lines as Record<string, any>[];
    assert.equal(eBad.file, bad);
    assert.equal(eBad.error.code, 'NFE_MALFORMED');
    assert.equal(eBad.error.kind, 'data');
    assert.equal(eGood.accessKey, g.accessKey);
    assert.equal(eOther.error.code, 'NFE_NOT_NFE');
    assert.equal(eEvent.event.tpEvento, '110111');
    assert.equal(eEvent.event.cancels, true);
    assert.equal(eEvent.event.accessKey, g.accessKey);
    assert.equal(eMissing.error.code, 'FILE_READ');

    const usage = await runCli([]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /uso:/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
