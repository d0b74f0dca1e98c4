/**
 * What the user reads on the card (pt-BR): status_message for each kind of failure, with what to do.
 * Built from facts only (ERP name, error kind): never from provider text that could carry a credential.
 */
import type { ErpType } from '../adapters/contract.ts';
import type { AppError } from '../errors.ts';

export const ERP_NAMES: Record<ErpType, string> = {
  bling: 'Bling',
  omie: 'Omie',
  tiny: 'Tiny (Olist ERP)',
  conta_azul: 'Conta Azul',
};

/** Account problems the ERP reports (not a revoked grant): what the user has to do in the ERP itself. */
const ACCOUNT_MESSAGES: Record<string, (name: string) => string> = {
  TINY_API_NO_ACCESS: (name) =>
    `O ${name} informou que a API está bloqueada ou sem acesso para esta conta. Verifique no ${name} se o plano inclui acesso à API e se o token da integração está ativo; depois clique em "Sincronizar agora".`,
  TINY_ACCOUNT_BLOCKED: (name) =>
    `O ${name} informou que a empresa está bloqueada. Regularize a conta com o ${name} e depois clique em "Sincronizar agora".`,
};

export function authFailureMessage(erp: ErpType, code?: string): string {
  const account = code ? ACCOUNT_MESSAGES[code] : undefined;
  if (account) return account(ERP_NAMES[erp]);
  return `A autorização do ${ERP_NAMES[erp]} foi revogada ou expirou. Reconecte a integração em Integrações › ${ERP_NAMES[erp]} para retomar a sincronização.`;
}

export function transientFailureMessage(erp: ErpType, failures: number, limit: number): string {
  return `O ${ERP_NAMES[erp]} não respondeu como esperado na última sincronização (${failures} de ${limit} tentativas seguidas). Tentaremos novamente no próximo horário.`;
}

export function tooManyFailuresMessage(erp: ErpType, failures: number): string {
  return `A sincronização com o ${ERP_NAMES[erp]} falhou ${failures} vezes seguidas e foi pausada. Verifique a conta no ${ERP_NAMES[erp]} e clique em "Sincronizar agora" para tentar de novo.`;
}

const ENTITY_NAMES: Record<string, string> = {
  nfe: 'notas fiscais',
  products: 'produtos',
  financials: 'financeiro',
  profile: 'dados da empresa',
};

export function partialMessage(erp: ErpType, entities: string[]): string {
  const names = ENTITY_NAMES;
  return `Sincronização parcial com o ${ERP_NAMES[erp]}: não foi possível atualizar ${entities.map((e) => names[e] ?? e).join(', ')}. Tentaremos novamente no próximo horário.`;
}

export function configFailureMessage(erp: ErpType): string {
  return `A integração com o ${ERP_NAMES[erp]} está com a configuração incompleta. Reconecte a integração ou fale com o suporte.`;
}

export function inactiveConnectionMessage(erp: ErpType): string {
  return `A integração com o ${ERP_NAMES[erp]} está desativada. Peça a um administrador da empresa para reativá-la antes de sincronizar.`;
}

export function manualCooldownMessage(seconds: number): string {
  const wait = seconds >= 60 ? `${Math.ceil(seconds / 60)} min` : `${seconds} s`;
  return `Uma sincronização manual desta integração foi feita há pouco. Aguarde ${wait} para sincronizar de novo.`;
}

export function errorSummary(e: AppError): { kind: string; code: string; message: string } {
  return { kind: e.kind, code: e.code, message: e.message.slice(0, 500) };
}

/** Failures of our own database while a sync wrote what the ERP sent: the ERP is not to blame for them. */
const DATABASE_CODES = new Set(['DB_ERROR', 'DATABASE_UNAVAILABLE']);

/** The log's error_message (shown in the card's history): what went wrong, in pt-BR, with the stable code. */
export function logErrorMessage(erp: ErpType, kind: string, code: string, entity?: string): string {
  const name = ERP_NAMES[erp];
  const what = entity ? ` (${ENTITY_NAMES[entity] ?? entity})` : '';
  if (DATABASE_CODES.has(code)) {
    return `Os dados do ${name} não puderam ser gravados${what} por uma falha temporária do nosso banco de dados. Tentaremos novamente no próximo horário. [${code}]`;
  }
  const text: Record<string, string> = {
    auth: authFailureMessage(erp, code),
    rate_limited: `O ${name} limitou o uso da API${what}. Tentaremos novamente no próximo horário.`,
    transient: `O ${name} não respondeu${what} (falha temporária). Tentaremos novamente no próximo horário.`,
    data: `O ${name} enviou dados que não puderam ser lidos${what}.`,
    not_supported: `O ${name} não oferece esta informação${what}.`,
    config: configFailureMessage(erp),
  };
  return `${text[kind] ?? `Erro inesperado ao sincronizar${what}. Tente novamente mais tarde.`} [${code}]`;
}

/** The log's error_message when a sync stopped before the end (its lease lost, or the invocation's deadline). */
export function interruptedMessage(reason: 'lease_lost' | 'deadline'): string {
  return reason === 'deadline'
    ? 'Sincronização interrompida pelo limite de tempo da execução. Ela continua do último ponto salvo em seguida.'
    : 'Sincronização interrompida (outra execução assumiu esta integração). Ela será retomada do último ponto salvo.';
}
