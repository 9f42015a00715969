import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import path, * as path$1 from "node:path";
import { promises } from "node:fs";
// dist/src/generate/output.js
/**
* Which directories the generator may write into. It writes a marker, `.sparkify-generated`, listing every
* file it writes and the options it ran with; it regenerates only into a missing or empty directory or one
* holding its own marker and nothing else, and then deletes only the files the marker lists. Anything else
* is refused unless forced, and even then files it did not write are kept: it never deletes what it did
* not make (the committed sample-data/ once lost hand-added files this way).
*/
const MARKER = ".sparkify-generated";
const GENERATOR = "sparkify generate";
/** Every file under dir (relative, forward slashes, sorted); [] when dir does not exist. */
async function listFiles(dir) {
	const out = [];
	const walk = async (rel) => {
		let entries;
		try {
			entries = await promises.readdir(path$1.join(dir, rel), { withFileTypes: true });
		} catch (err) {
			if (err.code === "ENOENT" && rel === "") return;
			throw err;
		}
		for (const e of entries) {
			const r = rel ? `${rel}/${e.name}` : e.name;
			if (e.isDirectory()) await walk(r);
			else out.push(r);
		}
	};
	await walk("");
	return out.sort();
}
/** A listed path stays inside the directory (a marker is a file anyone can edit). */
const safeRelative = (f) => typeof f === "string" && f !== "" && !path$1.isAbsolute(f) && !f.split(/[\\/]/).some((s) => s === ".." || s === "" || s === ".");
async function readMarker(dir) {
	let text;
	try {
		text = await promises.readFile(path$1.join(dir, MARKER), "utf8");
	} catch (err) {
		if (err.code === "ENOENT") return void 0;
		throw err;
	}
	try {
		const m = JSON.parse(text);
		if (m.generator === GENERATOR && Array.isArray(m.files) && m.files.every(safeRelative)) return m;
	} catch {}
	return "invalid";
}
/**
* Check that the generator may write into `dir` and clear what it wrote there before. Throws (exit 2,
* nothing touched) when the directory holds files it did not write, unless `force`.
*/
async function claimOutputDir(dir, force) {
	const marker = await readMarker(dir);
	const own = new Set(marker && marker !== "invalid" ? marker.files : []);
	const foreign = (await listFiles(dir)).filter((f) => f !== ".sparkify-generated" && !own.has(f));
	if ((foreign.length > 0 || marker === "invalid") && !force) {
		const shown = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? `, ... (${foreign.length} in all)` : "");
		const why = marker === "invalid" ? `its ${MARKER} was not written by ${GENERATOR}` : marker ? `it holds files ${GENERATOR} did not write: ${shown}` : `${GENERATOR} did not create it (no ${MARKER} in it) and it holds files: ${shown}`;
		throw new SparkifyError(`generate: refusing to write into ${dir}: ${why}`, { hint: `Write somewhere else with --out <new dir>, or pass --force to write into it anyway (files it did not write are kept; it deletes only those its ${MARKER} lists).` });
	}
	for (const f of own) await promises.rm(path$1.join(dir, f), { force: true });
	await pruneEmptyDirs(dir, [...own]);
}
/** Remove the directories the listed files were in, and their parents, where they are now empty. */
async function pruneEmptyDirs(dir, files) {
	const dirs = /* @__PURE__ */ new Set();
	for (const f of files) for (let d = path$1.posix.dirname(f); d !== "."; d = path$1.posix.dirname(d)) dirs.add(d);
	for (const d of [...dirs].sort((a, b) => b.split("/").length - a.split("/").length)) try {
		await promises.rmdir(path$1.join(dir, d));
	} catch {}
}
/** Written before the data files, so an interrupted run still owns what it wrote. */
async function writeMarker(dir, options, files) {
	const marker = {
		generator: GENERATOR,
		about: `Written by ${GENERATOR} with these options. It regenerates this directory and deletes only the files listed here.`,
		options,
		files: [...files].sort()
	};
	await promises.writeFile(path$1.join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}
// dist/src/generate/sample.js
/**
* Deterministic generator of raw Sparkify data, shaped like the production
* JSON-on-S3 dataset:
*
*   <outDir>/log_data/YYYY/MM/YYYY-MM-DD-events.json   newline-delimited events, one file a day
*   <outDir>/song_data/A/B/C/TRABC….json                 one song object a file
*   <outDir>/log_json_path.json                          the Redshift COPY jsonpaths file
*
* The same options always give byte-identical files: every random choice comes
* from one seeded PRNG (mulberry32) consumed in a fixed order, and all times are
* UTC. Events are produced by a discrete-event simulation (a min-heap of the
* sessions in progress, ordered by their next event's time), so they come out
* already sorted by `ts` and are streamed to disk in ~1 MB chunks: memory is
* bounded by the number of concurrent sessions, not by `events`.
*
* Formatting quirks of the real data are reproduced on purpose so the loader is
* exercised on them: log lines escape `/` as `\/`, `registration` is written as
* `1540991795796.0`, non-ASCII text is written as `\u00e9` escapes (log and song
* files alike), `userId` is a string ('' when logged out) and song files use
* Python's `", "` / `": "` separators with no trailing newline.
*/
/** Exactly the bytes of the production `log_json_path.json`. */
const LOG_JSON_PATH = `{
    "jsonpaths": [
        "$['artist']",
        "$['auth']",
        "$['firstName']",
        "$['gender']",
        "$['itemInSession']",
        "$['lastName']",
        "$['length']",
        "$['level']",
        "$['location']",
        "$['method']",
        "$['page']",
        "$['registration']",
        "$['sessionId']",
        "$['song']",
        "$['status']",
        "$['ts']",
        "$['userAgent']",
        "$['userId']"
    ]
}
`;
const DAY = 86400;
const CHUNK_BYTES = 1 << 20;
/** A small deterministic PRNG (mulberry32): the same seed gives the same data everywhere. */
function mulberry32(seed) {
	let a = seed >>> 0;
	return () => {
		a = a + 1831565813 >>> 0;
		let t = a;
		t = Math.imul(t ^ t >>> 15, t | 1);
		t ^= t + Math.imul(t ^ t >>> 7, t | 61);
		return ((t ^ t >>> 14) >>> 0) / 4294967296;
	};
}
function int(rng, lo, hi) {
	return lo + Math.floor(rng() * (hi - lo + 1));
}
function pick(rng, xs) {
	return xs[Math.floor(rng() * xs.length)];
}
function gaussian(rng) {
	const u = 1 - rng();
	return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
/** Geometric number of trials with the given mean (>= 1). */
function geometric(rng, mean) {
	return 1 + Math.floor(Math.log(1 - rng()) / Math.log(1 - 1 / mean));
}
/** JSON as Python's json.dumps writes it (ensure_ascii): non-ASCII as lowercase \uXXXX. */
function pyJson(s) {
	return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
/** Bytes of a string known to be ASCII (everything written is escaped to ASCII). */
function ascii(s) {
	if (!/^[\x00-\x7f]*$/.test(s)) throw new Error(`internal: non-ASCII text in output: ${s}`);
	return Buffer.from(s, "latin1");
}
/** A JSON string as the event logs write it: like pyJson, and `/` escaped as `\/`. */
function logJson(s) {
	return pyJson(s).replace(/\//g, "\\/");
}
/** A decimal with 5 fractional digits whose last digit is not 0 (so it never prints as an integer). */
function decimal5(rng, x) {
	let d = Math.round(x * 1e5);
	if (d % 10 === 0) d += 1 + Math.floor(rng() * 9);
	return d / 1e5;
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const HEX = "0123456789ABCDEF";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function chars(rng, alphabet, n) {
	let s = "";
	for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
	return s;
}
function uniqueId(rng, seen, make) {
	for (;;) {
		const id = make();
		if (!seen.has(id)) {
			seen.add(id);
			return id;
		}
	}
}
const TRICKY_ARTISTS = [
	"Beyoncé",
	"Sigur Rós",
	"Chloé & Les Garçons",
	"O'Donnell's Wake",
	"Jimmy \"Slim\" Parker",
	"Fire, Walk, Repeat",
	"Night/Day Collective",
	"Los Niños del Ñandú",
	"Zoë & the Crème Brûlées",
	"Mañana, Mañana",
	"Hälsa Kör",
	"東京 Drift",
	"Dr. Feelgood & \"The Cure-Alls\"",
	"Guns 'n' Poses"
];
const TRICKY_TITLES = [
	"Don't Look Back",
	"\"Heroes\" (Live)",
	"Rock & Roll, Baby",
	"Café Noir",
	"Señorita's Lament",
	"Déjà Vu",
	"Naïve, Again",
	"I Said \"No\"",
	"Über Alles & Nothing",
	"50/50",
	"Ça Va?",
	"Ain't It Grand",
	"Für Elise (Remix)",
	"Smile :)",
	"Pt. 1 / Pt. 2",
	"Rock 'n' Roll Über Alles",
	"São Paulo, 4 A.M.",
	"Ode to \"Joy\""
];
const ADJ = [
	"Golden",
	"Broken",
	"Electric",
	"Silent",
	"Velvet",
	"Hollow",
	"Crimson",
	"Lonely",
	"Wild",
	"Midnight",
	"Neon",
	"Paper",
	"Rusty",
	"Burning",
	"Frozen",
	"Hidden",
	"Lucky",
	"Restless",
	"Sweet",
	"Bitter",
	"Blue",
	"Little"
];
const NOUNS = [
	"Heart",
	"River",
	"Highway",
	"Mirror",
	"Garden",
	"Ocean",
	"Shadow",
	"Radio",
	"Window",
	"Harbor",
	"Engine",
	"Summer",
	"Kingdom",
	"Lantern",
	"Thunder",
	"Satellite",
	"Stranger",
	"Valley",
	"Parade",
	"Machine",
	"Letter",
	"Fever"
];
const PLURALS = [
	"Foxes",
	"Wolves",
	"Strangers",
	"Pilots",
	"Sparrows",
	"Ghosts",
	"Tigers",
	"Saints",
	"Drifters",
	"Kings",
	"Lovers"
];
const VERBS = [
	"Dancing",
	"Running",
	"Falling",
	"Waiting",
	"Driving",
	"Dreaming",
	"Calling",
	"Hiding",
	"Singing"
];
const PREPS = [
	"Through",
	"Under",
	"Across",
	"Into",
	"Beyond",
	"Over",
	"Around"
];
const FIRST_F = [
	"Amelia",
	"Brianna",
	"Chloe",
	"Delia",
	"Emma",
	"Fiona",
	"Grace",
	"Hannah",
	"Isla",
	"Julia",
	"Kira",
	"Lena",
	"Maya",
	"Nora",
	"Olivia",
	"Paige",
	"Rosa",
	"Sofia",
	"Tessa",
	"Valerie",
	"Wren",
	"Zara",
	"Renée",
	"Inés"
];
const FIRST_M = [
	"Aaron",
	"Blake",
	"Caleb",
	"Dylan",
	"Ethan",
	"Felix",
	"Gavin",
	"Hector",
	"Isaac",
	"Jonah",
	"Kevin",
	"Liam",
	"Marco",
	"Nathan",
	"Owen",
	"Peter",
	"Quinn",
	"Ruben",
	"Simon",
	"Tobias",
	"Victor",
	"Wesley",
	"José",
	"André"
];
const LAST = [
	"Abbott",
	"Barnes",
	"Carver",
	"Dalton",
	"Ellison",
	"Fletcher",
	"Garrison",
	"Holloway",
	"Irving",
	"Jennings",
	"Keller",
	"Lawson",
	"Mercer",
	"Norris",
	"Ortega",
	"Prescott",
	"Quintero",
	"Reyes",
	"Sandoval",
	"Thornton",
	"Underwood",
	"Vance",
	"Whitaker",
	"Yates",
	"O'Brien",
	"Muñoz",
	"Nguyen",
	"Kowalski"
];
/** US metropolitan areas as the event logs name them ('City-City, ST'). */
const METROS = [
	"Austin-Round Rock, TX",
	"Boise City, ID",
	"Boston-Cambridge-Newton, MA-NH",
	"Charlotte-Concord-Gastonia, NC-SC",
	"Cleveland-Elyria, OH",
	"Denver-Aurora-Lakewood, CO",
	"Des Moines-West Des Moines, IA",
	"Houston-The Woodlands-Sugar Land, TX",
	"Kansas City, MO-KS",
	"Las Vegas-Henderson-Paradise, NV",
	"Louisville/Jefferson County, KY-IN",
	"Miami-Fort Lauderdale-West Palm Beach, FL",
	"Minneapolis-St. Paul-Bloomington, MN-WI",
	"Nashville-Davidson--Murfreesboro--Franklin, TN",
	"New York-Newark-Jersey City, NY-NJ-PA",
	"Philadelphia-Camden-Wilmington, PA-NJ-DE-MD",
	"Pittsburgh, PA",
	"Raleigh, NC",
	"Sacramento--Roseville--Arden-Arcade, CA",
	"Salt Lake City, UT",
	"San Diego-Carlsbad, CA",
	"Seattle-Tacoma-Bellevue, WA",
	"Spokane-Spokane Valley, WA",
	"Tampa-St. Petersburg-Clearwater, FL",
	"Tucson, AZ"
];
/** Free-text artist locations as the song files have them. */
const ARTIST_PLACES = [
	"Austin, TX",
	"Bristol, England",
	"Chicago, IL",
	"Detroit, MI",
	"Dublin, Ireland",
	"Glasgow, Scotland",
	"Kingston, Jamaica",
	"Lagos, Nigeria",
	"London, England",
	"Los Angeles, CA",
	"Manchester, England",
	"Memphis, TN",
	"Montréal, Québec, Canada",
	"Nashville, TN",
	"New Orleans, LA",
	"New York, NY",
	"Oslo, Norway",
	"Paris, France",
	"Reykjavík, Iceland",
	"São Paulo, Brazil",
	"Seattle, WA",
	"Stockholm, Sweden",
	"Tokyo, Japan",
	"Toronto, Ontario, Canada",
	"California - SF",
	"Texas",
	"UK",
	"Brooklyn"
];
const PLACE_COORDS = [
	[30.26715, -97.74306],
	[51.45, -2.58333],
	[41.88415, -87.63241],
	[42.33168, -83.04792],
	[53.34376, -6.24953],
	[55.8578, -4.24251],
	[18.01639, -76.79389],
	[6.45306, 3.39583],
	[51.50632, -.12714],
	[34.05349, -118.24532],
	[53.4796, -2.24881],
	[35.14968, -90.04892],
	[45.51228, -73.55439],
	[36.16778, -86.77836],
	[29.95369, -90.07771],
	[40.71455, -74.00712],
	[59.91228, 10.74998],
	[48.85694, 2.34146],
	[64.13548, -21.89541],
	[-23.56287, -46.65468],
	[47.60356, -122.32944],
	[59.33217, 18.06243],
	[35.68501, 139.75136],
	[43.64856, -79.38533],
	[37.77916, -122.42005],
	[31.1689, -100.07715],
	[54.31407, -2.23001],
	[40.65507, -73.94888]
];
/** Browser user agents; like the real data, the value itself is wrapped in double quotes. */
const USER_AGENTS = [
	"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36",
	"Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.125 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.77.4 (KHTML, like Gecko) Version/7.0.5 Safari/537.77.4",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:31.0) Gecko/20100101 Firefox/31.0",
	"Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 Chrome/36.0.1985.125 Safari/537.36",
	"Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53",
	"Mozilla/5.0 (iPad; CPU OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53",
	"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"
];
function page(name, method, status) {
	return {
		name,
		method,
		status,
		frag: ascii(`${method}","page":${logJson(name)}`),
		statusTs: ascii(`,"status":${status},"ts":`)
	};
}
const P = {
	NextSong: page("NextSong", "PUT", 200),
	Home: page("Home", "GET", 200),
	Login: page("Login", "PUT", 307),
	Logout: page("Logout", "PUT", 307),
	Settings: page("Settings", "GET", 200),
	SaveSettings: page("Save Settings", "PUT", 307),
	Help: page("Help", "GET", 200),
	About: page("About", "GET", 200),
	Upgrade: page("Upgrade", "GET", 200),
	SubmitUpgrade: page("Submit Upgrade", "PUT", 307),
	Downgrade: page("Downgrade", "GET", 200),
	SubmitDowngrade: page("Submit Downgrade", "PUT", 307),
	Error: page("Error", "GET", 404),
	RollAdvert: page("Roll Advert", "GET", 200),
	ThumbsUp: page("Thumbs Up", "PUT", 307),
	ThumbsDown: page("Thumbs Down", "PUT", 307),
	AddToPlaylist: page("Add to Playlist", "PUT", 200),
	AddFriend: page("Add Friend", "PUT", 307)
};
Object.values(P).map(({ name, method, status }) => ({
	name,
	method,
	status
}));
function table(entries) {
	const cum = new Float64Array(entries.length);
	let total = 0;
	entries.forEach(([, w], i) => {
		total += w;
		cum[i] = total;
	});
	for (let i = 0; i < cum.length; i++) cum[i] /= total;
	return {
		pages: entries.map(([p]) => p),
		cum
	};
}
function draw(rng, t) {
	const r = rng();
	const cum = t.cum;
	let i = 0;
	while (i < cum.length - 1 && r >= cum[i]) i++;
	return t.pages[i];
}
const COMMON = [
	[P.NextSong, .845],
	[P.Home, .042],
	[P.ThumbsUp, .022],
	[P.AddToPlaylist, .011],
	[P.Logout, .011],
	[P.AddFriend, .007],
	[P.Settings, .006],
	[P.ThumbsDown, .005],
	[P.Help, .005],
	[P.About, .003],
	[P.Error, .0012]
];
const LOGGED_IN_FREE = table([
	...COMMON,
	[P.RollAdvert, .02],
	[P.Upgrade, .005]
]);
const LOGGED_IN_PAID = table([...COMMON, [P.Downgrade, .008]]);
const LOGGED_OUT = table([
	[P.Home, .55],
	[P.Login, .3],
	[P.About, .09],
	[P.Help, .06]
]);
const ANONYMOUS = table([
	[P.Home, .7],
	[P.About, .18],
	[P.Help, .12]
]);
function songKey(title, artist) {
	return title + "\0" + artist;
}
function makeTitle(rng, trickyRate) {
	if (rng() < trickyRate) return pick(rng, TRICKY_TITLES);
	switch (Math.floor(rng() * 6)) {
		case 0: return `${pick(rng, ADJ)} ${pick(rng, NOUNS)}`;
		case 1: return `${pick(rng, VERBS)} ${pick(rng, PREPS)} the ${pick(rng, NOUNS)}`;
		case 2: return `The ${pick(rng, NOUNS)} of ${pick(rng, ADJ)} ${pick(rng, NOUNS)}s`;
		case 3: return `${pick(rng, NOUNS)} ${pick(rng, NOUNS)}`;
		case 4: return `${pick(rng, ADJ)} ${pick(rng, NOUNS)} (${pick(rng, [
			"Remix",
			"Live",
			"Acoustic",
			"Demo",
			"Radio Edit"
		])})`;
		default: return `${pick(rng, VERBS)} in the ${pick(rng, ADJ)} ${pick(rng, NOUNS)}`;
	}
}
function makeArtistName(rng) {
	switch (Math.floor(rng() * 6)) {
		case 0: return `The ${pick(rng, ADJ)} ${pick(rng, PLURALS)}`;
		case 1: return `${pick(rng, [...FIRST_F, ...FIRST_M])} ${pick(rng, LAST)}`;
		case 2: return `${pick(rng, [...FIRST_F, ...FIRST_M])} ${pick(rng, LAST)} & The ${pick(rng, PLURALS)}`;
		case 3: return `DJ ${pick(rng, NOUNS)}`;
		case 4: return `${pick(rng, ADJ)} ${pick(rng, NOUNS)}`;
		default: return `${pick(rng, NOUNS)} ${pick(rng, PLURALS)}`;
	}
}
function uniqueName(rng, seen, make) {
	for (let attempt = 0;; attempt++) {
		let name = make();
		if (attempt > 20) name += ` ${attempt}`;
		if (!seen.has(name)) {
			seen.add(name);
			return name;
		}
	}
}
function durationOf(rng) {
	const x = Math.exp(Math.log(235) + .38 * gaussian(rng));
	return decimal5(rng, Math.min(1500, Math.max(25, x)));
}
function playable(title, artist, length) {
	return {
		artist: ascii(logJson(artist)),
		song: ascii(logJson(title)),
		lengthText: ascii(String(length)),
		length
	};
}
function buildCatalogue(rng, nSongs, nEvents) {
	const artistIds = /* @__PURE__ */ new Set();
	const songIds = /* @__PURE__ */ new Set();
	const trackIds = /* @__PURE__ */ new Set();
	const names = /* @__PURE__ */ new Set();
	const nArtists = Math.max(1, Math.min(nSongs, Math.round(nSongs * .55)));
	const nTricky = Math.min(TRICKY_ARTISTS.length, Math.ceil(nArtists * .3));
	const artists = [];
	for (let i = 0; i < nArtists; i++) {
		const name = i < nTricky ? TRICKY_ARTISTS[i] : uniqueName(rng, names, () => makeArtistName(rng));
		names.add(name);
		const id = uniqueId(rng, artistIds, () => "AR" + chars(rng, ALNUM, 5) + "1187" + pick(rng, ["B", "F"]) + chars(rng, HEX, 6));
		let lat = null;
		let lon = null;
		let location = "";
		const placeIdx = Math.floor(rng() * ARTIST_PLACES.length);
		const r = rng();
		if (r < .45) {
			const [la, lo] = PLACE_COORDS[placeIdx];
			lat = la;
			lon = lo;
			location = ARTIST_PLACES[placeIdx];
		} else if (r < .75) location = ARTIST_PLACES[placeIdx];
		artists.push({
			id,
			name,
			lat,
			lon,
			location
		});
	}
	const keys = /* @__PURE__ */ new Set();
	const songs = [];
	for (let i = 0; i < nSongs; i++) {
		const artist = i < nArtists ? artists[i] : artists[Math.floor(nArtists * rng() ** 2)];
		let title = "";
		for (let attempt = 0;; attempt++) {
			title = makeTitle(rng, .22);
			if (attempt > 20) title += ` (Take ${attempt})`;
			if (!keys.has(songKey(title, artist.name))) break;
		}
		keys.add(songKey(title, artist.name));
		const id = uniqueId(rng, songIds, () => "SO" + chars(rng, UPPER, 5) + "12A" + pick(rng, ["B", "8"]) + "C" + chars(rng, HEX, 6));
		const year = rng() < .45 ? 0 : int(rng, 1956, 2010);
		songs.push({
			id,
			title,
			artist,
			duration: durationOf(rng),
			year,
			trackIds: []
		});
	}
	const newTrack = () => uniqueId(rng, trackIds, () => "TRA" + chars(rng, "ABC", 2) + chars(rng, UPPER, 2) + "128F" + chars(rng, HEX, 7));
	for (const s of songs) s.trackIds.push(newTrack());
	const nDup = nSongs >= 10 ? Math.max(2, Math.round(nSongs * .03)) : nSongs >= 2 ? 1 : 0;
	const dupIdx = /* @__PURE__ */ new Set();
	while (dupIdx.size < nDup) dupIdx.add(Math.floor(rng() * nSongs));
	for (const i of [...dupIdx].sort((a, b) => a - b)) songs[i].trackIds.push(newTrack());
	const exact = songs.map((s) => playable(s.title, s.artist.name, s.duration));
	const near = songs.map((s) => [0, 1].map(() => {
		const delta = (rng() < .5 ? -1 : 1) * (.5 + rng() * 25);
		const len = decimal5(rng, s.duration + delta > 10 ? s.duration + delta : s.duration + Math.abs(delta));
		return playable(s.title, s.artist.name, len);
	}));
	const poolSize = Math.max(200, Math.min(2e4, Math.round(nEvents / 10)));
	const poolArtists = [];
	const nPoolArtists = Math.max(20, Math.round(poolSize / 3));
	for (let i = 0; i < nPoolArtists; i++) poolArtists.push(uniqueName(rng, names, () => makeArtistName(rng)));
	const pool = [];
	const poolKeys = /* @__PURE__ */ new Set();
	for (let i = 0; i < poolSize; i++) {
		const artist = rng() < .1 ? artists[Math.floor(rng() * nArtists)].name : poolArtists[Math.floor(nPoolArtists * rng() ** 1.5)];
		let title = "";
		for (let attempt = 0;; attempt++) {
			title = makeTitle(rng, .08);
			if (attempt > 10) title += ` (Version ${attempt})`;
			const k = songKey(title, artist);
			if (!keys.has(k) && !poolKeys.has(k)) {
				poolKeys.add(k);
				break;
			}
		}
		pool.push(playable(title, artist, durationOf(rng)));
	}
	return {
		songs,
		exact,
		near,
		pool
	};
}
function songFileContent(s) {
	const num = (x) => x === null ? "null" : String(x);
	return `{"num_songs": 1, "artist_id": ${pyJson(s.artist.id)}, "artist_latitude": ${num(s.artist.lat)}, "artist_longitude": ${num(s.artist.lon)}, "artist_location": ${pyJson(s.artist.location)}, "artist_name": ${pyJson(s.artist.name)}, "song_id": ${pyJson(s.id)}, "title": ${pyJson(s.title)}, "duration": ${String(s.duration)}, "year": ${s.year}}`;
}
function identity(a, b, location, d, e) {
	const id = {
		a: ascii(a),
		b: ascii(b),
		cFree: ascii(`,"level":"free","location":${location},"method":"`),
		cPaid: ascii(`,"level":"paid","location":${location},"method":"`),
		d: ascii(d),
		e: ascii(e)
	};
	return {
		...id,
		size: id.a.length + id.b.length + id.cFree.length + id.d.length + id.e.length
	};
}
const LOGGED_OUT_IDENT = identity(",\"auth\":\"Logged Out\",\"firstName\":null,\"gender\":null,\"itemInSession\":", ",\"lastName\":null,\"length\":", "null", ",\"registration\":null,\"sessionId\":", ",\"userAgent\":null,\"userId\":\"\"}\n");
function buildUsers(rng, n, startSec, endSec, msOffset) {
	const idSpace = Math.max(n, Math.ceil(n * 1.7) + 5);
	const ids = Array.from({ length: idSpace }, (_, i) => i + 2);
	for (let i = ids.length - 1; i > 0; i--) {
		const j = Math.floor(rng() * (i + 1));
		[ids[i], ids[j]] = [ids[j], ids[i]];
	}
	const users = [];
	const weights = [];
	for (let i = 0; i < n; i++) {
		const id = String(ids[i]);
		const female = rng() < .55;
		const first = pick(rng, female ? FIRST_F : FIRST_M);
		const last = pick(rng, LAST);
		const registration = (startSec - int(rng, DAY / 2, 90 * DAY)) * 1e3 + msOffset;
		const location = logJson(pick(rng, METROS));
		const agent = logJson("\"" + pick(rng, USER_AGENTS) + "\"");
		const ident = identity(`,"auth":"Logged In","firstName":${logJson(first)},"gender":"${female ? "F" : "M"}","itemInSession":`, `,"lastName":${logJson(last)},"length":`, location, `,"registration":${registration}.0,"sessionId":`, `,"userAgent":${agent},"userId":${logJson(id)}}\n`);
		users.push({
			id,
			ident,
			level: rng() < .35 ? "free" : "paid",
			changeAt: Infinity,
			changed: false,
			active: 0,
			seen: false
		});
		weights.push(Math.exp(1.1 * gaussian(rng)));
	}
	const candidates = users.map((_, i) => i).sort((x, y) => weights[y] - weights[x] || x - y).slice(0, Math.max(1, Math.ceil(n / 2)));
	for (let i = candidates.length - 1; i > 0; i--) {
		const j = Math.floor(rng() * (i + 1));
		[candidates[i], candidates[j]] = [candidates[j], candidates[i]];
	}
	const nUp = n >= 5 ? Math.max(1, Math.round(n * .15)) : Math.min(1, candidates.length);
	const nDown = n >= 5 ? Math.max(1, Math.round(n * .05)) : 0;
	const span = endSec - startSec;
	candidates.slice(0, nUp + nDown).forEach((ui, k) => {
		const u = users[ui];
		u.level = k < nUp ? "free" : "paid";
		u.changeAt = startSec + Math.floor(span * (.1 + .45 * rng()));
	});
	const cumWeight = new Float64Array(n);
	let total = 0;
	weights.forEach((w, i) => {
		total += w;
		cumWeight[i] = total;
	});
	for (let i = 0; i < n; i++) cumWeight[i] /= total;
	return {
		users,
		cumWeight
	};
}
/** Min-heap of sessions by (sec, seq): the session whose next event comes first is on top. */
var SessionHeap = class {
	a = [];
	get size() {
		return this.a.length;
	}
	peek() {
		return this.a[0];
	}
	push(s) {
		const a = this.a;
		let i = a.length;
		a.push(s);
		while (i > 0) {
			const p = i - 1 >> 1;
			const q = a[p];
			if (q.sec < s.sec || q.sec === s.sec && q.seq < s.seq) break;
			a[i] = q;
			i = p;
		}
		a[i] = s;
	}
	/** Remove the top session. */
	pop() {
		const last = this.a.pop();
		if (last !== void 0 && this.a.length > 0) this.siftDown(last);
	}
	/** The top session's key grew: move it down to its place. */
	topChanged() {
		if (this.a.length > 0) this.siftDown(this.a[0]);
	}
	siftDown(s) {
		const a = this.a;
		const n = a.length;
		let i = 0;
		for (;;) {
			let c = 2 * i + 1;
			if (c >= n) break;
			let x = a[c];
			if (c + 1 < n) {
				const y = a[c + 1];
				if (y.sec < x.sec || y.sec === x.sec && y.seq < x.seq) {
					c++;
					x = y;
				}
			}
			if (s.sec < x.sec || s.sec === x.sec && s.seq < x.seq) break;
			a[i] = x;
			i = c;
		}
		a[i] = s;
	}
};
/**
* Writes a file through two 1 MB buffers: one is filled while the other is
* being written. Before a buffer is reused its write must have completed, so
* at most one write is in flight (the backpressure) and memory stays at 2 MB.
*/
var ChunkWriter = class {
	bufs = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
	cur = 0;
	/** The buffer being filled, and how much of it is. */
	buf = this.bufs[0];
	pos = 0;
	fh = null;
	inFlight = null;
	error = null;
	async open(file) {
		this.fh = await promises.open(file, "w");
	}
	/** Start writing the filled buffer and switch to the other one. */
	async flush() {
		await this.settle();
		if (this.pos === 0 || this.fh === null) return;
		this.inFlight = writeAll(this.fh, this.buf, this.pos).catch((e) => {
			this.error = e;
		});
		this.cur ^= 1;
		this.buf = this.bufs[this.cur];
		this.pos = 0;
	}
	async close() {
		const fh = this.fh;
		if (fh === null) return;
		try {
			await this.flush();
			await this.settle();
		} finally {
			this.fh = null;
			this.pos = 0;
			await this.inFlight;
			this.inFlight = null;
			await fh.close();
		}
	}
	async settle() {
		if (this.inFlight !== null) {
			await this.inFlight;
			this.inFlight = null;
		}
		if (this.error !== null) {
			const e = this.error;
			this.error = null;
			throw e;
		}
	}
};
const K_ARTIST = ascii("{\"artist\":");
const K_SONG = ascii(",\"song\":");
const NULL = ascii("null");
/** Copies `src` into `dst` at `pos`; returns the position after it. */
function put(dst, pos, src) {
	dst.set(src, pos);
	return pos + src.length;
}
/** Writes the decimal digits of a small non-negative integer (< 2^30). */
function putInt(dst, pos, n) {
	let digits = 1;
	for (let x = n; x >= 10; x = x / 10 | 0) digits++;
	let p = pos + digits;
	let x = n;
	do {
		dst[--p] = 48 + x % 10;
		x = x / 10 | 0;
	} while (x > 0);
	return pos + digits;
}
/** Writes exactly `width` digits of `n` (< 10^width), zero-padded. */
function putPadded(dst, pos, n, width) {
	let x = n;
	for (let p = pos + width - 1; p >= pos; p--) {
		dst[p] = 48 + x % 10;
		x = x / 10 | 0;
	}
	return pos + width;
}
async function writeAll(fh, buf, length) {
	let off = 0;
	while (off < length) {
		const { bytesWritten } = await fh.write(buf, off, length - off);
		off += bytesWritten;
	}
}
function dayPath(outDir, startSec, day) {
	const iso = (/* @__PURE__ */ new Date((startSec + day * DAY) * 1e3)).toISOString().slice(0, 10);
	const dir = path$1.join(outDir, "log_data", iso.slice(0, 4), iso.slice(5, 7));
	return {
		dir,
		file: path$1.join(dir, `${iso}-events.json`)
	};
}
function checkInt(name, v, min) {
	if (!Number.isSafeInteger(v) || v < min) throw new SparkifyError(`generate: '${name}' must be an integer >= ${min}, got ${v}`);
	return v;
}
function parseStart(s) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
	const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
	if (!m || Number.isNaN(ms) || ms < 0 || new Date(ms).toISOString().slice(0, 10) !== s) throw new SparkifyError(`generate: 'startDate' must be a date 'YYYY-MM-DD' from 1970 on, got '${s}'`);
	return ms / 1e3;
}
async function generateSample(opts) {
	const events = checkInt("events", opts.events ?? 8e3, 0);
	const nSongs = checkInt("songs", opts.songs ?? 120, 1);
	const nUsers = checkInt("users", opts.users ?? 60, 1);
	const days = checkInt("days", opts.days ?? 30, 1);
	const seed = checkInt("seed", opts.seed ?? 42, -(2 ** 53));
	const startSec = parseStart(opts.startDate ?? "2018-11-01");
	const endSec = startSec + days * DAY;
	const outDir = path$1.resolve(opts.outDir);
	await claimOutputDir(outDir, opts.force ?? false);
	const rng = mulberry32(seed ^ 1592613406);
	const msOffset = int(rng, 1, 999);
	const cat = buildCatalogue(rng, nSongs, events);
	await promises.mkdir(outDir, { recursive: true });
	const rel = (file) => path$1.relative(outDir, file).split(path$1.sep).join("/");
	const planned = ["log_json_path.json"];
	for (const s of cat.songs) for (const tr of s.trackIds) planned.push(`song_data/${tr[2]}/${tr[3]}/${tr[4]}/${tr}.json`);
	for (let d = 0; d < days; d++) planned.push(rel(dayPath(outDir, startSec, d).file));
	await writeMarker(outDir, {
		events,
		songs: nSongs,
		users: nUsers,
		days,
		startDate: opts.startDate ?? "2018-11-01",
		seed
	}, planned);
	await promises.writeFile(path$1.join(outDir, "log_json_path.json"), LOG_JSON_PATH);
	let songFiles = 0;
	const madeDirs = /* @__PURE__ */ new Set();
	for (const s of cat.songs) {
		const content = songFileContent(s);
		for (const tr of s.trackIds) {
			const dir = path$1.join(outDir, "song_data", tr[2], tr[3], tr[4]);
			if (!madeDirs.has(dir)) {
				await promises.mkdir(dir, { recursive: true });
				madeDirs.add(dir);
			}
			await promises.writeFile(path$1.join(dir, `${tr}.json`), content);
			songFiles++;
		}
	}
	const { users, cumWeight } = buildUsers(rng, nUsers, startSec, endSec, msOffset);
	let introNext = 0;
	const pickUser = (exclude) => {
		if (introNext < nUsers && rng() < .3) {
			while (introNext < nUsers && users[introNext].seen) introNext++;
			const u = users[introNext];
			if (u !== void 0 && u !== exclude && u.active === 0) return u;
		}
		let fallback = null;
		for (let attempt = 0; attempt < 8; attempt++) {
			const r = rng();
			let lo = 0;
			let hi = nUsers - 1;
			while (lo < hi) {
				const mid = lo + hi >> 1;
				if (r < cumWeight[mid]) hi = mid;
				else lo = mid + 1;
			}
			const u = users[lo];
			if (u === exclude) continue;
			if (u.active === 0) return u;
			fallback ??= u;
		}
		return fallback;
	};
	const catSize = cat.exact.length;
	const poolSize = cat.pool.length;
	const heap = new SessionHeap();
	let seq = 0;
	let nextSid = 1 + int(rng, 0, 20);
	let quotaLeft = events;
	const MEAN_LEN = 9.5;
	const arrivalEnd = endSec - 7200;
	const sessionLength = () => {
		const n = rng() < .85 ? geometric(rng, 6) : geometric(rng, 30);
		return Math.min(n, 200);
	};
	/** Start a session at `sec`; returns it (already in the heap) or null when the quota is spent. */
	const spawn = (sec, opts2 = {}) => {
		if (quotaLeft <= 0) return null;
		const twin = opts2.twinOf !== void 0;
		const anonymous = !twin && rng() < .02;
		const n = Math.min(anonymous ? int(rng, 1, 3) : sessionLength(), quotaLeft, endSec - sec);
		const user = anonymous ? null : pickUser(opts2.twinOf ?? null);
		if (!anonymous && user === null) return null;
		quotaLeft -= n;
		const s = {
			seq: seq++,
			sid: nextSid,
			user,
			sec,
			item: 0,
			remaining: n,
			loggedIn: !anonymous,
			queue: []
		};
		nextSid += rng() < .15 ? 2 : 1;
		if (user) {
			user.active++;
			user.seen = true;
			if (twin) s.queue.push(P.NextSong);
			else if (n >= 3 && rng() < .08) {
				s.loggedIn = false;
				if (rng() < .6) s.queue.push(P.Home);
				s.queue.push(P.Login);
			}
		}
		heap.push(s);
		return s;
	};
	const diurnal = (sec) => {
		const h = (sec - startSec) % DAY / 3600;
		return 1 + .55 * Math.cos(2 * Math.PI * (h - 20) / 24);
	};
	let nextArrival = startSec + int(rng, 0, 120);
	const scheduleNext = () => {
		const sessionsLeft = Math.max(1, quotaLeft / MEAN_LEN);
		const spacing = Math.max(0, arrivalEnd - nextArrival) / sessionsLeft * -Math.log(1 - rng()) / diurnal(nextArrival);
		nextArrival = Math.min(arrivalEnd, nextArrival + Math.floor(spacing));
	};
	const w = new ChunkWriter();
	let curDay = -1;
	const openDay = async (day) => {
		const { dir, file } = dayPath(outDir, startSec, day);
		if (!madeDirs.has(dir)) {
			await promises.mkdir(dir, { recursive: true });
			madeDirs.add(dir);
		}
		await w.open(file);
		curDay = day;
	};
	const closeDay = () => w.close();
	const msSuffix = ascii(String(msOffset).padStart(3, "0"));
	let maxSong = 0;
	for (const p of [
		...cat.exact,
		...cat.near.flat(),
		...cat.pool
	]) maxSong = Math.max(maxSong, p.artist.length + p.song.length + p.lengthText.length);
	let maxIdent = LOGGED_OUT_IDENT.size;
	for (const u of users) maxIdent = Math.max(maxIdent, u.ident.size);
	let maxPage = 0;
	for (const p of Object.values(P)) maxPage = Math.max(maxPage, p.frag.length + p.statusTs.length);
	const maxLine = K_ARTIST.length + K_SONG.length + 3 * NULL.length + maxSong + maxIdent + maxPage + 60;
	let nextSongEvents = 0;
	let matchedPlays = 0;
	const P_MATCH = .075;
	const P_TWIN = .0012;
	try {
		await openDay(0);
		for (;;) {
			const top = heap.peek();
			if (quotaLeft > 0 && (top === void 0 || nextArrival <= top.sec)) {
				spawn(nextArrival);
				scheduleNext();
				continue;
			}
			if (top === void 0) break;
			const s = top;
			const sec = s.sec;
			const day = Math.floor((sec - startSec) / DAY);
			if (day !== curDay) {
				await closeDay();
				for (let d = curDay + 1; d < day; d++) {
					await openDay(d);
					await closeDay();
				}
				await openDay(day);
			}
			const user = s.user;
			let pg;
			if (s.queue.length > 0) pg = s.queue.shift();
			else if (user === null) pg = draw(rng, ANONYMOUS);
			else if (!s.loggedIn) pg = draw(rng, LOGGED_OUT);
			else if (!user.changed && sec >= user.changeAt && s.remaining >= 3) {
				pg = user.level === "free" ? P.Upgrade : P.Downgrade;
				s.queue.push(user.level === "free" ? P.SubmitUpgrade : P.SubmitDowngrade, P.Home);
			} else {
				pg = draw(rng, user.level === "free" ? LOGGED_IN_FREE : LOGGED_IN_PAID);
				if (pg === P.Settings && rng() < .4) s.queue.push(P.SaveSettings);
			}
			const ident = user !== null && s.loggedIn && pg !== P.Login ? user.ident : LOGGED_OUT_IDENT;
			const level = user === null ? "free" : user.level;
			let song = null;
			let gap;
			if (pg === P.NextSong) {
				nextSongEvents++;
				const r = rng();
				if (r < P_MATCH) {
					song = cat.exact[Math.floor(catSize * rng() ** 1.3)];
					matchedPlays++;
				} else if (r < .087) song = cat.near[Math.floor(catSize * rng())][rng() < .5 ? 0 : 1];
				else {
					const u = rng();
					song = cat.pool[Math.floor(poolSize * u * u)];
				}
				gap = rng() < .85 ? Math.round(song.length) : int(rng, 5, Math.max(5, Math.round(song.length)));
			} else if (pg === P.Logout) gap = int(rng, 1, 300);
			else if (pg === P.Login) gap = int(rng, 1, 40);
			else if (pg === P.Home || pg === P.About || pg === P.Help || pg === P.Settings || pg === P.RollAdvert) gap = int(rng, 0, 45);
			else gap = int(rng, 0, 8);
			if (rng() < .003) gap = 0;
			if (w.pos + maxLine > CHUNK_BYTES) await w.flush();
			const b = w.buf;
			let o = put(b, w.pos, K_ARTIST);
			o = put(b, o, song === null ? NULL : song.artist);
			o = put(b, o, ident.a);
			o = putInt(b, o, s.item);
			o = put(b, o, ident.b);
			o = put(b, o, song === null ? NULL : song.lengthText);
			o = put(b, o, level === "free" ? ident.cFree : ident.cPaid);
			o = put(b, o, pg.frag);
			o = put(b, o, ident.d);
			o = putInt(b, o, s.sid);
			o = put(b, o, K_SONG);
			o = put(b, o, song === null ? NULL : song.song);
			o = put(b, o, pg.statusTs);
			const secHigh = Math.floor(sec / 1e5);
			o = putInt(b, o, secHigh);
			o = putPadded(b, o, sec - secHigh * 1e5, 5);
			b[o] = msSuffix[0];
			b[o + 1] = msSuffix[1];
			b[o + 2] = msSuffix[2];
			w.pos = put(b, o + 3, ident.e);
			if (user !== null) {
				if (pg === P.Login) {
					s.loggedIn = true;
					if (s.queue.length === 0) s.queue.push(P.Home);
				} else if (pg === P.Logout) s.loggedIn = false;
				else if (pg === P.SubmitUpgrade && !user.changed) {
					user.level = "paid";
					user.changed = true;
				} else if (pg === P.SubmitDowngrade && !user.changed) {
					user.level = "free";
					user.changed = true;
				}
				if (pg === P.NextSong && nUsers > 1 && rng() < P_TWIN) spawn(sec, { twinOf: user });
			}
			s.item++;
			s.remaining--;
			if (s.remaining > 0) {
				s.sec = Math.min(sec + gap, endSec - s.remaining);
				heap.topChanged();
			} else {
				heap.pop();
				if (user !== null) user.active--;
			}
		}
		await closeDay();
		for (let d = curDay + 1; d < days; d++) {
			await openDay(d);
			await closeDay();
		}
	} finally {
		await w.close().catch(() => void 0);
	}
	return {
		logFiles: days,
		songFiles,
		events,
		nextSongEvents,
		matchedPlays
	};
}
// dist/src/cli/generate.js
function count(name, v) {
	if (v === void 0) return void 0;
	if (typeof v !== "string" || !/^\d+$/.test(v)) throw new SparkifyError(`--${name} takes a whole number, not '${String(v)}'`);
	return Number(v);
}
async function generateCommand(opts, log) {
	const outDir = path.resolve(typeof opts.out === "string" ? opts.out : "sample-data");
	const t0 = Date.now();
	const s = await generateSample({
		outDir,
		force: opts.force === true,
		...count("events", opts.events) !== void 0 ? { events: count("events", opts.events) } : {},
		...count("songs", opts.songs) !== void 0 ? { songs: count("songs", opts.songs) } : {},
		...count("users", opts.users) !== void 0 ? { users: count("users", opts.users) } : {},
		...count("days", opts.days) !== void 0 ? { days: count("days", opts.days) } : {},
		...count("seed", opts.seed) !== void 0 ? { seed: count("seed", opts.seed) } : {}
	});
	log.info(`Wrote ${s.events} events in ${s.logFiles} log files and ${s.songFiles} song files to ${outDir} in ${((Date.now() - t0) / 1e3).toFixed(1)}s`);
	log.info(`${s.nextSongEvents} song plays, ${s.matchedPlays} of them match the catalogue`);
	return 0;
}
export { generateCommand };
