import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
// dist/src/load/sources/s3.js
/**
* Files on S3 through the SDK's standard configuration: the credential chain, AWS_REGION, and
* AWS_ENDPOINT_URL_S3 for an S3-compatible server (then addressed path-style, as such servers expect).
*/
let client;
function s3() {
	client ??= new S3Client({
		forcePathStyle: !!process.env.AWS_ENDPOINT_URL_S3 || !!process.env.AWS_ENDPOINT_URL,
		region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
		followRegionRedirects: true
	});
	return client;
}
function parseS3Url(url) {
	const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
	if (!m) throw new SparkifyError(`not an S3 URL: ${url}`, { hint: "Write S3 locations as s3://bucket/prefix." });
	return {
		bucket: m[1],
		key: m[2]
	};
}
/** An S3 error as the user can act on it; never the credentials. */
function s3Error(err, url) {
	const e = err;
	const code = e.name ?? e.Code;
	const { bucket } = parseS3Url(url);
	if (code === "NoSuchBucket") return new SparkifyError(`S3 bucket '${bucket}' does not exist (${url})`, { hint: "Check the bucket name in data_path, and the region (AWS_REGION)." });
	if (code === "AccessDenied" || code === "Forbidden" || e.$metadata?.httpStatusCode === 403) return new SparkifyError(`access denied to ${url}`, { hint: "The credentials in use may not read this bucket: check the AWS profile or keys and the bucket policy." });
	if (code === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return new SparkifyError(`${url} does not exist`, { hint: "Check the path (relative paths in model config are under data_path)." });
	if (code === "CredentialsProviderError") return new SparkifyError(`no AWS credentials to read ${url}`, { hint: "Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY." });
	return new SparkifyError(`S3 error reading ${url}: ${code ?? ""} ${err.message}`.trim(), { cause: err });
}
const s3Files = {
	reopenable: true,
	async list(prefixUrl) {
		const { bucket, key } = parseS3Url(prefixUrl);
		const prefix = key;
		const files = [];
		let token;
		try {
			do {
				const page = await s3().send(new ListObjectsV2Command({
					Bucket: bucket,
					Prefix: prefix,
					ContinuationToken: token
				}));
				for (const o of page.Contents ?? []) {
					if (!o.Key || o.Key.endsWith("/")) continue;
					files.push({
						url: `s3://${bucket}/${o.Key}`,
						display: o.Key.slice(prefix.length).replace(/^\//, "") || o.Key.split("/").pop(),
						size: o.Size ?? 0,
						mtimeMs: o.LastModified?.getTime() ?? 0,
						...o.ETag ? { etag: o.ETag.replace(/"/g, "") } : {}
					});
				}
				token = page.IsTruncated ? page.NextContinuationToken : void 0;
			} while (token);
		} catch (err) {
			throw s3Error(err, prefixUrl);
		}
		return files.sort((a, b) => a.url < b.url ? -1 : a.url > b.url ? 1 : 0);
	},
	async read(file) {
		const { bucket, key } = parseS3Url(file.url);
		try {
			const r = await s3().send(new GetObjectCommand({
				Bucket: bucket,
				Key: key
			}));
			return Buffer.from(await r.Body.transformToByteArray());
		} catch (err) {
			throw s3Error(err, file.url);
		}
	},
	open(file) {
		const { bucket, key } = parseS3Url(file.url);
		return Readable.from((async function* () {
			let body;
			try {
				body = (await s3().send(new GetObjectCommand({
					Bucket: bucket,
					Key: key
				}))).Body;
			} catch (err) {
				throw s3Error(err, file.url);
			}
			for await (const chunk of body) yield chunk;
		})(), { objectMode: false });
	},
	async readText(url) {
		const { bucket, key } = parseS3Url(url);
		try {
			return await (await s3().send(new GetObjectCommand({
				Bucket: bucket,
				Key: key
			}))).Body.transformToString("utf8");
		} catch (err) {
			throw s3Error(err, url);
		}
	}
};
export { s3Files };
