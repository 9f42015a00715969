import { SparkifyError } from '../core/errors.js';
import type { Node } from '../graph/types.js';
import type { Relation, Session, Warehouse } from '../warehouse/types.js';
import { columnsOf, type Column } from './columns.js';
import { nodeTransaction } from './hooks.js';
import { ensureSchema, relationOf } from './relation.js';
import { relationKind, tempRelation } from './swap.js';
import { tableOptions } from './table-options.js';
import type { MaterializeContext, MaterializeResult } from './types.js';

/**
 * A snapshot (dbt's SCD type 2): a table that records every version of each row of what the snapshot selects,
 * identified by `unique_key`, with dbt's meta columns: dbt_scd_id (a hash of the key and the version's start),
 * dbt_updated_at, dbt_valid_from, dbt_valid_to (null, or dbt_valid_to_current, while the version is current)
 * and, with hard_deletes new_record, dbt_is_deleted ('True' on the row that records a deletion).
 *
 * The first run creates the table from the select. A later run stages the select, then closes the current
 * version of every key whose row changed (strategy timestamp: updated_at is later than the version's
 * dbt_valid_from; check: one of check_cols differs) and inserts the new versions and the new keys; keys the
 * select no longer returns are left alone (hard_deletes ignore), closed (invalidate), or closed and given a
 * deletion row (new_record). Every step runs in one transaction (with the snapshot's hooks, grants and
 * persist_docs): a failure or a kill leaves the history as it was. The SQL is the same on Postgres and Redshift (UPDATE ... FROM, INSERT ... SELECT, md5, no MERGE).
 */
export async function snapshot(ctx: MaterializeContext): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  const target = relationOf(ctx);
  await ensureSchema(wh, target.schema);
  const run = new SnapshotRun(ctx, wh, target, sqlTimestamp(new Date()));
  // One transaction with the snapshot's transactional hooks, grants and persist_docs, as for a model.
  const result = await nodeTransaction(ctx, target, 'table', (tx) => run.execute(tx));
  if (ctx.fullRefresh) {
    result.notes = [...(result.notes ?? []), `${ctx.node.name}: a snapshot is history, so --full-refresh does not rebuild it (drop ${wh.dialect.relation(target)} to start it over)`];
  }
  return result;
}

/** The snapshot's time as a SQL timestamp (UTC): one value for the whole run, the same SQL on every target. */
function sqlTimestamp(d: Date): string {
  return `cast('${d.toISOString().replace('T', ' ').replace('Z', '')}' as timestamp)`;
}

interface MetaNames {
  scd: string;
  updated: string;
  from: string;
  to: string;
  deleted: string;
}

class SnapshotRun {
  private readonly node: Node;
  private readonly q: (id: string) => string;
  private readonly t: string;
  private readonly keys: string[];
  private readonly meta: MetaNames;
  /** dbt_valid_to of current rows: null, or the dbt_valid_to_current expression. */
  private readonly current: string | undefined;
  private readonly notes: string[] = [];

  constructor(
    private readonly ctx: MaterializeContext,
    private readonly wh: Warehouse,
    private readonly target: Relation,
    private readonly now: string,
  ) {
    this.node = ctx.node;
    this.q = (id) => wh.dialect.quote(id);
    this.t = wh.dialect.relation(target);
    const c = ctx.node.config;
    this.keys = c.unique_key ?? [];
    const names = c.snapshot_meta_column_names ?? {};
    this.meta = {
      scd: names.dbt_scd_id ?? 'dbt_scd_id',
      updated: names.dbt_updated_at ?? 'dbt_updated_at',
      from: names.dbt_valid_from ?? 'dbt_valid_from',
      to: names.dbt_valid_to ?? 'dbt_valid_to',
      deleted: names.dbt_is_deleted ?? 'dbt_is_deleted',
    };
    this.current = c.dbt_valid_to_current === undefined ? undefined : `cast(${c.dbt_valid_to_current} as timestamp)`;
  }

  private get newRecord(): boolean {
    return this.node.config.hard_deletes === 'new_record';
  }

  private metaColumns(): string[] {
    const m = this.meta;
    return [m.scd, m.updated, m.from, m.to, ...(this.newRecord ? [m.deleted] : [])];
  }

  private fail(message: string, hint: string): SparkifyError {
    return new SparkifyError(`${this.node.name}: ${message}`, { exitCode: 1, location: { file: this.node.original_file_path, line: 1, column: 0 }, hint });
  }

  async execute(tx: Session): Promise<MaterializeResult> {
    const { wh, q } = this;
    const existing = await relationKind(tx, wh, this.target);
    if (existing === 'view') throw this.fail(`${this.t} is a view, not a snapshot table`, 'Drop the view (or give the snapshot another alias): a snapshot keeps its history in a table.');
    const src = tempRelation(this.target, 'sparkify_snap_src');
    await this.dropLeftover(tx, src);
    await tx.exec(wh.dialect.createTableAs(src, this.ctx.sql, {}));
    const srcColumns = await columnsOf(tx, wh, src);
    await this.checkSource(tx, src, srcColumns.map((c) => c.name));
    const n = wh.dialect.relation(src);
    const m = this.meta;
    let result: MaterializeResult;
    if (!existing) {
      const from = this.validFrom('n');
      const select = [
        'n.*',
        `${this.scdId('n', from)} as ${q(m.scd)}`,
        `${this.updatedAt('n')} as ${q(m.updated)}`,
        `${from} as ${q(m.from)}`,
        // The type of dbt_valid_from, as dbt makes it (nullif of the column with itself).
        `${this.current ?? (this.usesColumn() ? `nullif(${from}, ${from})` : 'cast(null as timestamp)')} as ${q(m.to)}`,
        ...(this.newRecord ? [`cast('False' as varchar(5)) as ${q(m.deleted)}`] : []),
      ];
      const r = await tx.exec(wh.dialect.createTableAs(this.target, `select ${select.join(',\n  ')}\nfrom ${n} as n`, tableOptions(this.ctx)));
      const rows = r.rowCount ?? Number((await tx.query(`select count(*) as n from ${this.t}`)).rows[0]?.n ?? 0);
      result = { code: `SELECT ${rows}`, rowsAffected: rows };
    } else {
      result = await this.update(tx, src, srcColumns);
    }
    await tx.exec(wh.dialect.drop(src, 'table'));
    return { ...result, ...(this.notes.length ? { notes: this.notes } : {}) };
  }

  private async dropLeftover(tx: Session, r: Relation): Promise<void> {
    const leftover = await relationKind(tx, this.wh, r);
    if (leftover) await tx.exec(this.wh.dialect.drop(r, leftover));
  }

  /** The columns the config names must be in the select; its keys unique and not null. */
  private async checkSource(tx: Session, src: Relation, names: string[]): Promise<void> {
    const c = this.node.config;
    const have = new Set(names);
    const named: [string, string[]][] = [
      ['unique_key', this.keys],
      ['updated_at', c.updated_at ? [c.updated_at] : []],
      ['check_cols', Array.isArray(c.check_cols) ? c.check_cols : []],
    ];
    const missing = named.flatMap(([key, cols]) => cols.filter((col) => !have.has(col)).map((col) => `${key} names '${col}'`));
    if (missing.length) {
      throw this.fail(`${missing.join(', ')}, which the snapshot's select does not have`, `Its columns: ${names.join(', ')}. The snapshot is unchanged.`);
    }
    const clash = this.metaColumns().filter((col) => have.has(col));
    if (clash.length) {
      throw this.fail(`the snapshot's select already has ${clash.join(', ')}, which the snapshot adds itself`, 'Select the columns to record (not the meta columns of another snapshot), or rename the meta columns with snapshot_meta_column_names.');
    }
    const q = this.q;
    const n = this.wh.dialect.relation(src);
    const keyList = this.keys.map(q).join(', ');
    const nulls = Number((await tx.query(`select count(*) as n from ${n} where ${this.keys.map((k) => `${q(k)} is null`).join(' or ')}`)).rows[0]?.n ?? 0);
    if (nulls) throw this.fail(`${nulls} row${nulls > 1 ? 's' : ''} of the select ha${nulls > 1 ? 've' : 's'} a null unique_key (${this.keys.join(', ')})`, 'A snapshot tells versions apart by their key: filter those rows out, or use a key that is never null. The snapshot is unchanged.');
    const dup = await tx.query(`select ${keyList}, count(*) as sparkify_rows from ${n} group by ${keyList} having count(*) > 1 order by ${keyList} limit 3`);
    if (dup.rows.length) {
      const shown = dup.rows.map((r) => `${this.keys.map((k) => `${k}=${String(r[k])}`).join(', ')} (${String(r.sparkify_rows)} rows)`).join('; ');
      throw this.fail(`the select returns the same unique_key more than once: ${shown}`, 'A snapshot records one row per key: make the select return one row per key, or fix unique_key. The snapshot is unchanged.');
    }
  }

  /** Whether dbt_valid_from comes from the updated_at column (timestamp, or check with updated_at), not the snapshot's time. */
  private usesColumn(): boolean {
    return this.node.config.updated_at !== undefined;
  }

  private updatedAt(alias: string): string {
    return this.usesColumn() ? `${alias}.${this.q(this.node.config.updated_at!)}` : this.now;
  }

  private validFrom(alias: string): string {
    return this.updatedAt(alias);
  }

  /** dbt's dbt_scd_id: md5 of the key and the version's start. */
  private scdId(alias: string, from: string): string {
    const parts = [...this.keys.map((k) => `${alias}.${this.q(k)}`), from].map((e) => `coalesce(cast(${e} as varchar), '')`);
    return `md5(${parts.join(` || '|' || `)})`;
  }

  private keyMatch(a: string, b: string): string {
    return this.keys.map((k) => `${a}.${this.q(k)} = ${b}.${this.q(k)}`).join(' and ');
  }

  private isCurrent(alias: string): string {
    const to = `${alias}.${this.q(this.meta.to)}`;
    return this.current ? `(${to} is null or ${to} = ${this.current})` : `${to} is null`;
  }

  private changed(s: string, n: string, checkCols: string[]): string {
    const c = this.node.config;
    if (c.strategy === 'timestamp') return `${s}.${this.q(this.meta.from)} < ${n}.${this.q(c.updated_at!)}`;
    // dbt's null-safe comparison (Redshift has no IS DISTINCT FROM).
    return `(${checkCols
      .map((col) => {
        const [a, b] = [`${s}.${this.q(col)}`, `${n}.${this.q(col)}`];
        return `${a} <> ${b} or (${a} is null and ${b} is not null) or (${a} is not null and ${b} is null)`;
      })
      .join('\n    or ')})`;
  }

  private async update(tx: Session, src: Relation, srcColumns: Column[]): Promise<MaterializeResult> {
    const { wh, q, t, meta: m } = this;
    const table = await columnsOf(tx, wh, this.target);
    const tableNames = new Set(table.map((c) => c.name));
    const lacking = [m.scd, m.updated, m.from, m.to].filter((c) => !tableNames.has(c));
    if (lacking.length) {
      throw this.fail(`${t} exists but is not a snapshot table: it has no ${lacking.join(', ')}`, 'Drop it, or give the snapshot another alias (or its meta columns their names with snapshot_meta_column_names).');
    }
    if (this.newRecord && !tableNames.has(m.deleted)) {
      await tx.exec(`alter table ${t} add column ${q(m.deleted)} varchar(5)`);
      await tx.exec(`update ${t} set ${q(m.deleted)} = 'False'`);
      this.notes.push(`${this.node.name}: column ${m.deleted} added (hard_deletes is new_record)`);
    }
    // As dbt does: columns new in the select are added (earlier versions hold null); columns it no longer selects stay.
    const added = srcColumns.filter((c) => !tableNames.has(c.name));
    for (const c of added) await tx.exec(`alter table ${t} add column ${q(c.name)} ${c.type}`);
    if (added.length) this.notes.push(`${this.node.name}: columns added: ${added.map((c) => c.name).join(', ')}`);
    const removed = table.filter((c) => !srcColumns.some((s) => s.name === c.name) && !this.metaColumns().includes(c.name) && c.name !== m.deleted);
    if (removed.length) this.notes.push(`${this.node.name}: kept columns the select no longer has (null in new versions): ${removed.map((c) => c.name).join(', ')}`);

    const c = this.node.config;
    const cols = srcColumns.map((col) => col.name);
    const checkCols = c.check_cols === 'all' ? cols : (c.check_cols ?? []);
    const n = wh.dialect.relation(src);
    const changes = tempRelation(this.target, 'sparkify_snap_chg');
    await this.dropLeftover(tx, changes);
    const restored = this.newRecord ? `s.${q(m.deleted)} = 'True'` : undefined;
    // A key that comes back after a deletion row starts its new version now (its updated_at may be older).
    const from = restored ? `case when ${restored} then ${this.now} else ${this.validFrom('n')} end` : this.validFrom('n');
    const firstKey = `s.${q(this.keys[0]!)}`;
    await tx.exec(
      wh.dialect.createTableAs(
        changes,
        `select n.*,\n  case when ${firstKey} is null then 'insert' else 'update' end as sparkify_change,\n` +
          `  ${this.scdId('n', from)} as ${q(m.scd)},\n  ${this.updatedAt('n')} as ${q(m.updated)},\n  ${from} as ${q(m.from)}\n` +
          `from ${n} as n\nleft join ${t} as s on ${this.keyMatch('s', 'n')} and ${this.isCurrent('s')}\n` +
          `where ${firstKey} is null\n  or ${this.changed('s', 'n', checkCols)}${restored ? `\n  or ${restored}` : ''}`,
        {},
      ),
    );
    const ch = wh.dialect.relation(changes);
    const counts = (await tx.query(`select count(*) as n, coalesce(sum(case when sparkify_change = 'insert' then 1 else 0 end), 0) as new_keys from ${ch}`)).rows[0] ?? {};
    const newKeys = Number(counts.new_keys ?? 0);
    const changedKeys = Number(counts.n ?? 0) - newKeys;

    // Keys the select no longer returns (hard_deletes invalidate / new_record), found before anything changes.
    let deletedKeys = 0;
    const deletes = tempRelation(this.target, 'sparkify_snap_del');
    const hard = c.hard_deletes ?? 'ignore';
    if (hard !== 'ignore') {
      await this.dropLeftover(tx, deletes);
      const notDeleted = this.newRecord ? ` and coalesce(s.${q(m.deleted)}, 'False') <> 'True'` : '';
      await tx.exec(
        wh.dialect.createTableAs(deletes, `select s.* from ${t} as s\nwhere ${this.isCurrent('s')}${notDeleted}\n  and not exists (select 1 from ${n} as n where ${this.keyMatch('n', 's')})`, {}),
      );
      deletedKeys = Number((await tx.query(`select count(*) as n from ${wh.dialect.relation(deletes)}`)).rows[0]?.n ?? 0);
    }

    // Close the current versions of changed keys (Redshift's UPDATE names its target in full, without an alias).
    if (changedKeys) {
      await tx.exec(`update ${t} set ${q(m.to)} = c.${q(m.from)}\nfrom ${ch} as c\nwhere ${this.keyMatch(t, 'c')} and ${this.isCurrent(t)} and c.sparkify_change = 'update'`);
    }
    const insertCols = [...cols, m.scd, m.updated, m.from, m.to, ...(this.newRecord ? [m.deleted] : [])].map(q).join(', ');
    const validTo = this.current ?? 'null';
    const inserted = Number(
      (
        await tx.exec(
          `insert into ${t} (${insertCols})\nselect ${[...cols.map(q), q(m.scd), q(m.updated), q(m.from), validTo, ...(this.newRecord ? [`'False'`] : [])].join(', ')}\nfrom ${ch}`,
        )
      ).rowCount ?? newKeys + changedKeys,
    );
    let deletionRows = 0;
    if (deletedKeys) {
      const d = wh.dialect.relation(deletes);
      await tx.exec(`update ${t} set ${q(m.to)} = ${this.now}\nfrom ${d} as d\nwhere ${this.keyMatch(t, 'd')} and ${this.isCurrent(t)}`);
      if (this.newRecord) {
        // dbt's deletion record: the last values of the row, starting now, marked deleted.
        const data = (await columnsOf(tx, wh, this.target)).map((col) => col.name).filter((col) => !this.metaColumns().includes(col));
        const r = await tx.exec(
          `insert into ${t} (${[...data, m.scd, m.updated, m.from, m.to, m.deleted].map(q).join(', ')})\n` +
            `select ${[...data.map((col) => `d.${q(col)}`), this.scdId('d', this.now), this.now, this.now, validTo, `'True'`].join(', ')}\nfrom ${d} as d`,
        );
        deletionRows = r.rowCount ?? deletedKeys;
      }
    }
    for (const r of [changes, ...(hard !== 'ignore' ? [deletes] : [])]) await tx.exec(wh.dialect.drop(r, 'table'));
    const rows = inserted + deletionRows;
    const parts = [`${newKeys} new`, `${changedKeys} changed`, ...(hard !== 'ignore' ? [`${deletedKeys} deleted`] : [])];
    return { code: `INSERT ${rows} (${parts.join(', ')})`, rowsAffected: rows };
  }
}
