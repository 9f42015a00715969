import type { RejectedRow } from '../core/copy.js';

export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

export interface NodeResult {
  unique_id: string;
  status: NodeStatus;
  message: string;
  /** Failing rows of a test; null for models. */
  failures: number | null;
  execution_time: number;
  timing: { name: string; started_at: string; completed_at: string }[];
  thread_id: string;
  adapter_response: { _message?: string; code?: string; rows_affected?: number };
  relation_name?: string;
  compiled_path?: string;
  rejected?: RejectedRow[];
  /** Whether downstream nodes are skipped because of this result. */
  blocks: boolean;
}

export function countStatuses(results: NodeResult[]): Record<'PASS' | 'WARN' | 'ERROR' | 'SKIP' | 'TOTAL', number> {
  const c = { PASS: 0, WARN: 0, ERROR: 0, SKIP: 0, TOTAL: results.length };
  for (const r of results) {
    if (r.status === 'success' || r.status === 'pass') c.PASS++;
    else if (r.status === 'warn') c.WARN++;
    else if (r.status === 'skipped') c.SKIP++;
    else c.ERROR++;
  }
  return c;
}

export function hasFailures(results: NodeResult[]): boolean {
  return results.some((r) => r.status === 'error' || r.status === 'fail');
}
