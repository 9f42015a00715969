import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import { t as redshiftDialect } from "./dialect-CLXtdlYa.js";
import { t as showOfDataApi } from "./show-Bo2iY6j-.js";
import { n as SHOW_TIME_ZONE_SESSION } from "./values-NF3dnV-n.js";
import { n as SqlError, r as notStarted, t as CopyRejectedError } from "./errors-BFHvnjPa.js";
import { t as abortableSleep } from "./abort-UbqdvNQH.js";
import { randomUUID } from "node:crypto";
import os from "node:os";
import { BatchExecuteStatementCommand, CancelStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, GetStatementResultCommand, RedshiftDataClient } from "@aws-sdk/client-redshift-data";
// dist/src/warehouse/redshift/settings.js
/** A setting with surrounding blanks removed; blank means unset. */
const clean = (v) => v === void 0 || v.trim() === "" ? void 0 : v.trim();
/** The Data API identity a target names, or a usage error that says what is missing or contradictory. */
function identityOf(targetName, s) {
	const cluster = clean(s.clusterIdentifier);
	const workgroup = clean(s.workgroup);
	const database = clean(s.database);
	const dbUser = clean(s.dbUser);
	const secretArn = clean(s.secretArn);
	if (cluster && workgroup) throw new SparkifyError(`target '${targetName}' sets both cluster_identifier and workgroup`, { hint: "A provisioned cluster takes cluster_identifier; Redshift Serverless takes workgroup. Keep one." });
	if (!cluster && !workgroup && !secretArn) throw new SparkifyError(`target '${targetName}' does not say which Redshift to use`, { hint: "Set cluster_identifier (with database and db_user), workgroup (Redshift Serverless, with database) or secret_arn in project.yml; the Sparkify project reads the cluster from REDSHIFT_CLUSTER." });
	if (!database) throw new SparkifyError(`target '${targetName}' needs a database`, { hint: "Set database: in the target (the Sparkify project reads REDSHIFT_DATABASE, default dev)." });
	return {
		...cluster ? { ClusterIdentifier: cluster } : {},
		...workgroup ? { WorkgroupName: workgroup } : {},
		Database: database,
		...cluster && dbUser && !secretArn ? { DbUser: dbUser } : {},
		...secretArn ? { SecretArn: secretArn } : {}
	};
}
/** The Data API endpoint when it is not AWS's own (the SDK reads the same variables). */
function customEndpoint() {
	return process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA || process.env.AWS_ENDPOINT_URL || void 0;
}
/** Where this warehouse is, without the secret: cluster or workgroup, database, user, schema. */
function describeTarget(id, schema, region) {
	const where = id.ClusterIdentifier ? `cluster ${id.ClusterIdentifier}` : id.WorkgroupName ? `workgroup ${id.WorkgroupName}` : "the cluster named by its secret";
	const who = id.DbUser ? ` as ${id.DbUser}` : id.SecretArn ? " (credentials from Secrets Manager)" : "";
	const endpoint = customEndpoint();
	const extra = [region ? `region ${region}` : "", endpoint ? `endpoint ${endpoint}` : ""].filter(Boolean).join(", ");
	return `${where}, database ${id.Database}${who}, schema ${schema}${extra ? ` (${extra})` : ""}`;
}
/**
* A function that masks the target's secrets in a message or an echoed statement: the whole secret ARN and
* its name part (…:secret:NAME-abcdef), the IAM role's ARN and its name (…:role/NAME).
*/
function secretMask(s) {
	const arn = clean(s.secretArn);
	const role = clean(s.iamRole);
	const secrets = [...arn ? [arn, .../:secret:(.+)$/.exec(arn)?.slice(1) ?? []] : [], ...role && role.toLowerCase() !== "default" ? [role, .../:(role\/.+)$/.exec(role)?.slice(1) ?? []] : []].sort((a, b) => b.length - a.length);
	return (message) => {
		let m = message;
		for (const secret of secrets) m = m.split(secret).join("****");
		return m;
	};
}
// dist/src/warehouse/redshift/errors.js
/** A statement the Data API reports FAILED; callers turn it into a SqlError (or read its sub-statements). */
var StatementFailed = class extends Error {
	d;
	constructor(d) {
		super(d.Error ?? "FAILED");
		this.d = d;
	}
};
/** The statement stopped because the run was interrupted (or cancelled on Redshift). */
function cancelled(what) {
	return new SparkifyError(`the statement was cancelled on Redshift: ${what}`, { exitCode: 1 });
}
/** "too many statements / sessions": worth retrying after a pause. */
function isBusy(err) {
	const name = err.name;
	return name === "ActiveStatementsExceededException" || name === "ActiveSessionsExceededException";
}
/** The Data API does not know the session any more (it expired or was closed). */
function sessionGone(err) {
	const name = err.awsError;
	return name === "ResourceNotFoundException" || name === "ValidationException" && /session/i.test(err.message);
}
/** `ERROR: relation "x" does not exist` → `relation "x" does not exist`. */
function cleanError(message) {
	return message.replace(/^\s*ERROR:\s*/, "").trim();
}
function copyUnsupported() {
	return new SparkifyError("loading rows from this machine (COPY FROM STDIN) is not available on Redshift", { hint: "Redshift loads staging files itself, from S3 (COPY ... FROM 's3://...'): put the files on S3 and point data_path at them." });
}
/** An SDK error as a SparkifyError a user can act on, without secrets; `awsError` keeps the service's error name. */
function explain(err, redact) {
	if (!(err instanceof Error) || err instanceof SparkifyError || err instanceof SqlError) return err;
	const explained = describeError(err, redact);
	Object.defineProperty(explained, "awsError", {
		value: err.name,
		enumerable: false
	});
	return explained;
}
function describeError(err, redact) {
	const name = err.name;
	const msg = redact(err.message);
	const code = err.code ?? err.cause?.code;
	switch (name) {
		case "ActiveStatementsExceededException": return new SparkifyError(`the Redshift Data API refused the statement: too many statements are running at once (ActiveStatementsExceededException: ${msg})`, {
			exitCode: 1,
			hint: "Lower --threads (or threads: in the target), or wait for other clients of this cluster to finish their statements."
		});
		case "ActiveSessionsExceededException": return new SparkifyError(`the Redshift Data API refused a new session: too many sessions are open (ActiveSessionsExceededException: ${msg})`, {
			exitCode: 1,
			hint: "Lower --threads, or wait a minute for idle sessions to close."
		});
		case "ValidationException": return new SparkifyError(`the Redshift Data API rejected the request (ValidationException: ${msg})`, { hint: "Check cluster_identifier / workgroup, database, db_user and secret_arn in the target." });
		case "ResourceNotFoundException": return new SparkifyError(`the Redshift Data API does not know it (ResourceNotFoundException: ${msg})`, { exitCode: 1 });
		case "DatabaseConnectionException": return new SparkifyError(`Redshift could not connect to the database (DatabaseConnectionException: ${msg})`, { hint: "Check that the cluster or workgroup is available and the database and user exist." });
		case "CredentialsProviderError": return new SparkifyError(`no AWS credentials: ${msg}`, { hint: "Use the standard AWS credential chain: AWS_PROFILE, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, SSO, or an instance role." });
		case "UnrecognizedClientException":
		case "InvalidSignatureException":
		case "AccessDeniedException":
		case "ExpiredTokenException":
		case "MissingAuthenticationTokenException": return new SparkifyError(`AWS refused the credentials (${name}: ${msg})`, { hint: "Check the AWS credentials and that they may call redshift-data:* (and redshift:GetClusterCredentials or the secret)." });
	}
	if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ECONNRESET" || code === "ETIMEDOUT" || name === "TimeoutError") {
		const endpoint = customEndpoint();
		return new SparkifyError(`cannot reach the Redshift Data API${endpoint ? ` at ${endpoint}` : ""}: ${msg || code}`, { hint: endpoint ? "Is the server behind AWS_ENDPOINT_URL_REDSHIFT_DATA running?" : "Check the network and AWS_REGION." });
	}
	const service = err.$fault ? `${name}: ` : "";
	return new SparkifyError(`Redshift Data API error (${service}${msg})`, { exitCode: 1 });
}
// dist/src/warehouse/redshift/copy.js
/** One COPY in the lease's session (the caller's transaction); `run` runs a statement in that session. */
async function copyInSession(ctx, spec, lease, run) {
	const iamRole = clean(ctx.iamRole);
	if (!iamRole) throw new SparkifyError(`the target has no iam_role: Redshift's COPY reads ${spec.from} with an IAM role, and none is set`, { hint: "Set iam_role: in the redshift target to the ARN of a role attached to the cluster or workgroup that may read the bucket (the Sparkify project reads it from REDSHIFT_IAM_ROLE), or to `default` for its default IAM role." });
	const sql = redshiftDialect.copyFromS3(spec, {
		iamRole,
		region: spec.region ?? ctx.region
	});
	const shown = ctx.redact(sql);
	const outcome = await ctx.sessions.serial(lease, async () => {
		const out = await ctx.api.submit(sql, [], lease, void 0, shown);
		try {
			return {
				ok: true,
				d: await ctx.api.wait(out.id, shown)
			};
		} catch (err) {
			if (err instanceof StatementFailed) return {
				ok: false,
				d: err.d
			};
			throw err;
		}
	});
	if (!outcome.ok) {
		const message = cleanError(ctx.redact(outcome.d.Error ?? "the COPY failed"));
		const queryId = Number(outcome.d.RedshiftQueryId ?? 0);
		const rejected = queryId > 0 ? await ctx.loadErrors.read(queryId).catch(() => []) : [];
		if (rejected.length) throw new CopyRejectedError(message, rejected, spec.maxerror);
		throw new SqlError(message, shown);
	}
	const last = (await run("select pg_last_copy_id() as id, pg_last_copy_count() as n")).rows[0] ?? {};
	const id = Number(last.id ?? -1);
	return {
		rows: Number(last.n ?? outcome.d.ResultRows ?? 0),
		rejected: spec.maxerror > 0 && id > 0 ? await ctx.loadErrors.read(id) : []
	};
}
/** Redshift's load-error log: stl_load_errors (provisioned) or sys_load_error_detail (also Serverless). */
var LoadErrorLog = class {
	api;
	which;
	constructor(api) {
		this.api = api;
	}
	/** The rows a COPY rejected, by its query id, in file and line order. */
	async read(queryId) {
		const stl = `select trim(filename) as file, line_number as line, trim(colname) as col, rtrim(raw_field_value) as raw, trim(err_reason) as reason
                 from stl_load_errors where query = $1 order by filename, line_number`;
		const sys = `select trim(file_name) as file, line_number as line, trim(column_name) as col, '' as raw, trim(error_message) as reason
                 from sys_load_error_detail where query_id = $1 order by file_name, line_number`;
		let res;
		if (this.which !== "sys") try {
			res = await this.api.statement(stl, [queryId], void 0);
			this.which = "stl";
		} catch (err) {
			if (!(err instanceof SqlError) || this.which === "stl") throw err;
			res = await this.api.statement(sys, [queryId], void 0);
			this.which = "sys";
		}
		else res = await this.api.statement(sys, [queryId], void 0);
		return res.rows.map((r) => ({
			file: String(r.file ?? ""),
			line: Number(r.line ?? 0),
			column: String(r.col ?? ""),
			raw: String(r.raw ?? ""),
			reason: String(r.reason ?? "")
		}));
	}
};
// dist/src/warehouse/redshift/results.js
/** Postgres type OIDs for the Data API's type names, as the other drivers report them. */
const TYPE_OIDS = {
	bool: 16,
	boolean: 16,
	bytea: 17,
	varbyte: 17,
	name: 19,
	int8: 20,
	bigint: 20,
	int2: 21,
	smallint: 21,
	int4: 23,
	integer: 23,
	text: 25,
	float4: 700,
	real: 700,
	float8: 701,
	"double precision": 701,
	float: 701,
	bpchar: 1042,
	char: 1042,
	character: 1042,
	varchar: 1043,
	"character varying": 1043,
	date: 1082,
	time: 1083,
	timestamp: 1114,
	timestamptz: 1184,
	timetz: 1266,
	numeric: 1700,
	decimal: 1700
};
/** A result column's name, as the pg driver would call it. */
function columnName(c, i) {
	return c.name ?? c.label ?? `?column${i}?`;
}
function fieldsOf(meta) {
	return meta.map((c, i) => {
		const oid = TYPE_OIDS[(c.typeName ?? "").toLowerCase()];
		return {
			name: columnName(c, i),
			...oid ? { typeId: oid } : {}
		};
	});
}
/** One cell of a Data API record as the pg driver would give it: numbers, booleans, Dates, text. */
function fieldValue(f, meta) {
	if (f.isNull) return null;
	if (f.longValue !== void 0) return f.longValue;
	if (f.doubleValue !== void 0) return f.doubleValue;
	if (f.booleanValue !== void 0) return f.booleanValue;
	if (f.blobValue !== void 0) return Buffer.from(f.blobValue);
	if (f.stringValue !== void 0) {
		const s = f.stringValue;
		switch ((meta?.typeName ?? "").toLowerCase()) {
			case "timestamp":
			case "timestamptz": return utcDate(s);
			case "date": return /^\d{4}-\d{2}-\d{2}$/.test(s) ? /* @__PURE__ */ new Date(`${s}T00:00:00Z`) : s;
			default: return s;
		}
	}
	return null;
}
/** Redshift prints timestamps as `2018-11-01 21:01:46.796` (UTC), timestamptz with `+00`. */
function utcDate(s) {
	const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2}(?::?\d{2})?|Z)?$/.exec(s.trim());
	if (!m) return s;
	let zone = m[3] ?? "Z";
	if (/^[+-]\d{2}$/.test(zone)) zone += ":00";
	else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
	const d = /* @__PURE__ */ new Date(`${m[1]}T${m[2]}${zone}`);
	return Number.isNaN(d.getTime()) ? s : d;
}
// dist/src/warehouse/redshift/statements.js
/** Cut SQL into code and non-code (literals, quoted names, comments), Redshift's lexical rules. */
function segments(sql) {
	const out = [];
	let start = 0;
	let i = 0;
	const push = (end, code, from = start) => {
		if (end > from) out.push({
			text: sql.slice(from, end),
			code
		});
	};
	while (i < sql.length) {
		const c = sql[i];
		const next = sql[i + 1];
		let end = -1;
		if (c === "'") {
			let j = i + 1;
			for (; j < sql.length; j++) if (sql[j] === "\\") j++;
			else if (sql[j] === "'") {
				if (sql[j + 1] === "'") j++;
				else break;
			}
			end = Math.min(j + 1, sql.length);
		} else if (c === "\"") {
			let j = i + 1;
			for (; j < sql.length; j++) if (sql[j] === "\"") {
				if (sql[j + 1] === "\"") j++;
				else break;
			}
			end = Math.min(j + 1, sql.length);
		} else if (c === "-" && next === "-") {
			const nl = sql.indexOf("\n", i);
			end = nl < 0 ? sql.length : nl;
		} else if (c === "/" && next === "*") {
			const close = sql.indexOf("*/", i + 2);
			end = close < 0 ? sql.length : close + 2;
		} else if (c === "$" && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? " ")) {
			const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
			if (tag) {
				const close = sql.indexOf(tag[0], i + tag[0].length);
				end = close < 0 ? sql.length : close + tag[0].length;
			}
		}
		if (end < 0) {
			i++;
			continue;
		}
		push(i, true);
		push(end, false, i);
		start = i = end;
	}
	push(sql.length, true);
	return out;
}
/** Statements of a script, split at top-level semicolons; empty and comment-only pieces are dropped. */
function splitStatements(sql) {
	const statements = [];
	let current = "";
	let hasCode = false;
	const flush = () => {
		if (hasCode) statements.push(current.trim());
		current = "";
		hasCode = false;
	};
	for (const seg of segments(sql)) {
		if (!seg.code) {
			current += seg.text;
			if (!/^(--|\/\*)/.test(seg.text)) hasCode = true;
			continue;
		}
		seg.text.split(";").forEach((p, i) => {
			if (i > 0) flush();
			current += p;
			if (p.trim()) hasCode = true;
		});
	}
	flush();
	return statements;
}
/**
* Postgres-style `$1` placeholders as the Data API's named parameters (`:p1`). The Data API takes non-empty
* text values only, so null is written as `null` and '' as `''` into the statement.
*/
function toNamedParameters(sql, params) {
	if (!params || params.length === 0) return {
		sql,
		parameters: []
	};
	const used = /* @__PURE__ */ new Set();
	return {
		sql: segments(sql).map((seg) => !seg.code ? seg.text : seg.text.replace(/(?<![A-Za-z0-9_$])\$(\d+)/g, (m, d) => {
			const n = Number(d);
			if (n < 1 || n > params.length) return m;
			const v = params[n - 1];
			if (v === null || v === void 0) return "null";
			if (parameterText(v) === "") return "''";
			used.add(n);
			return `:p${n}`;
		})).join(""),
		parameters: [...used].sort((a, b) => a - b).map((n) => ({
			name: `p${n}`,
			value: parameterText(params[n - 1])
		}))
	};
}
function parameterText(v) {
	if (v instanceof Date) return v.toISOString();
	if (typeof v === "string") return v;
	if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
	if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
	return JSON.stringify(v);
}
/** Rows affected, for the statements whose count Redshift reports reliably (DML). */
function rowCountOf(sql, resultRows) {
	if (resultRows === void 0 || resultRows < 0) return {};
	const code = segments(sql).filter((s) => s.code).map((s) => s.text).join(" ").trim().toLowerCase();
	return /^(insert|update|delete|merge|copy)\b/.test(code) ? { rowCount: resultRows } : {};
}
/** The first line of a statement, short enough for a message. */
function firstLine(sql) {
	const line = sql.trim().split("\n")[0] ?? "";
	return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
// dist/src/warehouse/redshift/data-api.js
var DataApi = class {
	client;
	identity;
	opts;
	/** Statements submitted and not yet seen to end. */
	running = /* @__PURE__ */ new Set();
	onAbort = () => {
		for (const id of this.running) this.cancel(id);
	};
	constructor(client, identity, opts) {
		this.client = client;
		this.identity = identity;
		this.opts = opts;
		opts.signal?.addEventListener("abort", this.onAbort, { once: true });
	}
	/** Let go of the signal (one may serve many warehouses in a long-lived process). */
	dispose() {
		this.opts.signal?.removeEventListener("abort", this.onAbort);
	}
	/** One statement (`$n` parameters), in `session` or on its own; its rows if it has a result set. */
	async statement(sql, params, session) {
		const named = toNamedParameters(sql, params);
		const out = await this.submit(named.sql, named.parameters, session, void 0, sql);
		const d = await this.finish(out.id, sql);
		if (d.HasResultSet) return this.results(d.Id ?? out.id);
		return {
			rows: [],
			fields: [],
			...rowCountOf(sql, d.ResultRows)
		};
	}
	/** Several statements as one BatchExecuteStatement (one transaction); the result of the last. */
	async batch(statements, session) {
		const all = statements.join(";\n");
		this.refuseIfAborted(all);
		let id;
		try {
			id = (await this.call(() => this.client.send(new BatchExecuteStatementCommand({
				Sqls: statements,
				SessionId: session.id
			})))).Id;
			session.accepted++;
			this.started(id);
		} catch (err) {
			if (sessionGone(err)) session.gone = true;
			throw err;
		}
		let d;
		try {
			d = await this.wait(id, all);
		} catch (err) {
			if (err instanceof StatementFailed) {
				const failed = err.d.SubStatements?.find((s) => s.Status === "FAILED");
				throw new SqlError(cleanError(this.opts.redact(failed?.Error ?? err.d.Error ?? "the batch failed")), failed?.QueryString ?? all);
			}
			throw err;
		}
		const last = d.SubStatements?.[d.SubStatements.length - 1];
		if (last?.HasResultSet && last.Id) return this.results(last.Id);
		return {
			rows: [],
			fields: [],
			...rowCountOf(statements[statements.length - 1], last?.ResultRows)
		};
	}
	/**
	* ExecuteStatement: in `session`, or sessionless with the target's identity; `keepAliveSeconds` opens a new
	* session (the answer's SessionId). `shown` is the statement as messages may show it.
	*/
	async submit(sql, parameters, session, keepAliveSeconds, shown = sql) {
		this.refuseIfAborted(shown);
		const input = {
			Sql: sql,
			...parameters.length ? { Parameters: parameters } : {},
			...session ? { SessionId: session.id } : this.identity,
			...keepAliveSeconds !== void 0 ? { SessionKeepAliveSeconds: keepAliveSeconds } : {}
		};
		try {
			const out = await this.call(() => this.client.send(new ExecuteStatementCommand(input)));
			if (!out.Id) throw new SparkifyError("the Redshift Data API accepted a statement without giving its id");
			if (session) session.accepted++;
			this.started(out.Id);
			return {
				id: out.Id,
				...out.SessionId ? { sessionId: out.SessionId } : {}
			};
		} catch (err) {
			if (session && sessionGone(err)) session.gone = true;
			throw err;
		}
	}
	/** Wait for a submitted statement; FAILED becomes a SqlError. */
	async finish(id, sql) {
		try {
			return await this.wait(id, sql);
		} catch (err) {
			if (err instanceof StatementFailed) throw new SqlError(cleanError(this.opts.redact(err.d.Error ?? "the statement failed")), sql);
			throw err;
		}
	}
	/** Poll DescribeStatement until the statement ends: FINISHED resolves, FAILED throws StatementFailed. */
	async wait(id, sql) {
		let delay = this.opts.pollMinMs;
		try {
			for (;;) {
				await sleep(delay);
				const d = await this.call(() => this.client.send(new DescribeStatementCommand({ Id: id })));
				if (d.Status === "FINISHED") return d;
				if (d.Status === "FAILED") throw new StatementFailed(d);
				if (d.Status === "ABORTED") throw cancelled(firstLine(sql));
				delay = this.opts.signal?.aborted ? this.opts.pollMinMs : Math.min(delay * 2, this.opts.pollMaxMs);
			}
		} finally {
			this.running.delete(id);
		}
	}
	/** GetStatementResult, every page. */
	async results(id) {
		const rows = [];
		let meta;
		let token;
		do {
			const page = await this.call(() => this.client.send(new GetStatementResultCommand({
				Id: id,
				...token ? { NextToken: token } : {}
			})));
			if (!meta?.length && page.ColumnMetadata?.length) meta = page.ColumnMetadata;
			const names = (meta ?? []).map(columnName);
			for (const record of page.Records ?? []) {
				const row = {};
				record.forEach((f, i) => row[names[i] ?? `?column${i}?`] = fieldValue(f, meta?.[i]));
				rows.push(row);
			}
			token = page.NextToken || void 0;
		} while (token);
		return {
			rows,
			fields: fieldsOf(meta ?? []),
			rowCount: rows.length
		};
	}
	/** A Data API call; "too many active statements / sessions" is retried with backoff, then explained. */
	async call(fn) {
		for (let attempt = 0;; attempt++) try {
			return await fn();
		} catch (err) {
			if (isBusy(err) && attempt < this.opts.busyRetries && !this.opts.signal?.aborted) {
				await sleep(250 * 2 ** attempt);
				continue;
			}
			throw explain(err, this.opts.redact);
		}
	}
	started(id) {
		this.running.add(id);
		if (this.opts.signal?.aborted) this.cancel(id);
	}
	cancel(id) {
		this.client.send(new CancelStatementCommand({ Id: id })).catch(() => void 0);
	}
	refuseIfAborted(sql) {
		if (this.opts.signal?.aborted) throw notStarted(sql);
	}
};
function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}
// dist/src/warehouse/redshift/run-lock.js
const RUN_LOCK_TABLE = "sparkify_run_lock";
async function takeRunLock(db, opts) {
	const q = redshiftDialect.quote;
	const table = `${q(opts.schema)}.${q(RUN_LOCK_TABLE)}`;
	await ensureLockTable(db, table, opts.schema);
	const me = randomUUID();
	const who = `${userName()}@${os.hostname()} pid ${process.pid}`;
	const stale = Math.max(1, Math.round(opts.staleSeconds ?? 90));
	let delay = 250;
	let told = false;
	for (;;) {
		const holder = await db.transaction(async (tx) => {
			await tx.exec(`lock ${table}`);
			const live = (await tx.query(`select owner, holder, acquired_at, case when heartbeat_at < getdate() - interval '${stale} seconds' then 1 else 0 end as stale from ${table}`)).rows.find((x) => Number(x.stale) === 0 && x.owner !== me);
			if (live) return live;
			await tx.exec(`delete from ${table}`);
			await tx.query(`insert into ${table} (owner, holder, acquired_at, heartbeat_at) values ($1, $2, getdate(), getdate())`, [me, who]);
		});
		if (!holder) break;
		const since = holder.acquired_at instanceof Date ? ` since ${holder.acquired_at.toISOString().replace("T", " ").slice(0, 19)} UTC` : "";
		const described = `${String(holder.holder)}${since}`;
		if (!opts.wait) throw new SparkifyError(`another sparkify run holds the lock on schema ${opts.schema} of this Redshift database: ${described}`, { hint: `Wait for it to finish, or run again without --no-wait to queue behind it. A run that died gives the lock up ${stale} s after its last heartbeat (the row in ${opts.schema}.${RUN_LOCK_TABLE}).` });
		if (!told) opts.onWait?.(described);
		told = true;
		await abortableSleep(delay, opts.signal, interruptedWaiting);
		delay = Math.min(delay * 2, 5e3);
	}
	const beat = Math.max(1, opts.heartbeatSeconds ?? 20) * 1e3;
	const heartbeat = setInterval(() => {
		db.query(`update ${table} set heartbeat_at = getdate() where owner = $1`, [me]).catch(() => void 0);
	}, beat);
	heartbeat.unref();
	let released = false;
	return async () => {
		if (released) return;
		released = true;
		clearInterval(heartbeat);
		await db.query(`delete from ${table} where owner = $1`, [me]).catch(() => void 0);
	};
}
async function ensureLockTable(db, table, schema) {
	const exists = async () => (await db.query(`${redshiftDialect.listRelations()} and table_name = $2`, [schema, RUN_LOCK_TABLE])).rows.length > 0;
	if (await exists()) return;
	try {
		await db.exec(`create table ${table} (
  owner        varchar(64)  not null,
  holder       varchar(512) not null,
  acquired_at  timestamp    not null,
  heartbeat_at timestamp    not null
)`);
	} catch (err) {
		if (!await exists()) throw err;
	}
}
function userName() {
	try {
		return os.userInfo().username;
	} catch {
		return "unknown";
	}
}
function interruptedWaiting() {
	return new SparkifyError("interrupted while waiting for the run lock", { exitCode: 1 });
}
// dist/src/warehouse/redshift/sessions.js
var SessionPool = class {
	api;
	schema;
	keepAliveSeconds;
	idle = [];
	closed = false;
	constructor(api, schema, keepAliveSeconds) {
		this.api = api;
		this.schema = schema;
		this.keepAliveSeconds = keepAliveSeconds;
	}
	/** Run `fn` with a session of its own, returned to the pool afterwards unless it broke. */
	async with(fn) {
		for (let attempt = 0;; attempt++) {
			if (this.closed) throw new SparkifyError("the Redshift connection is closed");
			const lease = await this.acquire();
			lease.accepted = 0;
			try {
				return await fn(lease);
			} catch (err) {
				if (lease.gone && lease.reused && lease.accepted === 0 && attempt === 0) continue;
				throw err;
			} finally {
				lease.lastUsed = Date.now();
				if (!lease.broken && !this.closed) this.idle.push(lease);
			}
		}
	}
	/** Run `fn` after everything already queued on this lease; a failure other than the SQL's retires the session. */
	serial(lease, fn) {
		const guarded = () => fn().catch((err) => {
			if (!(err instanceof SqlError)) lease.broken = true;
			throw err;
		});
		const next = lease.chain.then(guarded, guarded);
		lease.chain = next.catch(() => void 0);
		return next;
	}
	close() {
		this.closed = true;
		this.idle.length = 0;
	}
	async acquire() {
		const keepAlive = this.keepAliveSeconds * 1e3;
		const margin = Math.min(1e4, keepAlive / 4);
		while (this.idle.length) {
			const lease = this.idle.pop();
			if (Date.now() - lease.lastUsed < keepAlive - margin) return {
				...lease,
				reused: true
			};
		}
		const sql = `set search_path to ${redshiftDialect.quote(this.schema)}, public`;
		const out = await this.api.submit(sql, [], void 0, this.keepAliveSeconds);
		if (!out.sessionId) throw new SparkifyError("the Redshift Data API started no session (its answer had no SessionId)");
		await this.api.finish(out.id, sql);
		return {
			id: out.sessionId,
			lastUsed: Date.now(),
			reused: false,
			accepted: 0,
			chain: Promise.resolve()
		};
	}
};
// dist/src/warehouse/redshift/driver.js
var RedshiftDataDriver = class {
	client;
	settings;
	signal;
	kind = "redshift-data";
	maxConcurrency;
	/** Masks the secret ARN and the IAM role in messages. */
	redact;
	api;
	sessions;
	loadErrors;
	closed = false;
	/** The AWS region the Data API is called in: COPY's REGION when the model names none. */
	region = "";
	constructor(client, identity, settings, signal) {
		this.client = client;
		this.settings = settings;
		this.signal = signal;
		this.maxConcurrency = Math.max(1, settings.threads);
		this.redact = secretMask(settings);
		this.api = new DataApi(client, identity, {
			pollMinMs: settings.pollMinMs ?? 50,
			pollMaxMs: settings.pollMaxMs ?? 1e3,
			busyRetries: settings.busyRetries ?? 3,
			redact: this.redact,
			...signal ? { signal } : {}
		});
		this.sessions = new SessionPool(this.api, settings.schema, settings.sessionKeepAliveSeconds ?? 60);
		this.loadErrors = new LoadErrorLog(this.api);
	}
	query(sql, params) {
		return this.sessions.with((lease) => this.inLease(lease, sql, params));
	}
	exec(sql) {
		const statements = splitStatements(sql);
		if (statements.length === 0) return Promise.resolve({
			rows: [],
			fields: []
		});
		if (statements.length === 1) return this.query(statements[0]);
		return this.sessions.with((lease) => this.sessions.serial(lease, () => this.api.batch(statements, lease)));
	}
	copyIn() {
		return Promise.reject(copyUnsupported());
	}
	copyFromS3(spec) {
		return this.transaction((tx) => tx.copyFromS3(spec));
	}
	async transaction(fn) {
		return this.sessions.with(async (lease) => {
			const run = (sql, params) => this.inLease(lease, sql, params);
			const tx = {
				query: run,
				async exec(sql) {
					let last = {
						rows: [],
						fields: []
					};
					for (const s of splitStatements(sql)) last = await run(s);
					return last;
				},
				copyIn: () => Promise.reject(copyUnsupported()),
				copyFromS3: (spec) => copyInSession(this.copyContext(), spec, lease, run)
			};
			await run("begin");
			let result;
			try {
				result = await fn(tx);
			} catch (err) {
				await run("rollback").catch(() => lease.broken = true);
				throw err;
			}
			try {
				await run("commit");
			} catch (err) {
				await run("rollback").catch(() => lease.broken = true);
				throw err;
			}
			return result;
		});
	}
	show(sql) {
		return this.sessions.with((lease) => this.sessions.serial(lease, async () => {
			await this.api.statement(SHOW_TIME_ZONE_SESSION, void 0, lease);
			const out = await this.api.submit(sql, [], lease);
			const id = (await this.api.finish(out.id, sql)).Id ?? out.id;
			return showOfDataApi((token) => this.api.call(() => this.client.send(new GetStatementResultCommand({
				Id: id,
				...token ? { NextToken: token } : {}
			}))));
		}));
	}
	runLock(opts) {
		return takeRunLock(this, {
			schema: this.settings.schema,
			...this.settings.runLockStaleSeconds !== void 0 ? { staleSeconds: this.settings.runLockStaleSeconds } : {},
			...this.settings.runLockHeartbeatSeconds !== void 0 ? { heartbeatSeconds: this.settings.runLockHeartbeatSeconds } : {},
			wait: opts.wait,
			...opts.onWait ? { onWait: opts.onWait } : {},
			...this.signal ? { signal: this.signal } : {}
		});
	}
	async close() {
		if (this.closed) return;
		this.closed = true;
		this.sessions.close();
		this.api.dispose();
		this.client.destroy();
	}
	/** One statement in the lease's session, after those already queued on it. */
	inLease(lease, sql, params) {
		return this.sessions.serial(lease, () => this.api.statement(sql, params, lease));
	}
	copyContext() {
		return {
			api: this.api,
			sessions: this.sessions,
			iamRole: this.settings.iamRole,
			region: this.region,
			redact: this.redact,
			loadErrors: this.loadErrors
		};
	}
};
// dist/src/warehouse/redshift/index.js
async function openRedshiftData(targetName, s, opts = {}) {
	const identity = identityOf(targetName, s);
	const region = clean(s.region) ?? clean(process.env.AWS_REGION) ?? clean(process.env.AWS_DEFAULT_REGION);
	const where = describeTarget(identity, s.schema, region);
	const client = new RedshiftDataClient(region ? { region } : {});
	const driver = new RedshiftDataDriver(client, identity, s, opts.signal);
	try {
		driver.region = await client.config.region();
	} catch {
		client.destroy();
		throw new SparkifyError(`no AWS region for target '${targetName}' (${where})`, { hint: "Set AWS_REGION, or region: in the target." });
	}
	try {
		await driver.api.statement(redshiftDialect.createSchema(s.schema), void 0, void 0);
	} catch (err) {
		await driver.close();
		const e = err;
		throw new SparkifyError(`cannot use Redshift (${where}): ${driver.redact(e.message)}`, { hint: e.hint ?? "Check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), AWS_REGION, and the target in project.yml; AWS_ENDPOINT_URL_REDSHIFT_DATA points at another Data API endpoint (e.g. the test stand-in)." });
	}
	return {
		driver,
		dialect: redshiftDialect,
		schema: s.schema,
		description: `Redshift Data API, ${where}`
	};
}
export { openRedshiftData };
