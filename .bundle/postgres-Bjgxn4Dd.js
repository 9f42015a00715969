import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import { a as postgresDialect, i as toSqlError, r as notStarted } from "./errors-BFHvnjPa.js";
import { n as binaryHeaderLength, r as releaseOf } from "./copy-stream-Bo8e4LoL.js";
import { r as showOnPostgres } from "./show-Bo2iY6j-.js";
import { once } from "node:events";
import pg from "pg";
import { from } from "pg-copy-streams";
// dist/src/warehouse/postgres.js
/**
* A PostgreSQL server. Unset settings fall back to libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
* PGDATABASE), which node-postgres reads itself. One pool; --threads sets its size.
*/
async function openPostgres(s, opts = {}) {
	const clientConfig = {
		...s.host ? { host: s.host } : {},
		...s.port ? { port: s.port } : {},
		...s.user ? { user: s.user } : {},
		...s.password ? { password: s.password } : {},
		...s.database ? { database: s.database } : {},
		application_name: "sparkify",
		options: `-c search_path=${postgresDialect.quote(s.schema).replace(/ /g, "\\ ")},public`,
		types: { getTypeParser }
	};
	const pool = new pg.Pool({
		...clientConfig,
		max: s.threads
	});
	pool.on("error", () => void 0);
	const where = describe(s);
	try {
		await pool.query(postgresDialect.createSchema(s.schema));
	} catch (err) {
		await pool.end().catch(() => void 0);
		throw new SparkifyError(`cannot connect to PostgreSQL at ${where}: ${err.message}`, {
			hint: "Check PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (or the target in project.yml), and that the server is running.",
			cause: err
		});
	}
	return {
		driver: new PostgresDriver(pool, s.threads, clientConfig, s.schema, opts.signal),
		dialect: postgresDialect,
		schema: s.schema,
		description: `PostgreSQL ${where}`
	};
}
/** host:port/database as user, never the password. */
function describe(s) {
	const env = process.env;
	return `${s.host ?? env.PGHOST ?? "localhost"}:${s.port ?? env.PGPORT ?? 5432}/${s.database ?? env.PGDATABASE ?? s.user ?? env.PGUSER ?? ""} as ${s.user ?? env.PGUSER ?? "(default user)"}, schema ${s.schema}`;
}
var PostgresDriver = class {
	pool;
	maxConcurrency;
	clientConfig;
	schema;
	signal;
	kind = "postgres";
	/** Clients with a statement (or a transaction) under way: what an interrupt cancels. */
	busy = /* @__PURE__ */ new Set();
	onAbort = () => void this.cancelRunning();
	constructor(pool, maxConcurrency, clientConfig, schema, signal) {
		this.pool = pool;
		this.maxConcurrency = maxConcurrency;
		this.clientConfig = clientConfig;
		this.schema = schema;
		this.signal = signal;
		signal?.addEventListener("abort", this.onAbort, { once: true });
	}
	query(sql, params) {
		return this.withClient(sql, (client) => runQuery(client, sql, params));
	}
	exec(sql) {
		return this.withClient(sql, (client) => runQuery(client, sql));
	}
	async copyIn(relation, columns, chunks) {
		return this.transaction((tx) => tx.copyIn(relation, columns, chunks));
	}
	async transaction(fn) {
		return this.withClient("begin", async (client) => {
			try {
				await client.query("begin");
				const result = await fn(clientSession(client, this.signal));
				await client.query("commit");
				return result;
			} catch (err) {
				await client.query("rollback").catch(() => void 0);
				throw err;
			}
		});
	}
	show(sql) {
		return showOnPostgres(this.pool, sql);
	}
	async runLock(opts) {
		const client = new pg.Client(this.clientConfig);
		await client.connect();
		const key = `select hashtext('sparkify run ' || current_database() || '.' || current_schema()) as k`;
		this.busy.add(client);
		try {
			if (this.signal?.aborted) throw notStarted("select pg_advisory_lock(...)");
			const k = Number((await client.query(key)).rows[0].k);
			if (!(await client.query("select pg_try_advisory_lock($1) as ok", [k])).rows[0].ok) {
				if (!opts.wait) throw new SparkifyError(`another sparkify run holds the lock on schema ${this.schema} of this database`, { hint: "Wait for it to finish, or run again without --no-wait to queue behind it." });
				opts.onWait?.();
				await client.query("select pg_advisory_lock($1)", [k]).catch((err) => {
					throw toSqlError(err, "select pg_advisory_lock($1)");
				});
			}
			return async () => {
				await client.query("select pg_advisory_unlock($1)", [k]).catch(() => void 0);
				await client.end().catch(() => void 0);
			};
		} catch (err) {
			await client.end().catch(() => void 0);
			throw err;
		} finally {
			this.busy.delete(client);
		}
	}
	close() {
		this.signal?.removeEventListener("abort", this.onAbort);
		return this.pool.end();
	}
	/** A pooled client for `fn`, known as busy while `fn` runs; nothing starts once the run is interrupted. */
	async withClient(sql, fn) {
		if (this.signal?.aborted) throw notStarted(sql);
		const client = await this.pool.connect();
		this.busy.add(client);
		try {
			return await fn(client);
		} finally {
			this.busy.delete(client);
			client.release();
		}
	}
	/** pg_cancel_backend for every busy client's backend, from a connection of its own (the pool may be full). */
	async cancelRunning() {
		const pids = [...this.busy].map(backendPid).filter((p) => typeof p === "number");
		if (!pids.length) return;
		const canceller = new pg.Client(this.clientConfig);
		try {
			await canceller.connect();
			await canceller.query("select pg_cancel_backend(p) from unnest($1::int[]) as p", [pids]);
		} catch {} finally {
			await canceller.end().catch(() => void 0);
		}
	}
};
/** The server process of a connected client (node-postgres keeps it from BackendKeyData; its types do not say). */
function backendPid(client) {
	const pid = client.processID;
	return typeof pid === "number" ? pid : void 0;
}
function clientSession(client, signal) {
	const started = (sql) => {
		if (signal?.aborted) throw notStarted(sql);
	};
	return {
		async query(sql, params) {
			started(sql);
			return runQuery(client, sql, params);
		},
		async exec(sql) {
			started(sql);
			return runQuery(client, sql);
		},
		async copyIn(relation, columns, chunks) {
			started("copy");
			const it = chunks[Symbol.asyncIterator]();
			const head = await it.next();
			const binary = !head.done && binaryHeaderLength(head.value) > 0;
			const sql = `copy ${postgresDialect.relation(relation)} (${columns.map((c) => postgresDialect.quote(c)).join(", ")}) from stdin${binary ? " with (format binary)" : ""}`;
			const stream = client.query(from(sql));
			const done = new Promise((resolve, reject) => {
				stream.on("finish", resolve);
				stream.on("error", (err) => reject(toSqlError(err, sql)));
			});
			const socket = client.connection?.stream;
			let sent = [];
			const releaseSent = (all) => {
				if (!sent.length || !all && (stream.writableLength !== 0 || socket?.writableLength !== 0)) return;
				const done = sent;
				sent = [];
				for (const release of done) release();
			};
			const onSocketDrain = () => releaseSent(false);
			socket?.on?.("drain", onSocketDrain);
			try {
				for (let r = head; !r.done; r = await it.next()) {
					const chunk = r.value;
					if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), done]);
					const release = releaseOf(chunk);
					if (release) sent.push(release);
					releaseSent(false);
				}
				stream.end();
				await done;
			} catch (err) {
				await it.return?.();
				stream.destroy(err);
				await done.catch(() => void 0);
				throw err;
			} finally {
				socket?.off?.("drain", onSocketDrain);
			}
			releaseSent(true);
			return stream.rowCount;
		}
	};
}
const INT8_OID = 20;
/** bigint (count(*)) as a number when it fits, as the embedded driver gives it; otherwise as text. */
function getTypeParser(oid, format) {
	if (oid === INT8_OID && format !== "binary") return (v) => {
		const n = Number(v);
		return Number.isSafeInteger(n) ? n : v;
	};
	return pg.types.getTypeParser(oid, format ?? "text");
}
async function runQuery(q, sql, params) {
	let r;
	try {
		r = params && params.length ? await q.query(sql, params) : await q.query(sql);
	} catch (err) {
		throw toSqlError(err, sql);
	}
	const last = Array.isArray(r) ? r[r.length - 1] : r;
	return {
		rows: last.rows,
		fields: (last.fields ?? []).map((f) => ({
			name: f.name,
			typeId: f.dataTypeID
		})),
		...last.rowCount === null ? {} : { rowCount: last.rowCount }
	};
}
export { openPostgres };
