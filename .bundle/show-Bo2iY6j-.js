import { i as toSqlError } from "./errors-BFHvnjPa.js";
import { a as identityParsers, i as fromPostgresText, r as fromDataApiField, t as SHOW_TIME_ZONE_LOCAL } from "./values-NF3dnV-n.js";
// dist/src/warehouse/show.js
/** The embedded database: PGlite's parsers for this one query all return the text Postgres sent. */
function showOnPglite(db, sql) {
	const parsers = identityParsers(db.parsers);
	return db.transaction(async (tx) => {
		await tx.exec(SHOW_TIME_ZONE_LOCAL);
		const r = await tx.query(sql, [], {
			rowMode: "array",
			parsers
		});
		const types = r.fields.map((f) => f.dataTypeID);
		return {
			columns: r.fields.map((f) => f.name),
			rows: r.rows.map((row) => row.map((v, i) => fromPostgresText(v, types[i])))
		};
	}).catch((err) => {
		throw toSqlError(err, sql);
	});
}
/** A PostgreSQL server: one pooled client, in a transaction; no type parsing for this query (not pg.types). */
async function showOnPostgres(pool, sql) {
	const client = await pool.connect();
	try {
		await client.query("begin");
		await client.query(SHOW_TIME_ZONE_LOCAL);
		const r = await client.query({
			text: sql,
			rowMode: "array",
			types: { getTypeParser: () => (text) => text }
		}).catch((err) => {
			throw toSqlError(err, sql);
		});
		await client.query("commit");
		const types = r.fields.map((f) => f.dataTypeID);
		return {
			columns: r.fields.map((f) => f.name),
			rows: r.rows.map((row) => row.map((v, i) => fromPostgresText(v, types[i])))
		};
	} catch (err) {
		await client.query("rollback").catch(() => void 0);
		throw err;
	} finally {
		client.release();
	}
}
/** A finished Data API statement's result, every page (`page` fetches one: GetStatementResult). */
async function showOfDataApi(page) {
	let meta = [];
	const rows = [];
	let token;
	do {
		const p = await page(token);
		if (!meta.length && p.ColumnMetadata?.length) meta = p.ColumnMetadata;
		for (const record of p.Records ?? []) rows.push(record.map((f, i) => fromDataApiField(f, meta[i]?.typeName)));
		token = p.NextToken || void 0;
	} while (token);
	return {
		columns: meta.map((c, i) => c.name ?? c.label ?? `?column${i}?`),
		rows
	};
}
export { showOnPglite as n, showOnPostgres as r, showOfDataApi as t };
