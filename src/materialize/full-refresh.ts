import type { MaterializeContext } from './types.js';

/** Whether a model that keeps history (incremental, copy) is rebuilt on this run. */
export interface RefreshDecision {
  /** Rebuild from scratch. */
  fullRefresh: boolean;
  /** The model's config sets full_refresh (so --full-refresh alone does not decide). */
  configured: boolean;
  /** --full-refresh was asked for and the config's full_refresh=false turned it off. */
  protected: boolean;
}

/**
 * dbt's `full_refresh` model config: true always rebuilds, false never does (whatever --full-refresh says:
 * the model's history is worth protecting), unset follows the flag.
 */
export function refreshDecision(ctx: MaterializeContext): RefreshDecision {
  const c = ctx.node.config.full_refresh;
  if (c === undefined) return { fullRefresh: ctx.fullRefresh, configured: false, protected: false };
  return { fullRefresh: c, configured: true, protected: ctx.fullRefresh && !c };
}

/** The log line of a protected model, for a run that went on incrementally. */
export function protectedNote(model: string): string {
  return `${model}: not rebuilt by --full-refresh, its config sets full_refresh=false (ran incrementally; remove that setting for one run to rebuild it)`;
}
