import { t as SparkifyError } from "./errors-BhDGUVW-.js";
const RESERVED_WORDS = new Set(`all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both
case cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec decimal
default deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full
grant greatest group grouping having ilike in initially inner inout int integer intersect interval into is isnull
join lateral leading least left like limit localtime localtimestamp national natural nchar none normalize not
notnull null nullif numeric offset on only or order out outer overlaps overlay placing position precision primary
real references returning right row select session_user setof similar smallint some substring symmetric table
tablesample then time timestamp to trailing treat trim true union unique user using values varchar variadic verbose
when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot
xmlserialize xmltable aes128 aes256 all allowoverwrite analyse analyze and any array as asc authorization az64 backup between
binary blanksasnull both bytedict bzip2 case cast check collate column constraint create credentials cross
current_date current_time current_timestamp current_user current_user_id default deferrable deflate defrag delta
delta32k desc disable distinct do else emptyasnull enable encode encrypt encryption end except explicit false for
foreign freeze from full globaldict256 globaldict64k grant group gzip having identity ignore ilike in initially
inner intersect interval into is isnull join language leading left like limit localtime localtimestamp lun luns lzo
lzop minus mostly16 mostly32 mostly8 natural new not notnull null nulls off offline offset oid old on only open or
order outer overlaps parallel partition percent permissions pivot placing primary raw readratio recover references
rejectlog resort respect restore right select session_user similar snapshot some sysdate system table tag tdes
text255 text32k then timestamp to top truncatecolumns true union unique unnest unpivot user using verbose wallet when
where with without`.split(/\s+/));
// dist/src/warehouse/postgres-dialect.js
/** Postgres SQL, shared by the embedded database (PGlite) and PostgreSQL servers. dist/sort are ignored. */
const postgresDialect = {
	name: "postgres",
	quote: (id) => /^[a-z_][a-z0-9_]*$/.test(id) && !RESERVED_WORDS.has(id) ? id : `"${id.replace(/"/g, "\"\"")}"`,
	relation(r) {
		return `${this.quote(r.schema)}.${this.quote(r.identifier)}`;
	},
	createSchema(schema) {
		return `create schema if not exists ${this.quote(schema)}`;
	},
	createTableAs(r, sql) {
		return `create table ${this.relation(r)} as (\n${sql}\n)`;
	},
	createTable(r, columnsDdl) {
		return `create table ${this.relation(r)} (\n${columnsDdl}\n)`;
	},
	createView(r, sql) {
		return `create view ${this.relation(r)} as (\n${sql}\n)`;
	},
	drop(r, kind) {
		return `drop ${kind} if exists ${this.relation(r)} cascade`;
	},
	rename(from, toIdentifier) {
		return `alter table ${this.relation(from)} rename to ${this.quote(toIdentifier)}`;
	},
	listRelations() {
		return `select table_name as identifier, case when table_type = 'VIEW' then 'view' else 'table' end as kind
            from information_schema.tables where table_schema = $1`;
	},
	listColumns() {
		return `select column_name, data_type, character_maximum_length from information_schema.columns
            where table_schema = $1 and table_name = $2 order by ordinal_position`;
	}
};
// dist/src/warehouse/errors.js
/** A statement the database refused, normalised across drivers. `position` is 1-based in `statement`. */
var SqlError = class extends Error {
	statement;
	position;
	code;
	detail;
	dbHint;
	constructor(message, statement, position, code, detail, dbHint) {
		super(message);
		this.statement = statement;
		this.position = position;
		this.code = code;
		this.detail = detail;
		this.dbHint = dbHint;
		this.name = "SqlError";
	}
};
/**
* A COPY the warehouse ran itself failed because it rejected more rows than MAXERROR allows: `rejected`
* names them (file, line, column, value, reason), read from the warehouse's load-error log.
*/
var CopyRejectedError = class extends Error {
	rejected;
	maxerror;
	constructor(message, rejected, maxerror) {
		super(message);
		this.rejected = rejected;
		this.maxerror = maxerror;
		this.name = "CopyRejectedError";
	}
};
/** Wrap a Postgres-protocol error (PGlite's or pg's) with the statement that caused it. */
function toSqlError(err, statement) {
	if (!(err instanceof Error) || err instanceof SqlError) return err;
	const e = err;
	if (e.code === void 0 || typeof e.code !== "string" || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
	const pos = e.position === void 0 || e.position === "" ? void 0 : Number(e.position);
	return new SqlError(e.message, statement, pos, e.code, e.detail || void 0, e.hint || void 0);
}
/** The run was interrupted (its AbortSignal fired) before this statement started: it was never sent. */
function notStarted(statement) {
	const line = statement.trim().split("\n")[0] ?? "";
	return new SparkifyError(`interrupted: not started: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`, { exitCode: 1 });
}
export { postgresDialect as a, toSqlError as i, SqlError as n, notStarted as r, CopyRejectedError as t };
