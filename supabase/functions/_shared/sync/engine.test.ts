// decideOutcome: entity results → the log's status and message, the connection's new state (table-driven).
import assert from 'node:assert/strict';
import type { Entity } from '../adapters/contract.ts';
import { decideOutcome, type EntityReport, finishedThisPass, type OutcomeInput } from './engine.ts';

const ok: EntityReport = { status: 'success', synced: 3, failed: 0, pages: 1, errors: [], duration_ms: 1 };
const failed = (kind: string, code: string): EntityReport => ({ ...ok, status: 'error', synced: 0, error: { kind, code, message: 'x' } });
const skipped: EntityReport = { ...ok, status: 'skipped', synced: 0 };
const all = (r: EntityReport): Record<Entity, EntityReport> => ({ nfe: r, products: r, financials: r, profile: r });

const cases: Array<{
  name: string;
  input: Partial<OutcomeInput>;
  status: string;
  connection: string | { status: string; failures: number; message: RegExp | null };
  log?: RegExp | null;
}> = [
  { name: 'every entity landed', input: { entities: all(ok) }, status: 'success', connection: { status: 'active', failures: 0, message: null }, log: null },
  {
    name: 'one entity failed: partial, failures reset, the entity named',
    input: { entities: { ...all(ok), products: failed('transient', 'HTTP_503') }, consecutiveFailures: 2 },
    status: 'partial',
    connection: { status: 'active', failures: 0, message: /parcial.*produtos/ },
    log: /produtos.*\[HTTP_503\]/,
  },
  {
    name: 'every attempted entity failed: error, counted, still active under the limit',
    input: { entities: { ...all(failed('transient', 'HTTP_503')), profile: { ...ok, status: 'not_supported' } } },
    status: 'error',
    connection: { status: 'active', failures: 1, message: /1 de 3 tentativas/ },
    log: /não respondeu.*\[HTTP_503\]/,
  },
  {
    name: 'the failure that reaches the limit pauses the connection',
    input: { entities: all(failed('rate_limited', 'RATE_LIMITED')), consecutiveFailures: 2 },
    status: 'error',
    connection: { status: 'error', failures: 3, message: /falhou 3 vezes seguidas/ },
    log: /limitou o uso da API/,
  },
  {
    name: 'revoked authorisation: error at once, reconnect message, the later entities skipped',
    input: { entities: { nfe: failed('auth', 'INVALID_GRANT'), products: skipped, financials: skipped, profile: skipped } },
    status: 'error',
    connection: { status: 'error', failures: 1, message: /Reconecte/ },
    log: /\[INVALID_GRANT\]/,
  },
  {
    name: 'our database failed while an entity was written: the log does not blame the ERP',
    input: { entities: { ...all(ok), nfe: failed('transient', 'DB_ERROR') } },
    status: 'partial',
    connection: { status: 'active', failures: 0, message: /parcial.*notas fiscais/ },
    log: /Omie não puderam ser gravados \(notas fiscais\).*banco de dados.*\[DB_ERROR\]/,
  },
  {
    name: 'a bad sync_config: error, configuration message',
    input: { entities: {}, failure: { kind: 'config', code: 'BAD_SYNC_CONFIG' } },
    status: 'error',
    connection: { status: 'error', failures: 1, message: /configuração incompleta/ },
    log: /\[BAD_SYNC_CONFIG\]/,
  },
  {
    name: 'the database failed outside any entity: a transient error, counted',
    input: { entities: { nfe: ok }, failure: { kind: 'transient', code: 'NETWORK' } },
    status: 'error',
    connection: { status: 'active', failures: 1, message: /Tentaremos novamente/ },
    log: /\[NETWORK\]/,
  },
  {
    name: 'nothing enabled or supported: success',
    input: { entities: { nfe: skipped, products: { ...ok, status: 'not_supported' }, financials: skipped, profile: skipped } },
    status: 'success',
    connection: { status: 'active', failures: 0, message: null },
  },
  {
    name: 'the deadline: interrupted, lease released, schedule untouched',
    input: { entities: { nfe: ok, products: failed('transient', 'DEADLINE') }, stopped: 'deadline' },
    status: 'interrupted',
    connection: 'release',
    log: /limite de tempo/,
  },
  {
    name: 'the lease lost: interrupted, the connection left to its new holder',
    input: { entities: { nfe: failed('conflict', 'LEASE_LOST') }, stopped: 'lease_lost', consecutiveFailures: 1 },
    status: 'interrupted',
    connection: 'leave',
    log: /interrompida/,
  },
];

for (const c of cases) {
  Deno.test(`decideOutcome: ${c.name}`, () => {
    const out = decideOutcome({ erp: 'omie', entities: {}, consecutiveFailures: 0, maxConsecutiveFailures: 3, ...c.input });
    assert.equal(out.status, c.status);
    if (typeof c.connection === 'string') {
      assert.equal(out.connection.kind, c.connection);
    } else {
      assert.equal(out.connection.kind, 'finish');
      if (out.connection.kind !== 'finish') return;
      assert.equal(out.connection.status, c.connection.status);
      assert.equal(out.connection.consecutiveFailures, c.connection.failures);
      if (c.connection.message === null) assert.equal(out.connection.message, null);
      else assert.match(out.connection.message ?? '', c.connection.message);
    }
    if (c.log === null) assert.equal(out.logMessage, null);
    else if (c.log) assert.match(out.logMessage ?? '', c.log);
    if (out.logMessage) assert.doesNotMatch(out.logMessage, /\bx\b$/, 'provider text never reaches the message');
  });
}

Deno.test('finishedThisPass: an entity finished since the last finished sync is not read again', () => {
  const last = new Date('2026-12-03T00:05:00Z'); // the last pass finished then
  const row = (finished_at: string | null) => ({ checkpoint: { done: true }, synced_through: '2026-12-03', finished_at });
  const cases: Array<[string, ReturnType<typeof row> | null, Date | null, boolean]> = [
    ['finished tonight by an attempt that then stopped', row('2026-12-04T00:03:00+00:00'), last, true],
    ['finished in the last pass (before or when it finished)', row('2026-12-03T00:05:00+00:00'), last, false],
    ['a page written on the way: no mark', row(null), last, false],
    ['never synced: no checkpoint', null, last, false],
    ['the first sync, stopped after finishing the entity (no sync finished yet)', row('2026-12-04T00:03:00+00:00'), null, true],
  ];
  for (const [name, saved, lastSyncAt, expected] of cases) assert.equal(finishedThisPass(saved, lastSyncAt), expected, name);
});
