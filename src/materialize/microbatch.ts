import { BATCH_END, BATCH_START } from '../core/batch.js';
import { SparkifyError } from '../core/errors.js';
import type { Session } from '../warehouse/types.js';
import { columnsOf } from './columns.js';
import { protectedNote, refreshDecision } from './full-refresh.js';
import { nodeTransaction, runHooks } from './hooks.js';
import { ensureSchema, relationOf } from './relation.js';
import { applySchemaChange } from './schema-change.js';
import { buildAndSwap, relationKind, tempRelation } from './swap.js';
import { tableOptions } from './table-options.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/** A batch: [start, end) of the model's event_time. */
interface Batch {
  start: Date;
  end: Date;
}

type Size = 'hour' | 'day' | 'month' | 'year';

/**
 * dbt's microbatch strategy. Time is cut into batches of batch_size by the model's event_time; each batch's
 * rows come from the model's SQL with its event_time inputs read for that window only (compile wrote it as
 * compiled_batch_code).
 *  - First run and --full-refresh: every batch from `begin`, in one statement (they share one transaction
 *    anyway), built under a temporary name and swapped in: the previous table stays until all are in.
 *  - Later runs: from the newest batch in the table, `lookback` batches back, each batch replaced (delete
 *    its window, insert its rows) in its own transaction, so a failed batch leaves the others committed and
 *    is named in the error.
 * The last batch is the one holding the newest event_time of the inputs (not the wall clock, so history
 * and late files are handled alike); --event-time-start / --event-time-end set the range instead.
 */
export async function microbatch(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const node = ctx.node;
  const c = node.config;
  const size = c.batch_size!;
  const et = wh.dialect.quote(c.event_time!);
  const target = relationOf(ctx);
  const rel = wh.dialect.relation(target);
  const sql = node.compiled_batch_code;
  if (sql === undefined) throw new Error(`microbatch model ${node.name} has no batch SQL compiled`);
  const refresh = refreshDecision(ctx);
  const existing = await relationKind(wh.driver, wh, target);
  const fresh = !existing || existing === 'view' || refresh.fullRefresh;

  const start = ctx.eventTime?.start
    ? parseTime(ctx.eventTime.start)
    : fresh
      ? parseTime(c.begin!)
      : step(truncate((await newest(wh.driver, `select to_char(max(${et}), 'YYYY-MM-DD HH24:MI:SS') as m from ${rel}`)) ?? parseTime(c.begin!), size), size, -(c.lookback ?? 1));
  const end = ctx.eventTime?.end ? parseTime(ctx.eventTime.end) : await dataEnd(ctx, size);
  const batches = cut(truncate(start, size), end, size);
  const bounded = (b: Batch): string => sql.split(BATCH_START).join(stamp(b.start)).split(BATCH_END).join(stamp(b.end));
  const window = (b: Batch, alias = ''): string => `${alias}${et} >= timestamp '${stamp(b.start)}' and ${alias}${et} < timestamp '${stamp(b.end)}'`;
  const label = `${batches.length} batch${batches.length === 1 ? '' : 'es'} of a ${size}${batches.length ? ` from ${stamp(batches[0]!.start).slice(0, size === 'hour' ? 16 : 10)}` : ''}`;

  if (fresh) {
    // One transaction for all of it either way: the whole range in one statement, not batch by batch.
    const all = { start: truncate(start, size), end };
    await ensureSchema(wh, target.schema);
    const rows = await buildAndSwap(ctx, target, 'table', async (tx, tmp) => {
      await tx.exec(wh.dialect.createTableAs(tmp, `select * from (\n${bounded(all)}\n) as batch where ${batches.length ? window(all, 'batch.') : 'false'}`, tableOptions(ctx)));
      return Number((await tx.query(`select count(*) as n from ${wh.dialect.relation(tmp)}`)).rows[0]?.n ?? 0);
    });
    return { code: `MICROBATCH ${rows} (${label}, built at once)`, rowsAffected: rows };
  }

  // Incremental: each batch in its own transaction; hooks, grants and docs around them all.
  const hooks = node.hooks ?? { pre: [], post: [] };
  await runHooks(wh.driver, node, hooks.pre, 'pre_hook');
  // on_schema_change, as for every incremental model: the model's columns now (its SQL with no rows) against the table's.
  const columns = await wh.driver.transaction(async (tx) => {
    const probe = tempRelation(target, 'sparkify_new');
    const leftover = await relationKind(tx, wh, probe);
    if (leftover) await tx.exec(wh.dialect.drop(probe, leftover));
    await tx.exec(wh.dialect.createTableAs(probe, `select * from (\n${bounded(batches[0] ?? { start, end })}\n) as batch where false`, {}));
    const change = await applySchemaChange(tx, wh, node, target, await columnsOf(tx, wh, target), await columnsOf(tx, wh, probe));
    await tx.exec(wh.dialect.drop(probe, 'table'));
    return change;
  });
  for (const n of columns.notes) ctx.warn?.(n);
  const cols = columns.columns.map((col) => wh.dialect.quote(col)).join(', ');
  let rows = 0;
  const failed: { batch: Batch; error: string }[] = [];
  for (const b of batches) {
    try {
      rows += await wh.driver.transaction(async (tx) => {
        await tx.exec(`delete from ${rel} where ${window(b)}`);
        return insertBatch(tx, rel, cols, bounded(b), window(b, 'batch.'));
      });
    } catch (err) {
      failed.push({ batch: b, error: (err as Error).message.split('\n')[0] ?? '' });
    }
  }
  await nodeTransaction({ ...ctx, node: { ...node, hooks: { pre: [], post: hooks.post } } }, target, 'table', async () => undefined);
  if (failed.length) {
    throw new SparkifyError(
      `${failed.length} of ${batches.length} batches of ${node.name} failed (the other ${batches.length - failed.length} ${batches.length - failed.length === 1 ? 'is' : 'are'} committed):${failed.map((f) => `\n  ${stamp(f.batch.start)} to ${stamp(f.batch.end)}: ${f.error}`).join('')}`,
      { exitCode: 1, location: { file: node.original_file_path, line: 1, column: 0 }, hint: `Fix the cause and run again for that range: sparkify run --select ${node.name} --event-time-start "${stamp(failed[0]!.batch.start)}" --event-time-end "${stamp(failed[failed.length - 1]!.batch.end)}"` },
    );
  }
  return { code: `MICROBATCH ${rows} (${label})`, rowsAffected: rows, ...(refresh.protected ? { notes: [protectedNote(node.name)] } : {}) };
}

async function insertBatch(tx: Session, rel: string, cols: string, sql: string, window: string): Promise<number> {
  const r = await tx.exec(`insert into ${rel} (${cols}) select ${cols} from (\n${sql}\n) as batch where ${window}`);
  return r.rowCount ?? 0;
}

/** The end of the last batch: the one holding the newest event_time among the inputs, else the current one. */
async function dataEnd(ctx: MaterializeContext, size: Size): Promise<Date> {
  let latest: Date | undefined;
  for (const input of ctx.node.event_time_inputs ?? []) {
    const m = await newest(ctx.warehouse.driver, `select to_char(max(${input.column}), 'YYYY-MM-DD HH24:MI:SS') as m from ${input.relation}`);
    if (m && (!latest || m > latest)) latest = m;
  }
  return step(truncate(latest ?? new Date(), size), size, 1);
}

async function newest(session: Session, sql: string): Promise<Date | undefined> {
  const m = (await session.query(sql)).rows[0]?.m;
  return m === null || m === undefined ? undefined : parseTime(String(m));
}

// Times are the warehouse's timestamps without time zone: handled as UTC here, printed back as they were.
function parseTime(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text.trim());
  if (!m) throw new SparkifyError(`'${text}' is not a date or timestamp`, { hint: 'Write it as 2018-11-01 or 2018-11-01 06:00:00.' });
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
}

function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function truncate(d: Date, size: Size): Date {
  const y = d.getUTCFullYear(), mo = d.getUTCMonth(), day = d.getUTCDate(), h = d.getUTCHours();
  return new Date(Date.UTC(y, size === 'year' ? 0 : mo, size === 'year' || size === 'month' ? 1 : day, size === 'hour' ? h : 0));
}

function step(d: Date, size: Size, n: number): Date {
  const x = new Date(d);
  if (size === 'hour') x.setUTCHours(x.getUTCHours() + n);
  else if (size === 'day') x.setUTCDate(x.getUTCDate() + n);
  else if (size === 'month') x.setUTCMonth(x.getUTCMonth() + n);
  else x.setUTCFullYear(x.getUTCFullYear() + n);
  return x;
}

function cut(start: Date, end: Date, size: Size): Batch[] {
  const out: Batch[] = [];
  for (let s = start; s < end; s = step(s, size, 1)) out.push({ start: s, end: step(s, size, 1) });
  return out;
}
