import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../src/generate/output.js';
import { generateSample, LOG_JSON_PATH, PAGES, type GenerateSummary } from '../src/generate/sample.js';
import { runCli } from './support/project.js';

// The raw-data generator: deterministic, shaped like the production dataset,
// and varied enough for the warehouse tests that run on its output.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const realSample = path.resolve(repoRoot, '../shared/sparkify-data');
const hasRealSample = fs.existsSync(path.join(realSample, 'log_data'));
if (!hasRealSample && process.env.SPARKIFY_REQUIRE_REAL_SAMPLE === '1') {
  throw new Error(`the real sample is required (SPARKIFY_REQUIRE_REAL_SAMPLE=1) but ${realSample} does not exist`);
}

const EVENT_KEYS = [
  'artist', 'auth', 'firstName', 'gender', 'itemInSession', 'lastName', 'length', 'level', 'location',
  'method', 'page', 'registration', 'sessionId', 'song', 'status', 'ts', 'userAgent', 'userId',
];
const SONG_KEYS = [
  'num_songs', 'artist_id', 'artist_latitude', 'artist_longitude', 'artist_location', 'artist_name',
  'song_id', 'title', 'duration', 'year',
];
const USER_FIELDS = ['firstName', 'gender', 'lastName', 'location', 'registration', 'userAgent'] as const;

interface Event {
  artist: string | null;
  auth: string;
  firstName: string | null;
  gender: string | null;
  itemInSession: number;
  lastName: string | null;
  length: number | null;
  level: string;
  location: string | null;
  method: string;
  page: string;
  registration: number | null;
  sessionId: number;
  song: string | null;
  status: number;
  ts: number;
  userAgent: string | null;
  userId: string;
}

interface Song {
  num_songs: number;
  artist_id: string;
  artist_latitude: number | null;
  artist_longitude: number | null;
  artist_location: string;
  artist_name: string;
  song_id: string;
  title: string;
  duration: number;
  year: number;
}

function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sparkify-gen-${tag}-`));
}

/** Relative path -> file bytes, every file under `dir`. */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const abs = path.join(dir, rel);
    if (fs.statSync(abs).isFile()) out.set(rel.split(path.sep).join('/'), fs.readFileSync(abs));
  }
  return out;
}

function hashes(tree: Map<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, bytes] of tree) out[rel] = crypto.createHash('sha256').update(bytes).digest('hex');
  return out;
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

const songKey = (title: string | null, artist: string | null, duration: number | null) =>
  JSON.stringify([title, artist, duration]);

describe('generateSample with default options', () => {
  let dirA: string;
  let summary: GenerateSummary;
  let tree: Map<string, Buffer>;
  let logFiles: [string, string][]; // [relative path, text]
  let events: Event[];
  let plays: Event[];
  let songFiles: [string, string][];
  let songs: Song[];

  beforeAll(async () => {
    dirA = tmpDir('a');
    summary = await generateSample({ outDir: dirA });
    tree = readTree(dirA);
    logFiles = [...tree].filter(([rel]) => rel.startsWith('log_data/')).map(([rel, b]) => [rel, b.toString('utf8')]);
    events = logFiles.flatMap(([, text]) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event));
    plays = events.filter((e) => e.page === 'NextSong');
    songFiles = [...tree].filter(([rel]) => rel.startsWith('song_data/')).map(([rel, b]) => [rel, b.toString('utf8')]);
    songs = songFiles.map(([, text]) => JSON.parse(text) as Song);
  });

  afterAll(() => fs.rmSync(dirA, { recursive: true, force: true }));

  it('is deterministic: a second run gives byte-identical files, another seed does not', async () => {
    const dirB = tmpDir('b');
    const dirC = tmpDir('c');
    try {
      const summaryB = await generateSample({ outDir: dirB });
      expect(summaryB).toEqual(summary);
      const a = hashes(tree);
      expect(Object.keys(a).length).toBe(2 + summary.logFiles + summary.songFiles); // + the marker
      expect(hashes(readTree(dirB))).toEqual(a);

      await generateSample({ outDir: dirC, seed: 43 });
      const c = hashes(readTree(dirC));
      expect(c['log_json_path.json']).toBe(a['log_json_path.json']);
      expect(c['log_data/2018/11/2018-11-01-events.json']).not.toBe(a['log_data/2018/11/2018-11-01-events.json']);
    } finally {
      fs.rmSync(dirB, { recursive: true, force: true });
      fs.rmSync(dirC, { recursive: true, force: true });
    }
  });

  it('writes one log file a day and reports what it wrote', () => {
    const expected = Array.from({ length: 30 }, (_, i) => `log_data/2018/11/2018-11-${String(i + 1).padStart(2, '0')}-events.json`);
    expect(logFiles.map(([rel]) => rel)).toEqual(expected);
    expect(summary).toEqual({
      logFiles: 30,
      songFiles: songFiles.length,
      events: 8000,
      nextSongEvents: plays.length,
      matchedPlays: summary.matchedPlays,
    });
    expect(events.length).toBe(8000);
  });

  it('writes log lines with the production keys, types and formatting quirks', () => {
    const keys = JSON.stringify(EVENT_KEYS);
    const bad: string[] = []; // "<problem>: <line>", expected to stay empty
    for (const [rel, text] of logFiles) {
      expect(text.endsWith('\n')).toBe(true);
      expect(text).toMatch(/^[\x00-\x7f]*$/); // non-ASCII is \u-escaped
      const day = rel.slice(-22, -12);
      let prevTs = 0;
      for (const line of text.slice(0, -1).split('\n')) {
        const e = JSON.parse(line) as Event;
        const problems = [
          JSON.stringify(Object.keys(e)) !== keys && 'keys',
          new Date(e.ts).toISOString().slice(0, 10) !== day && 'day',
          e.ts < prevTs && 'order', // a file is in time order
          typeof e.userId !== 'string' && 'userId',
          !(Number.isInteger(e.sessionId) && Number.isInteger(e.itemInSession) && Number.isInteger(e.ts)) && 'ints',
          // registration is written as 1540991795796.0 (or null)
          !/"registration":(\d{13}\.0|null),"sessionId":/.test(line) && 'registration',
          // every slash is escaped as \/
          /[^\\]\//.test(line.replace(/\\\\/g, '')) && 'slash',
          e.userAgent !== null && !line.includes('"userAgent":"\\"Mozilla\\/5.0 (') && 'userAgent',
          e.length !== null && !/"length":\d+\.\d+,/.test(line) && 'length',
        ].filter(Boolean);
        if (problems.length > 0) bad.push(`${problems.join(',')}: ${line}`);
        prevTs = e.ts;
      }
    }
    expect(bad.slice(0, 5), `${bad.length} bad lines`).toEqual([]);
  });

  it('writes the log_json_path.json of production', () => {
    const text = tree.get('log_json_path.json')!.toString('utf8');
    expect(text).toBe(LOG_JSON_PATH);
    const paths = (JSON.parse(text) as { jsonpaths: string[] }).jsonpaths;
    expect(paths).toEqual(EVENT_KEYS.map((k) => `$['${k}']`));
  });

  it('writes one song object a file, filed under the track id', () => {
    expect(songFiles.length).toBeGreaterThan(0);
    for (const [rel, text] of songFiles) {
      const m = /^song_data\/([A-Z])\/([A-Z])\/([A-Z])\/(TR[A-Z0-9]{16})\.json$/.exec(rel);
      expect(m, rel).not.toBeNull();
      expect(m![4]!.slice(2, 5)).toBe(m![1]! + m![2]! + m![3]!);
      const song = JSON.parse(text) as Song;
      expect(Object.keys(song)).toEqual(SONG_KEYS);
      expect(text).toMatch(/^\{"num_songs": 1, "artist_id": "AR[A-Z0-9]{16}", /); // Python's separators
      expect(text.endsWith('}')).toBe(true);
      expect(text).toMatch(/^[\x00-\x7f]*$/);
      expect(song.song_id).toMatch(/^SO[A-Z0-9]{16}$/);
      expect(song.duration).toBeGreaterThan(0);
    }
  });

  it.skipIf(!hasRealSample)('matches the shapes of the real sample', () => {
    const realLogDir = path.join(realSample, 'log_data');
    const firstLog = (fs.readdirSync(realLogDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort()[0]!;
    const realEvent = JSON.parse(fs.readFileSync(path.join(realLogDir, firstLog), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(events[0]!)).toEqual(Object.keys(realEvent));

    const realSongDir = path.join(realSample, 'song_data');
    const firstSong = (fs.readdirSync(realSongDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort()[0]!;
    const realSong = JSON.parse(fs.readFileSync(path.join(realSongDir, firstSong), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(songs[0]!)).toEqual(Object.keys(realSong));

    expect(tree.get('log_json_path.json')!.equals(fs.readFileSync(path.join(realSample, 'log_json_path.json')))).toBe(true);

    // Pages the real sample has are written with the same method and status.
    const realPages = new Map<string, string>();
    for (const f of (fs.readdirSync(realLogDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.json'))) {
      for (const line of fs.readFileSync(path.join(realLogDir, f), 'utf8').split('\n')) {
        if (line === '') continue;
        const e = JSON.parse(line) as Event;
        realPages.set(e.page, `${e.method} ${e.status}`);
      }
    }
    const ours = new Map(events.map((e) => [e.page, `${e.method} ${e.status}`]));
    expect(ours.size).toBe(PAGES.length);
    for (const [pageName, methodStatus] of realPages) expect(ours.get(pageName), pageName).toBe(methodStatus);
  });

  it('has the page mix of production: ~80% NextSong, every page with its method and status', () => {
    const share = plays.length / events.length;
    expect(share).toBeGreaterThan(0.75);
    expect(share).toBeLessThan(0.88);
    const seen = [...countBy(events, (e) => `${e.page} ${e.method} ${e.status}`).keys()].sort();
    expect(seen).toEqual(PAGES.map((p) => `${p.name} ${p.method} ${p.status}`).sort());
    expect(plays.filter((e) => e.auth !== 'Logged In' || e.artist === null || e.song === null || e.length === null)).toEqual([]);
    expect(events.filter((e) => e.page !== 'NextSong' && (e.artist !== null || e.song !== null || e.length !== null))).toEqual([]);
  });

  it('has logged-out events, with the user fields null', () => {
    const out = events.filter((e) => e.userId === '');
    expect(out.length).toBeGreaterThan(50);
    expect(out.length / events.length).toBeLessThan(0.1);
    expect([...countBy(out, (e) => `${e.auth} ${USER_FIELDS.map((f) => e[f]).join('/')}`).keys()]).toEqual(['Logged Out /////']);
    expect(new Set(out.map((e) => e.page))).toEqual(new Set(['Home', 'Login', 'About', 'Help']));
    const loggedIn = events.filter((e) => e.userId !== '');
    expect(loggedIn.filter((e) => e.auth !== 'Logged In' || USER_FIELDS.some((f) => e[f] === null))).toEqual([]);
    expect(new Set(events.filter((e) => e.userId !== '').map((e) => e.userId)).size).toBe(60);
  });

  it('has sessions: one user each, itemInSession counting up, ts never going back', () => {
    const sessions = new Map<number, Event[]>();
    for (const e of events) {
      if (!sessions.has(e.sessionId)) sessions.set(e.sessionId, []);
      sessions.get(e.sessionId)!.push(e);
    }
    expect(sessions.size).toBeGreaterThan(300);
    let longest = 0;
    for (const list of sessions.values()) {
      list.sort((x, y) => x.ts - y.ts || x.itemInSession - y.itemInSession);
      expect(list.map((e) => e.itemInSession)).toEqual(list.map((_, i) => i));
      expect(new Set(list.filter((e) => e.userId !== '').map((e) => e.userId)).size).toBeLessThanOrEqual(1);
      longest = Math.max(longest, list.length);
    }
    expect(longest).toBeGreaterThan(30);
  });

  it('has users who change level (at least 10% of those who play songs)', () => {
    const levels = new Map<string, Set<string>>();
    for (const e of events) {
      if (e.userId === '') continue;
      if (!levels.has(e.userId)) levels.set(e.userId, new Set());
      levels.get(e.userId)!.add(e.level);
    }
    const players = new Set(plays.map((e) => e.userId));
    const changers = [...players].filter((u) => levels.get(u)!.size > 1);
    expect(changers.length / players.size).toBeGreaterThanOrEqual(0.1);
    // Upgrades and downgrades: the submit is made at the old level, the next event has the new one.
    const submits = events.filter((e) => e.page === 'Submit Upgrade' || e.page === 'Submit Downgrade');
    expect(submits.filter((e) => e.page === 'Submit Upgrade').length).toBeGreaterThan(0);
    expect(submits.filter((e) => e.page === 'Submit Downgrade').length).toBeGreaterThan(0);
    for (const s of submits) {
      const after = events.find((e) => e.sessionId === s.sessionId && e.itemInSession === s.itemInSession + 1);
      expect(s.level).toBe(s.page === 'Submit Upgrade' ? 'free' : 'paid');
      if (after) expect(after.level).toBe(s.page === 'Submit Upgrade' ? 'paid' : 'free');
    }
  });

  it('has plays by different users at exactly the same ts', () => {
    const byTs = new Map<number, Event[]>();
    for (const e of plays) {
      if (!byTs.has(e.ts)) byTs.set(e.ts, []);
      byTs.get(e.ts)!.push(e);
    }
    expect(byTs.size).toBeLessThan(plays.length);
    const shared = [...byTs.values()].filter((l) => new Set(l.map((e) => e.userId)).size > 1);
    expect(shared.length).toBeGreaterThanOrEqual(3);
  });

  it('has a catalogue with multi-song artists, duplicated song files and sparse artist data', () => {
    const ids = countBy(songs, (s) => s.song_id);
    expect(ids.size).toBe(120);
    const dupIds = [...ids].filter(([, n]) => n > 1).map(([id]) => id);
    expect(dupIds.length).toBeGreaterThanOrEqual(2);
    for (const id of dupIds) {
      const texts = new Set(songFiles.filter(([, t]) => (JSON.parse(t) as Song).song_id === id).map(([, t]) => t));
      expect(texts.size).toBe(1); // same content, different track file
    }
    const artists = new Set(songs.map((s) => s.artist_id));
    expect(artists.size).toBeLessThan(ids.size);
    // An artist has one name and one location whatever the song.
    expect(new Set(songs.map((s) => JSON.stringify([s.artist_id, s.artist_name, s.artist_location, s.artist_latitude]))).size).toBe(artists.size);
    expect(songs.some((s) => s.artist_latitude === null && s.artist_longitude === null && s.artist_location === '')).toBe(true);
    expect(songs.some((s) => s.artist_latitude !== null)).toBe(true);
    expect(songs.some((s) => s.year === 0)).toBe(true);
    expect(songs.some((s) => s.year > 1900)).toBe(true);
  });

  it('has plays that match the catalogue exactly, near misses and unknown songs', () => {
    const exact = new Set(songs.map((s) => songKey(s.title, s.artist_name, s.duration)));
    const titleArtist = new Set(songs.map((s) => songKey(s.title, s.artist_name, null)));
    const matched = plays.filter((e) => exact.has(songKey(e.song, e.artist, e.length)));
    expect(matched.length).toBe(summary.matchedPlays);
    expect(matched.length / plays.length).toBeGreaterThan(0.05);
    expect(matched.length / plays.length).toBeLessThan(0.1);
    const near = plays.filter((e) => titleArtist.has(songKey(e.song, e.artist, null)) && !exact.has(songKey(e.song, e.artist, e.length)));
    expect(near.length).toBeGreaterThan(10);
    expect(near.length).toBeLessThan(matched.length);
    const catalogueArtists = new Set(songs.map((s) => s.artist_name));
    expect(plays.filter((e) => !catalogueArtists.has(e.artist!)).length / plays.length).toBeGreaterThan(0.7);
  });

  it('has awkward text: quotes, ampersands, apostrophes, commas, slashes and non-ASCII', () => {
    const playText = plays.flatMap((e) => [e.song!, e.artist!]);
    const matchedText = new Set(songs.map((s) => songKey(s.title, s.artist_name, s.duration)));
    const matchedPlayText = plays.filter((e) => matchedText.has(songKey(e.song, e.artist, e.length))).flatMap((e) => [e.song!, e.artist!]);
    const catalogueText = songs.flatMap((s) => [s.title, s.artist_name]);
    for (const texts of [playText, matchedPlayText, catalogueText]) {
      for (const re of [/"/, /&/, /'/, /,/, /[^\x00-\x7f]/]) expect(texts.some((t) => re.test(t)), String(re)).toBe(true);
    }
    expect(playText.some((t) => t.includes('/'))).toBe(true);
    expect(catalogueText).toContain('Beyoncé');
    expect(catalogueText).toContain('Sigur Rós');
  });
});

describe('generateSample options', () => {
  it('honours the sizes and dates', async () => {
    const dir = tmpDir('small');
    try {
      const summary = await generateSample({ outDir: dir, events: 300, songs: 12, users: 5, days: 4, startDate: '2020-02-28', seed: 7 });
      const tree = readTree(dir);
      const logs = [...tree.keys()].filter((k) => k.startsWith('log_data/'));
      expect(logs).toEqual([
        'log_data/2020/02/2020-02-28-events.json',
        'log_data/2020/02/2020-02-29-events.json',
        'log_data/2020/03/2020-03-01-events.json',
        'log_data/2020/03/2020-03-02-events.json',
      ]);
      const lines = logs.flatMap((k) => tree.get(k)!.toString('utf8').split('\n').filter((l) => l !== ''));
      expect(lines.length).toBe(300);
      expect(summary.events).toBe(300);
      expect(summary.logFiles).toBe(4);
      const songFiles = [...tree.keys()].filter((k) => k.startsWith('song_data/'));
      expect(songFiles.length).toBe(summary.songFiles);
      expect(new Set(songFiles.map((k) => (JSON.parse(tree.get(k)!.toString('utf8')) as Song).song_id)).size).toBe(12);
      expect(new Set(lines.map((l) => (JSON.parse(l) as Event).userId).filter((u) => u !== '')).size).toBeLessThanOrEqual(5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes empty day files when there are no events', async () => {
    const dir = tmpDir('empty');
    try {
      const summary = await generateSample({ outDir: path.join(dir, 'nested', 'out'), events: 0, days: 2 });
      expect(summary).toMatchObject({ logFiles: 2, events: 0, nextSongEvents: 0, matchedPlays: 0 });
      const tree = readTree(path.join(dir, 'nested', 'out'));
      expect(tree.get('log_data/2018/11/2018-11-01-events.json')!.length).toBe(0);
      expect(tree.get('log_data/2018/11/2018-11-02-events.json')!.length).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options', async () => {
    const outDir = path.join(os.tmpdir(), 'sparkify-gen-never-written');
    await expect(generateSample({ outDir, startDate: '2018-02-30' })).rejects.toThrow(/startDate/);
    await expect(generateSample({ outDir, events: -1 })).rejects.toThrow(/events/);
    await expect(generateSample({ outDir, days: 1.5 })).rejects.toThrow(/days/);
    expect(fs.existsSync(outDir)).toBe(false);
  });
});

describe('sparkify generate (the built CLI) writes only into a directory it owns', () => {
  const small = ['--events', '200', '--songs', '10', '--users', '4', '--days', '3'];
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const scratch = (tag: string): string => {
    const d = tmpDir(tag);
    dirs.push(d);
    return d;
  };
  const marker = (dir: string): { files: string[]; options: Record<string, unknown> } =>
    JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as { files: string[]; options: Record<string, unknown> };

  it('refuses a directory holding files it did not write, and leaves it untouched', async () => {
    const root = scratch('foreign');
    const out = path.join(root, 'data');
    fs.mkdirSync(path.join(out, 'log_data', '2018', '11'), { recursive: true });
    fs.writeFileSync(path.join(out, 'log_data', '2018', '11', '2018-11-01-events.json'), '{"mine": true}\n');
    fs.writeFileSync(path.join(out, 'README.md'), 'hand-written\n');
    const before = hashes(readTree(out));
    const r = await runCli(root, ['generate', '--out', 'data', ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to write into ${out}`);
    expect(r.stderr).toContain('README.md');
    expect(r.stderr).toContain('--out <new dir>');
    expect(r.stderr).toContain('--force');
    expect(hashes(readTree(out))).toEqual(before);
  });

  it('regenerates its own directory: deletes only the files its marker lists, then writes and lists the new ones', async () => {
    const root = scratch('own');
    const out = path.join(root, 'data');
    expect((await runCli(root, ['generate', '--out', 'data', ...small])).code).toBe(0);
    const first = marker(out);
    expect(first.options).toEqual({ events: 200, songs: 10, users: 4, days: 3, startDate: '2018-11-01', seed: 42 });
    expect([...readTree(out).keys()].sort()).toEqual([...first.files, MARKER].sort());

    // Other options: fewer days and another seed, so some files of the first run are not written again.
    const again = await runCli(root, ['generate', '--out', 'data', '--events', '100', '--songs', '6', '--users', '3', '--days', '2', '--seed', '9']);
    expect(again.code).toBe(0);
    const fresh = path.join(root, 'fresh');
    expect((await runCli(root, ['generate', '--out', 'fresh', '--events', '100', '--songs', '6', '--users', '3', '--days', '2', '--seed', '9'])).code).toBe(0);
    expect(hashes(readTree(out))).toEqual(hashes(readTree(fresh)));
    expect(fs.existsSync(path.join(out, 'log_data', '2018', '11', '2018-11-03-events.json'))).toBe(false);

    // A file added to its own directory makes it foreign again.
    fs.writeFileSync(path.join(out, 'song_data', 'extra.json'), '{}');
    const before = hashes(readTree(out));
    const refused = await runCli(root, ['generate', '--out', 'data', ...small]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('song_data/extra.json');
    expect(hashes(readTree(out))).toEqual(before);
  });

  it('--force writes into it anyway, keeps the files it did not write, and lists only its own', async () => {
    const root = scratch('force');
    const out = path.join(root, 'data');
    fs.mkdirSync(path.join(out, 'log_data', 'stale'), { recursive: true });
    fs.writeFileSync(path.join(out, 'log_data', 'stale', 'old-events.json'), '{}\n');
    fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
    const r = await runCli(root, ['generate', '--out', 'data', '--force', ...small]);
    expect(r.code).toBe(0);
    const tree = readTree(out);
    expect(tree.get('keep.txt')!.toString()).toBe('mine');
    expect(tree.get('log_data/stale/old-events.json')!.toString()).toBe('{}\n');
    const m = marker(out);
    expect(m.files).not.toContain('keep.txt');
    expect([...tree.keys()].filter((k) => k !== MARKER && !m.files.includes(k)).sort()).toEqual(['keep.txt', 'log_data/stale/old-events.json']);
    // Without --force, the files it did not write still stop it.
    expect((await runCli(root, ['generate', '--out', 'data', ...small])).code).toBe(2);
  });

  it('with no --out it regenerates the committed sample-data/ byte for byte (the sample carries its marker)', async () => {
    const root = scratch('default');
    fs.cpSync(path.join(repoRoot, 'sample-data'), path.join(root, 'sample-data'), { recursive: true });
    const committed = hashes(readTree(path.join(repoRoot, 'sample-data')));
    expect(Object.keys(committed)).toContain(MARKER);
    const r = await runCli(root, ['generate']);
    expect(r.code).toBe(0);
    expect(hashes(readTree(path.join(root, 'sample-data')))).toEqual(committed);

    // A file someone adds to the sample stops the default run.
    fs.writeFileSync(path.join(root, 'sample-data', 'log_data', 'notes.txt'), 'x');
    const refused = await runCli(root, ['generate']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(path.join(root, 'sample-data'));
    expect(fs.readFileSync(path.join(root, 'sample-data', 'log_data', 'notes.txt'), 'utf8')).toBe('x');
  });
});
