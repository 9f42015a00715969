import path from 'node:path';
import { SparkifyError } from '../core/errors.js';
import { generateSample } from '../generate/sample.js';
import type { Logger } from '../run/log.js';

function count(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new SparkifyError(`--${name} takes a whole number, not '${String(v)}'`);
  return Number(v);
}

export async function generateCommand(opts: Record<string, string | boolean | undefined>, log: Logger): Promise<number> {
  const outDir = path.resolve(typeof opts.out === 'string' ? opts.out : 'sample-data');
  const t0 = Date.now();
  const s = await generateSample({
    outDir,
    force: opts.force === true,
    ...(count('events', opts.events) !== undefined ? { events: count('events', opts.events)! } : {}),
    ...(count('songs', opts.songs) !== undefined ? { songs: count('songs', opts.songs)! } : {}),
    ...(count('users', opts.users) !== undefined ? { users: count('users', opts.users)! } : {}),
    ...(count('days', opts.days) !== undefined ? { days: count('days', opts.days)! } : {}),
    ...(count('seed', opts.seed) !== undefined ? { seed: count('seed', opts.seed)! } : {}),
  });
  log.info(`Wrote ${s.events} events in ${s.logFiles} log files and ${s.songFiles} song files to ${outDir} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  log.info(`${s.nextSongEvents} song plays, ${s.matchedPlays} of them match the catalogue`);
  return 0;
}
