import { FunctionsFetchError, FunctionsHttpError } from '@supabase/supabase-js';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, describeError, fetchConnections, startSync, toApiError, updateAutoSync } from './api';
import { setSupabaseForTests } from './supabase';

function httpError(status: number, body: unknown): FunctionsHttpError {
  return new FunctionsHttpError(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

function fakeClient(invoke: (...args: unknown[]) => Promise<{ data: unknown; error: unknown }>) {
  const fn = vi.fn(invoke);
  setSupabaseForTests({ functions: { invoke: fn } } as unknown as SupabaseClient);
  return fn;
}

afterEach(() => setSupabaseForTests(null));

describe('toApiError', () => {
  it("reads the functions' error body", async () => {
    const e = await toApiError(httpError(403, { error: { code: 'NOT_A_MEMBER', message: 'no' } }));
    expect(e).toMatchObject({ status: 403, code: 'NOT_A_MEMBER', message: 'no' });
    expect(describeError(e)).toBe('Você não tem permissão para alterar esta integração.');
  });

  it('the gateway answers: invalid JWT, function not deployed', async () => {
    const jwt = await toApiError(httpError(401, { code: 401, message: 'Invalid JWT' }));
    expect(jwt).toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'Invalid JWT' });
    expect(describeError(jwt)).toMatch(/sessão expirou/);
    const missing = await toApiError(httpError(404, { code: 'NOT_FOUND', message: 'Requested function was not found' }));
    expect(missing.code).toBe('FUNCTION_NOT_FOUND');
  });

  it('network errors and anything else', async () => {
    expect((await toApiError(new FunctionsFetchError(new TypeError('failed')))).status).toBe(0);
    expect(describeError(await toApiError(new FunctionsFetchError(new TypeError('x'))))).toMatch(/Sem conexão/);
    expect((await toApiError(new Error('boom'))).code).toBe('UNKNOWN');
    expect(describeError(new Error('x'))).toBe('Algo deu errado. Tente de novo.');
  });
});

describe('calls go through functions.invoke', () => {
  it('GET erp-connections', async () => {
    const invoke = fakeClient(async () => ({ data: { connections: [], server_time: 'x' }, error: null }));
    await expect(fetchConnections()).resolves.toEqual({ connections: [], server_time: 'x' });
    expect(invoke).toHaveBeenCalledWith('erp-connections', { method: 'GET', signal: undefined });
  });

  it('GET with an unexpected body is an error', async () => {
    fakeClient(async () => ({ data: 'nope', error: null }));
    await expect(fetchConnections()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('PATCH erp-connections', async () => {
    const invoke = fakeClient(async () => ({ data: { connection: { id: 'c1', auto_sync: false } }, error: null }));
    await expect(updateAutoSync('c1', false)).resolves.toEqual({ id: 'c1', auto_sync: false });
    expect(invoke).toHaveBeenCalledWith('erp-connections', { method: 'PATCH', body: { connection_id: 'c1', auto_sync: false } });
  });

  it('PATCH failure is an ApiError with the server code', async () => {
    fakeClient(async () => ({ data: null, error: httpError(400, { error: { code: 'INVALID_BODY', message: "invalid field 'auto_sync'" } }) }));
    const err = await updateAutoSync('c1', true).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'INVALID_BODY' });
  });

  it('POST erp-sync: 202 with the log id, 409 already running, 404', async () => {
    const invoke = fakeClient(async () => ({ data: { log_id: 'l1', status: 'running' }, error: null }));
    await expect(startSync('c1')).resolves.toEqual({ logId: 'l1', alreadyRunning: false });
    expect(invoke).toHaveBeenCalledWith('erp-sync', { method: 'POST', body: { connection_id: 'c1' } });

    fakeClient(async () => ({
      data: null,
      error: httpError(409, { error: { code: 'SYNC_ALREADY_RUNNING', message: 'running', details: { log_id: 'l0' } } }),
    }));
    await expect(startSync('c1')).resolves.toEqual({ logId: 'l0', alreadyRunning: true });

    fakeClient(async () => ({ data: null, error: httpError(404, { error: { code: 'CONNECTION_NOT_FOUND', message: 'x' } }) }));
    const err = await startSync('c1').catch((e) => e);
    expect(err).toMatchObject({ status: 404, code: 'CONNECTION_NOT_FOUND' });
    expect(describeError(err)).toMatch(/Integração não encontrada/);
  });
});
