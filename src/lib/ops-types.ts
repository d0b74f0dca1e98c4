/** The erp-alerts / erp-ops wire contract, shared with the Edge Functions (one file, no drift). */
export type {
  AlertDto,
  AcknowledgeAlertResponse,
  AlertKind,
  AttentionConnection,
  ListAlertsResponse,
  NightReport,
  NightSummary,
  OpsOverviewResponse,
  SlowSync,
} from '../../supabase/functions/_shared/ops/types.ts';
export { WINDOW_TARGET_SECONDS } from '../../supabase/functions/_shared/ops/types.ts';
