/**
 * The app's API client: every call goes through supabase-js `functions.invoke`, and every failure comes out as
 * an ApiError (HTTP status + the functions' stable error code), never as a raw fetch error.
 */
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js';
import { ConfigError } from './config';
import { getSupabase } from './supabase';
import type { ConnectionDto, ListConnectionsResponse, StartSyncResponse, UpdateAutoSyncResponse } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns what functions.invoke returned as `error` into an ApiError, reading the JSON error body when there is one. */
export async function toApiError(error: unknown): Promise<ApiError> {
  if (error instanceof ApiError) return error;
  if (error instanceof ConfigError) return new ApiError(0, 'CONFIG', error.message);
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    const status = typeof res?.status === 'number' ? res.status : 500;
    let body: unknown = null;
    try {
      body = await res.clone().json();
    } catch {
      body = null;
    }
    if (isRecord(body) && isRecord(body.error)) {
      // The project's shape: { error: { code, message, details? } }
      const e = body.error;
      return new ApiError(
        status,
        typeof e.code === 'string' ? e.code : `HTTP_${status}`,
        typeof e.message === 'string' ? e.message : `HTTP ${status}`,
        isRecord(e.details) ? e.details : undefined,
      );
    }
    if (status === 404 && isRecord(body) && body.code === 'NOT_FOUND' && typeof body.message === 'string') {
      // The platform's gateway itself: the function is not deployed (no CORS headers on it, so a browser on
      // another origin sees a network error instead; docs/local-vs-hosted.md).
      return new ApiError(404, 'FUNCTION_NOT_FOUND', body.message);
    }
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    return new ApiError(status, status === 401 ? 'UNAUTHORIZED' : `HTTP_${status}`, message);
  }
  if (error instanceof FunctionsRelayError) return new ApiError(502, 'RELAY_ERROR', error.message);
  if (error instanceof FunctionsFetchError) return new ApiError(0, 'NETWORK', error.message);
  if (error instanceof DOMException && error.name === 'AbortError') return new ApiError(0, 'ABORTED', 'cancelado');
  return new ApiError(0, 'UNKNOWN', error instanceof Error ? error.message : String(error));
}

/** A message in Portuguese the user can act on. */
export function describeError(error: unknown): string {
  const e = error instanceof ApiError ? error : null;
  if (!e) return 'Algo deu errado. Tente de novo.';
  if (e.code === 'CONFIG') return e.message;
  switch (e.status) {
    case 0:
      return 'Sem conexão com o servidor. Verifique sua internet e tente de novo.';
    case 400:
      return 'O pedido não foi aceito pelo servidor. Recarregue a página e tente de novo.';
    case 401:
      return 'Sua sessão expirou. Entre novamente para continuar.';
    case 403:
      return 'Você não tem permissão para alterar esta integração.';
    case 404:
      return e.code === 'FUNCTION_NOT_FOUND'
        ? 'Este recurso ainda não está disponível no servidor.'
        : 'Integração não encontrada. Ela pode ter sido removida; recarregue a página.';
    case 409:
      return 'Já existe uma sincronização em andamento para esta integração.';
    case 429:
      return 'Muitas solicitações em pouco tempo. Aguarde um instante e tente de novo.';
    default:
      return 'O servidor não respondeu como esperado. Tente de novo em instantes.';
  }
}

/** Calls an Edge Function through supabase-js; every failure comes out as an ApiError. */
export async function invoke<T>(
  name: string,
  options: { method: 'GET' | 'POST' | 'PATCH'; body?: Record<string, unknown>; signal?: AbortSignal },
): Promise<T> {
  let result: { data: unknown; error: unknown };
  try {
    result = await getSupabase().functions.invoke(name, options);
  } catch (e) {
    throw await toApiError(e);
  }
  if (result.error) throw await toApiError(result.error);
  return result.data as T;
}

export async function fetchConnections(signal?: AbortSignal): Promise<ListConnectionsResponse> {
  const data = await invoke<ListConnectionsResponse>('erp-connections', { method: 'GET', signal });
  if (!isRecord(data) || !Array.isArray(data.connections)) {
    throw new ApiError(500, 'BAD_RESPONSE', 'erp-connections answered an unexpected body');
  }
  return data;
}

export async function updateAutoSync(connectionId: string, autoSync: boolean): Promise<ConnectionDto> {
  const data = await invoke<UpdateAutoSyncResponse>('erp-connections', {
    method: 'PATCH',
    body: { connection_id: connectionId, auto_sync: autoSync },
  });
  if (!isRecord(data) || !isRecord(data.connection)) {
    throw new ApiError(500, 'BAD_RESPONSE', 'erp-connections answered an unexpected body');
  }
  return data.connection;
}

export interface StartSyncResult {
  logId: string | null;
  /** 409 SYNC_ALREADY_RUNNING: not an error for the user, the running sync is followed instead. */
  alreadyRunning: boolean;
}

/** "Sincronizar agora": POST erp-sync → 202 { log_id } or 409 with the running log's id. */
export async function startSync(connectionId: string): Promise<StartSyncResult> {
  try {
    const data = await invoke<StartSyncResponse>('erp-sync', { method: 'POST', body: { connection_id: connectionId } });
    return { logId: isRecord(data) && typeof data.log_id === 'string' ? data.log_id : null, alreadyRunning: false };
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.code === 'SYNC_ALREADY_RUNNING') {
      const logId = typeof e.details?.log_id === 'string' ? e.details.log_id : null;
      return { logId, alreadyRunning: true };
    }
    throw e;
  }
}
