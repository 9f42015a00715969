import { a as recordState, c as writeManifest, i as withWarehouse, l as writeRunResults, n as createContext, o as executeNodes, r as select, s as writeCompiled, t as checkDataPath } from "./context-BwtQ_Ojg.js";
import { randomUUID } from "node:crypto";
// dist/src/run/results.js
function countStatuses(results) {
	const c = {
		PASS: 0,
		WARN: 0,
		ERROR: 0,
		SKIP: 0,
		TOTAL: results.length
	};
	for (const r of results) if (r.status === "success" || r.status === "pass") c.PASS++;
	else if (r.status === "warn") c.WARN++;
	else if (r.status === "skipped") c.SKIP++;
	else c.ERROR++;
	return c;
}
function hasFailures(results) {
	return results.some((r) => r.status === "error" || r.status === "fail");
}
// dist/src/cli/run.js
const resourceTypesFor = {
	run: ["model"],
	test: ["test"],
	build: [
		"model",
		"seed",
		"test"
	],
	seed: ["seed"]
};
/** run, test, build and seed: select, execute in DAG order, write artifacts, print a summary. Returns the exit code. */
async function runCommand(command, opts, log) {
	const started = Date.now();
	const ctx = await createContext(opts);
	const invocationId = randomUUID();
	const { manifest } = ctx.compiled;
	const selected = select(ctx, opts, resourceTypesFor[command], log);
	const threads = opts.threads === void 0 ? ctx.target.threads ?? 4 : Number(opts.threads);
	writeManifest(ctx.targetDir, manifest, invocationId, ctx.targetName);
	writeCompiled(ctx.targetDir, manifest, [...selected].map((id) => manifest.nodes.get(id)));
	const counts = describeCounts([...selected].map((id) => manifest.nodes.get(id).resource_type));
	log.info(`Running with sparkify 0.1.0 on target ${ctx.targetName} (${ctx.target.type})`);
	log.info(`Found ${describeCounts([...manifest.nodes.values()].map((n) => n.resource_type))}`);
	if (selected.size === 0) {
		log.warn("Nothing to do: the selection matched no nodes.");
		writeRunResults(ctx.targetDir, [], invocationId, 0, runArgs(command, opts, ctx.targetName));
		return 0;
	}
	checkDataPath(ctx, selected);
	const onWait = (holder) => log.info(`Another sparkify run holds this target${holder ? ` (${holder})` : ""}; waiting for it to finish ...`);
	const results = await withWarehouse(ctx, async (warehouse) => {
		const n = Math.min(threads, warehouse.driver.maxConcurrency);
		log.info(`Concurrency: ${n} thread${n === 1 ? "" : "s"} (${warehouse.description})`);
		const unlock = await warehouse.driver.runLock?.({
			wait: opts.wait ?? true,
			onWait
		});
		log.info("");
		try {
			return await executeNodes({
				command,
				compiled: ctx.compiled,
				selected,
				warehouse,
				threads,
				failFast: opts.failFast ?? false,
				fullRefresh: opts.fullRefresh ?? false,
				dataPath: ctx.dataPath,
				projectDir: ctx.project.dir,
				targetDir: ctx.targetDir,
				log
			});
		} finally {
			await unlock?.();
		}
	}, {
		threads,
		wait: opts.wait ?? true,
		onWait
	});
	const elapsed = (Date.now() - started) / 1e3;
	writeRunResults(ctx.targetDir, results, invocationId, elapsed, runArgs(command, opts, ctx.targetName));
	recordState(ctx.project.dir, ctx.targetName, manifest, results);
	printSummary(results, counts, elapsed, log, (id) => manifest.nodes.get(id)?.name ?? id);
	return hasFailures(results) ? 1 : 0;
}
function runArgs(command, opts, target) {
	return {
		which: command,
		select: opts.select ?? [],
		exclude: opts.exclude ?? [],
		target,
		threads: opts.threads ?? null,
		full_refresh: !!opts.fullRefresh,
		fail_fast: !!opts.failFast
	};
}
function describeCounts(types) {
	const n = (t) => types.filter((x) => x === t).length;
	return [
		[n("model"), "model"],
		[n("test"), "data test"],
		[n("seed"), "seed"],
		[n("source"), "source"]
	].filter(([c]) => c > 0).map(([c, what]) => `${c} ${what}${c === 1 ? "" : "s"}`).join(", ") || "nothing";
}
function printSummary(results, counts, elapsed, log, nameOf) {
	const c = countStatuses(results);
	log.info("");
	log.info(`Finished running ${counts} in ${elapsed.toFixed(2)}s.`);
	const bad = results.filter((r) => r.status === "error" || r.status === "fail");
	const warns = results.filter((r) => r.status === "warn");
	log.info("");
	if (bad.length === 0) log.info(warns.length ? `Completed with ${warns.length} warning${warns.length > 1 ? "s" : ""}:` : "Completed successfully");
	else log.error(`Completed with ${bad.length} error${bad.length > 1 ? "s" : ""} and ${warns.length} warning${warns.length === 1 ? "" : "s"}:`);
	for (const r of [...bad, ...warns]) {
		log.info("");
		const what = r.status === "warn" ? "Warning in" : r.status === "fail" ? "Failure in" : "Error in";
		(r.status === "warn" ? log.warn : log.error)(`${what} ${nameOf(r.unique_id)}`);
		for (const line of r.message.split("\n")) log.error(`  ${line.trimStart() === line ? line : line}`);
	}
	log.info("");
	log.info(`Done. PASS=${c.PASS} WARN=${c.WARN} ERROR=${c.ERROR} SKIP=${c.SKIP} TOTAL=${c.TOTAL}`);
}
export { runCommand };
