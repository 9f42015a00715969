// dist/src/warehouse/abort.js
/** Sleep `ms`, or reject with `reason()` as soon as `signal` fires. */
function abortableSleep(ms, signal, reason) {
	if (signal?.aborted) return Promise.reject(reason());
	return new Promise((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer);
			reject(reason());
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener("abort", onAbort);
			resolve();
		}, ms);
		signal?.addEventListener("abort", onAbort, { once: true });
	});
}
export { abortableSleep as t };
