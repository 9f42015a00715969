import type { ColumnType } from './convert.js';
import { binaryKind, writeFloat64, writeInt32, writeIntField, writeTimestampUs } from './binary.js';
import { MAX_EPOCH_MS, MIN_EPOCH_MS, writeEpochMs } from './time.js';
import type { CopyOptions } from '../core/copy.js';

/**
 * The loader's hot path: one flat JSON object (the common shape of event logs) straight from its UTF-8
 * bytes to one row of COPY text, with no JSON.parse, no strings and no Date objects. Key lookup is a small
 * hash table over the key bytes; each column has a converter specialised by its type.
 *
 * It handles what it can prove gives exactly the bytes the generic path (JSON.parse + convert.ts) gives;
 * anything else, and every value that would be a reject, makes it answer BAIL, and the caller sends the
 * value through the generic path, which makes the same row or the exact reject. So the fast path never
 * decides an error, and both paths always agree (test/load-stream.test.ts compares them on random input).
 */
export class FastRows {
  /** The value needs the generic path. */
  static readonly BAIL = -1;
  /** The buffer ended before the value did. */
  static readonly MORE = -2;

  /** Newlines inside the last value parsed (pretty-printed objects span lines). */
  newlines = 0;

  private readonly ncols: number;
  private readonly kind: Uint8Array;
  private readonly maxLen: Int32Array;
  private readonly intMin: Float64Array;
  private readonly intMax: Float64Array;
  private readonly tsScale: Float64Array;
  private readonly tsZone: Uint8Array;
  private readonly emptyAsNull: boolean;
  private readonly blanksAsNull: boolean;
  private readonly ignoreCase: boolean;
  // Where each column's value is in the current object.
  private readonly vStart: Int32Array;
  private readonly vEnd: Int32Array;
  private readonly vType: Uint8Array;
  private readonly vFlags: Uint8Array;
  private readonly seen: Int32Array;
  private gen = 0;
  // Key table: open addressing over the keys' hashes.
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly keyHash: Int32Array;
  private readonly keyBytes: Uint8Array[];
  private readonly keyCols: Int32Array[];
  /** Keys whose raw bytes can be compared as they are (no quote, backslash or control character). */
  private readonly predictable: Uint8Array;
  /** The key entry seen at each position of the last object (-1: none yet). */
  private readonly order = new Int32Array(PREDICT).fill(-1);
  /** Most columns one key feeds (a JSONPaths file may name a field twice): bounds a row's size. */
  private readonly fanout: number;
  /** Rows as binary COPY tuples (else COPY text); binKind is each column's binary form (binary.ts). */
  private readonly binary: boolean;
  private readonly binKind: Uint8Array;
  /** Where textScan stopped: just past the string's closing quote. */
  private scanEnd = 0;
  // Canonical number analysis results (see canonNumber).
  private nNeg = false;
  private nIntS = 0;
  private nIntE = 0;
  private nFracS = 0;
  private nFracE = 0;

  /**
   * `keys[i]` is the top-level key column i takes its value from (null: always missing). With
   * `ignoreCase`, keys match in any ASCII case.
   */
  constructor(columns: ColumnType[], keys: (string | null)[], ignoreCase: boolean, opts: CopyOptions, binary = false) {
    const n = columns.length;
    this.ncols = n;
    this.binary = binary;
    this.binKind = Uint8Array.from(columns, (c) => binaryKind(c, opts));
    if (binary && this.binKind.includes(0)) throw new Error('binary COPY asked for a column without a binary form');
    this.kind = new Uint8Array(n);
    this.maxLen = new Int32Array(n).fill(-1);
    this.intMin = new Float64Array(n);
    this.intMax = new Float64Array(n);
    this.tsScale = new Float64Array(n);
    this.tsZone = new Uint8Array(n);
    this.emptyAsNull = opts.emptyasnull;
    this.blanksAsNull = opts.blanksasnull;
    this.ignoreCase = ignoreCase;
    const fmt = opts.timeformat.toLowerCase();
    const scale = fmt === 'epochmillisecs' ? 1 : fmt === 'epochsecs' ? 1000 : 0;
    columns.forEach((col, i) => {
      const t = col.dataType.toLowerCase();
      if (t === 'character varying' || t === 'character' || t === 'text') {
        this.kind[i] = TEXT;
        // With truncatecolumns a long value is cut by the generic path: the fast path only loads what fits.
        this.maxLen[i] = col.maxLength ?? -1;
      } else if (t === 'smallint' || t === 'integer' || t === 'bigint') {
        this.kind[i] = INT;
        const [lo, hi] = t === 'smallint' ? [-32768, 32767] : t === 'integer' ? [-2147483648, 2147483647] : [-Infinity, Infinity];
        this.intMin[i] = lo;
        this.intMax[i] = hi;
      } else if (t === 'real' || t === 'double precision' || t === 'numeric') {
        this.kind[i] = FLOAT;
      } else if (t === 'boolean') {
        this.kind[i] = BOOL;
      } else if (t.startsWith('timestamp') && scale) {
        this.kind[i] = TS;
        this.tsScale[i] = scale;
        this.tsZone[i] = t.includes('with time zone') ? 1 : 0;
      } else {
        this.kind[i] = OTHER; // dates, 'auto' timestamps, json, ...: only null or missing here
      }
    });
    this.vStart = new Int32Array(n);
    this.vEnd = new Int32Array(n);
    this.vType = new Uint8Array(n);
    this.vFlags = new Uint8Array(n);
    this.seen = new Int32Array(n);

    // One entry per distinct key (compared as UTF-8 bytes, lowercased for ignorecase), with its columns.
    const byKey = new Map<string, number[]>();
    keys.forEach((k, i) => {
      if (k === null) return;
      const key = ignoreCase ? k.toLowerCase() : k;
      byKey.set(key, [...(byKey.get(key) ?? []), i]);
    });
    let size = 16;
    while (size < byKey.size * 4) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    this.keyHash = new Int32Array(byKey.size);
    this.keyBytes = [];
    this.keyCols = [];
    this.predictable = new Uint8Array(byKey.size);
    let fanout = 1;
    let e = 0;
    for (const [key, cols] of byKey) {
      const bytes = Buffer.from(key, 'utf8');
      let h = 0;
      for (const c of bytes) h = (Math.imul(h, 31) + c) | 0;
      this.keyHash[e] = h;
      this.keyBytes.push(bytes);
      this.keyCols.push(Int32Array.from(cols));
      this.predictable[e] = !ignoreCase && bytes.every((c) => c >= 32 && c !== 34 && c !== 92) ? 1 : 0;
      fanout = Math.max(fanout, cols.length);
      let s = h & this.mask;
      while (this.slots[s] !== -1) s = (s + 1) & this.mask;
      this.slots[s] = e++;
    }
    this.fanout = fanout;
  }

  /**
   * Parse the object starting at `b[start]` (a '{'), reading no further than `limit`, and append its row
   * to `w`. Returns the offset just past the object, or BAIL, or MORE.
   */
  row(b: Buffer, start: number, limit: number, w: RowSink): number {
    const r = this.parse(b, start, limit, w, true);
    return r === RESTART ? this.parse(b, start, limit, w, false) : r;
  }

  /**
   * One object. While its keys come in column order ("direct"), each value is converted straight into the
   * output as it is read (a string's bytes are read once); from the first key out of order on, values are
   * noted (where they are) and converted at the end. The columns before `next` are written; the rest are
   * written from the notes. The whitespace loops are written out at each place rather than shared: this is
   * the per-byte path, and each loop also counts the newlines it passes (a second result a helper could
   * not return without an allocation or a field write per call).
   */
  private parse(b: Buffer, start: number, limit: number, w: RowSink, direct: boolean): number {
    const gen = ++this.gen;
    const seen = this.seen;
    const order = this.order;
    const binary = this.binary;
    const n = this.ncols;
    let kpos = 0;
    let newlines = 0;
    let i = start + 1;
    let c = 0;
    // Direct output goes into room reserved up front: DIRECT_INPUT bytes of input make at most that many
    // bytes of output, plus a few a field (separators, lengths, timestamps longer than their epoch digits).
    const stop = Math.min(limit, start + DIRECT_INPUT);
    let out: Buffer = w.buf;
    let p = w.pos;
    let next = 0;
    if (direct) {
      w.ensure(DIRECT_INPUT + n * 40 + 8);
      out = w.buf;
      p = w.pos;
      if (binary) {
        out[p++] = n >> 8;
        out[p++] = n & 255;
      }
    }
    // Whitespace, then the first key or '}'.
    for (;;) {
      if (i >= limit) return MORE;
      c = b[i]!;
      if (c === 32 || c === 9 || c === 13) i++;
      else if (c === 10) {
        newlines++;
        i++;
      } else break;
    }
    if (c === 125) {
      i++;
    } else {
      for (;;) {
        // "key": first try the key this position had in the last object (objects of a file usually
        // repeat their keys in one order), else hash it and look it up.
        if (c !== 34) return BAIL;
        i++;
        let cols: Int32Array | undefined;
        let e = kpos < PREDICT ? order[kpos]! : -1;
        if (e >= 0) {
          const kb = this.keyBytes[e]!;
          const len = kb.length;
          if (i + len < limit && b[i + len] === 34) {
            let j = 0;
            while (j < len && b[i + j] === kb[j]) j++;
            if (j === len) {
              cols = this.keyCols[e];
              i += len + 1;
            } else e = -1;
          } else e = -1;
        }
        if (e < 0) {
          const ks = i;
          let h = 0;
          const ic = this.ignoreCase;
          for (;;) {
            if (i >= limit) return MORE;
            c = b[i]!;
            if (c === 34) break;
            if (c === 92 || c < 32) return BAIL; // an escaped key could equal a column name: generic path
            if (ic) {
              if (c >= 128) return BAIL;
              if (c >= 65 && c <= 90) c |= 32;
            }
            h = (Math.imul(h, 31) + c) | 0;
            i++;
          }
          const ke = i;
          i++;
          // Which columns, if any, take this key.
          let slot = h & this.mask;
          for (;;) {
            const x = this.slots[slot]!;
            if (x === -1) break;
            if (this.keyHash[x] === h && this.keyIs(x, b, ks, ke)) {
              cols = this.keyCols[x];
              if (kpos < PREDICT && this.predictable[x] === 1) order[kpos] = x;
              break;
            }
            slot = (slot + 1) & this.mask;
          }
        }
        kpos++;
        // :
        for (;;) {
          if (i >= limit) return MORE;
          c = b[i]!;
          if (c === 32 || c === 9 || c === 13) i++;
          else if (c === 10) {
            newlines++;
            i++;
          } else break;
        }
        if (c !== 58) return BAIL;
        i++;
        for (;;) {
          if (i >= limit) return MORE;
          c = b[i]!;
          if (c === 32 || c === 9 || c === 13) i++;
          else if (c === 10) {
            newlines++;
            i++;
          } else break;
        }
        // The value. In order, into a text column: converted as it is read.
        let col = -1;
        if (direct && cols !== undefined) {
          // (a key no column takes leaves the order as it is)
          if (cols.length === 1 && cols[0] === next && i < stop) col = next;
          else direct = false;
        }
        if (col >= 0 && c === 34 && this.kind[col] === TEXT && !this.blanksAsNull) {
          seen[col] = gen;
          if (!binary && col > 0) out[p++] = 9;
          const at = p;
          const q = this.textScan(b, i + 1, stop, out, binary ? p + 4 : p, this.maxLen[col]!, !binary);
          if (q === MORE) return stop === limit ? MORE : RESTART;
          if (q === BAIL) return BAIL;
          if (q === AS_NULL) p = this.writeNull(out, at);
          else {
            if (binary) writeInt32(out, at, q - at - 4);
            p = q;
          }
          i = this.scanEnd;
          next++;
        } else {
          const vs = i;
          let vt = 0;
          let flags = 0;
          let ve = 0;
          if (c === 34) {
            vt = STR;
            i++;
            for (;;) {
              while (i < limit && PLAIN[b[i]!] === 1) i++;
              if (i >= limit) return MORE;
              c = b[i]!;
              if (c === 34) break;
              if (c === 92) {
                flags |= ESC;
                if (i + 1 >= limit) return MORE;
                const x = b[i + 1]!;
                if (x === 117) {
                  if (i + 5 >= limit) return MORE;
                  if (hexVal(b[i + 2]!) < 0 || hexVal(b[i + 3]!) < 0 || hexVal(b[i + 4]!) < 0 || hexVal(b[i + 5]!) < 0) return BAIL;
                  i += 6;
                } else if (x === 34 || x === 92 || x === 47 || x === 98 || x === 102 || x === 110 || x === 114 || x === 116) {
                  i += 2;
                } else return BAIL;
                continue;
              }
              if (c < 32) return BAIL;
              flags |= NONASCII;
              i++;
            }
            ve = i; // the closing quote
            i++;
          } else if (c === 45 || (c >= 48 && c <= 57)) {
            vt = NUM;
            if (c === 45) {
              i++;
              if (i >= limit) return MORE;
              c = b[i]!;
            }
            if (c === 48) i++;
            else if (c >= 49 && c <= 57) {
              i++;
              for (;;) {
                if (i >= limit) return MORE;
                c = b[i]!;
                if (c < 48 || c > 57) break;
                i++;
              }
            } else return BAIL;
            if (i >= limit) return MORE;
            c = b[i]!;
            if (c === 46) {
              i++;
              if (i >= limit) return MORE;
              c = b[i]!;
              if (c < 48 || c > 57) return BAIL;
              for (;;) {
                i++;
                if (i >= limit) return MORE;
                c = b[i]!;
                if (c < 48 || c > 57) break;
              }
            }
            if (c === 101 || c === 69) {
              flags |= EXP;
              i++;
              if (i >= limit) return MORE;
              c = b[i]!;
              if (c === 43 || c === 45) {
                i++;
                if (i >= limit) return MORE;
                c = b[i]!;
              }
              if (c < 48 || c > 57) return BAIL;
              for (;;) {
                i++;
                if (i >= limit) return MORE;
                c = b[i]!;
                if (c < 48 || c > 57) break;
              }
            }
            ve = i;
          } else if (c === 116) {
            if (i + 4 > limit) return MORE;
            if (b[i + 1] !== 114 || b[i + 2] !== 117 || b[i + 3] !== 101) return BAIL;
            vt = TRUE;
            i += 4;
            ve = i;
          } else if (c === 102) {
            if (i + 5 > limit) return MORE;
            if (b[i + 1] !== 97 || b[i + 2] !== 108 || b[i + 3] !== 115 || b[i + 4] !== 101) return BAIL;
            vt = FALSE;
            i += 5;
            ve = i;
          } else if (c === 110) {
            if (i + 4 > limit) return MORE;
            if (b[i + 1] !== 117 || b[i + 2] !== 108 || b[i + 3] !== 108) return BAIL;
            vt = NULL;
            i += 4;
            ve = i;
          } else {
            return BAIL; // nested objects and arrays, and anything that is not JSON
          }
          if (col >= 0) {
            // In order, not a string for a text column: converted now.
            seen[col] = gen;
            if (!binary && col > 0) out[p++] = 9;
            p = binary ? this.fieldBinary(col, vt, b, vt === STR ? vs + 1 : vs, ve, flags, out, p) : this.fieldText(col, vt, b, vt === STR ? vs + 1 : vs, ve, flags, out, p);
            if (p < 0) return BAIL;
            next++;
          } else if (cols !== undefined) {
            for (let k = 0; k < cols.length; k++) {
              const cc = cols[k]!;
              if (seen[cc] === gen) return BAIL; // a repeated key: JSON.parse keeps the last
              seen[cc] = gen;
              this.vStart[cc] = vt === STR ? vs + 1 : vs;
              this.vEnd[cc] = ve;
              this.vType[cc] = vt;
              this.vFlags[cc] = flags;
            }
          }
        }
        // , or }
        for (;;) {
          if (i >= limit) return MORE;
          c = b[i]!;
          if (c === 32 || c === 9 || c === 13) i++;
          else if (c === 10) {
            newlines++;
            i++;
          } else break;
        }
        if (c === 44) {
          i++;
          for (;;) {
            if (i >= limit) return MORE;
            c = b[i]!;
            if (c === 32 || c === 9 || c === 13) i++;
            else if (c === 10) {
              newlines++;
              i++;
            } else break;
          }
          continue;
        }
        if (c === 125) {
          i++;
          break;
        }
        return BAIL;
      }
    }
    const end = i;
    // The columns not written yet, from the notes (a column never seen is missing: NULL).
    if (next < n) {
      const room = (end - start) * this.fanout + (n - next) * 40 + 8;
      if (next === 0 && p === w.pos) {
        w.ensure(room);
        out = w.buf;
        if (binary) {
          out[p++] = n >> 8;
          out[p++] = n & 255;
        }
      } else out = w.ensureFrom(p, room);
      for (let col = next; col < n; col++) {
        if (!binary && col > 0) out[p++] = 9;
        if (seen[col] !== gen) p = this.writeNull(out, p);
        else if (binary) p = this.fieldBinary(col, this.vType[col]!, b, this.vStart[col]!, this.vEnd[col]!, this.vFlags[col]!, out, p);
        else p = this.fieldText(col, this.vType[col]!, b, this.vStart[col]!, this.vEnd[col]!, this.vFlags[col]!, out, p);
        if (p < 0) return BAIL;
      }
    }
    if (!binary) out[p++] = 10;
    w.pos = p;
    this.newlines = newlines;
    return end;
  }

  private writeNull(out: Buffer, p: number): number {
    if (this.binary) return writeInt32(out, p, -1);
    out[p] = 92; // \N
    out[p + 1] = 78;
    return p + 2;
  }

  /** One field as COPY text (no separator); vs..ve is the value (inside the quotes for a string). */
  private fieldText(col: number, vt: number, b: Buffer, vs: number, ve: number, flags: number, out: Buffer, p: number): number {
    if (vt === NULL) return this.writeNull(out, p);
    switch (this.kind[col]) {
      case TEXT:
        if (vt === STR) {
          const q = flags === 0 ? this.plainText(b, vs, ve, out, p, this.maxLen[col]!) : this.textScan(b, vs, ve + 1, out, p, this.maxLen[col]!, true);
          return q === AS_NULL ? this.writeNull(out, p) : q;
        }
        return this.nonString(b, vs, ve, vt, out, p, this.maxLen[col]!);
      case INT:
        if (vt === NUM) {
          if (this.canonKind(b, vs, ve) !== 1) return -1;
          const v = this.intValue(b);
          if (v < this.intMin[col]! || v > this.intMax[col]!) return -1;
          if (this.nNeg) out[p++] = 45;
          for (let k = this.nIntS; k < this.nIntE; k++) out[p++] = b[k]!;
          return p;
        }
        if (vt === TRUE) out[p++] = 49;
        else if (vt === FALSE) out[p++] = 48;
        else return -1;
        return p;
      case FLOAT:
        return vt === NUM ? this.canonNumber(b, vs, ve, out, p) : -1;
      case BOOL:
        if (vt === TRUE) out[p++] = 116;
        else if (vt === FALSE) out[p++] = 102;
        else if (vt === NUM && ve === vs + 1 && (b[vs] === 48 || b[vs] === 49)) out[p++] = b[vs] === 49 ? 116 : 102;
        else return -1;
        return p;
      case TS:
        if (vt === NUM && this.canonKind(b, vs, ve) === 1) return writeEpochMs(out, p, this.intValue(b) * this.tsScale[col]!, this.tsZone[col] === 1);
        return -1;
      default:
        return -1;
    }
  }

  /** One field as a binary COPY field: length, then bytes (see binary.ts). */
  private fieldBinary(col: number, vt: number, b: Buffer, vs: number, ve: number, flags: number, out: Buffer, p: number): number {
    if (vt === NULL) return writeInt32(out, p, -1);
    switch (this.kind[col]) {
      case TEXT: {
        const q =
          vt !== STR
            ? this.nonString(b, vs, ve, vt, out, p + 4, this.maxLen[col]!)
            : flags === 0
              ? this.plainText(b, vs, ve, out, p + 4, this.maxLen[col]!)
              : this.textScan(b, vs, ve + 1, out, p + 4, this.maxLen[col]!, false);
        if (q === AS_NULL) return writeInt32(out, p, -1);
        if (q < 0) return -1;
        writeInt32(out, p, q - p - 4);
        return q;
      }
      case INT:
        if (vt === NUM) {
          if (this.canonKind(b, vs, ve) !== 1) return -1;
          const v = this.intValue(b);
          return v < this.intMin[col]! || v > this.intMax[col]! ? -1 : writeIntField(out, p, this.binKind[col]!, v);
        }
        if (vt === TRUE || vt === FALSE) return writeIntField(out, p, this.binKind[col]!, vt === TRUE ? 1 : 0);
        return -1;
      case FLOAT:
        if (vt === NUM && this.canonKind(b, vs, ve) !== 0) return writeFloat64(out, writeInt32(out, p, 8), this.floatValue(b));
        return -1;
      case BOOL: {
        let v = -1;
        if (vt === TRUE) v = 1;
        else if (vt === FALSE) v = 0;
        else if (vt === NUM && ve === vs + 1 && (b[vs] === 48 || b[vs] === 49)) v = b[vs]! - 48;
        if (v < 0) return -1;
        p = writeInt32(out, p, 1);
        out[p] = v;
        return p + 1;
      }
      case TS: {
        if (vt !== NUM || this.canonKind(b, vs, ve) !== 1) return -1;
        const ms = this.intValue(b) * this.tsScale[col]!;
        return ms >= MIN_EPOCH_MS && ms <= MAX_EPOCH_MS ? writeTimestampUs(out, writeInt32(out, p, 8), ms) : -1;
      }
      default:
        return -1;
    }
  }

  /** A number or true/false into a string column: as String(value) writes it. */
  private nonString(b: Buffer, vs: number, ve: number, vt: number, out: Buffer, p: number, max: number): number {
    if (vt === NUM) {
      const q = this.canonNumber(b, vs, ve, out, p);
      return q >= 0 && (max < 0 || q - p <= max) ? q : -1;
    }
    if (vt === TRUE) {
      if (max >= 0 && max < 4) return -1;
      out[p] = 116;
      out[p + 1] = 114;
      out[p + 2] = 117;
      out[p + 3] = 101;
      return p + 4;
    }
    if (vt === FALSE) {
      if (max >= 0 && max < 5) return -1;
      out[p] = 102;
      out[p + 1] = 97;
      out[p + 2] = 108;
      out[p + 3] = 115;
      out[p + 4] = 101;
      return p + 5;
    }
    return -1;
  }

  private keyIs(e: number, b: Buffer, ks: number, ke: number): boolean {
    const k = this.keyBytes[e]!;
    if (k.length !== ke - ks) return false;
    if (this.ignoreCase) {
      for (let j = 0; j < k.length; j++) {
        let c = b[ks + j]!;
        if (c >= 65 && c <= 90) c |= 32;
        if (c !== k[j]) return false;
      }
    } else {
      for (let j = 0; j < k.length; j++) if (b[ks + j] !== k[j]) return false;
    }
    return true;
  }

  /** A string of plain ASCII (no escapes, no control characters): its bytes are its characters. */
  private plainText(b: Buffer, s: number, e: number, out: Buffer, p: number, max: number): number {
    const len = e - s;
    if (max >= 0 && len > max) return -1;
    if (len === 0 && this.emptyAsNull) return AS_NULL;
    if (this.blanksAsNull) {
      let blank = true;
      for (let k = s; k < e; k++) {
        if (b[k] !== 32) {
          blank = false;
          break;
        }
      }
      if (blank) return AS_NULL;
    }
    if (len > 48) return p + b.copy(out, p, s, e);
    for (let k = s; k < e; k++) out[p++] = b[k]!;
    return p;
  }

  /**
   * A string's bytes from b[i] (just after its opening quote) to its closing quote, read and written in
   * one pass: JSON escapes decoded, UTF-8 checked, COPY's special characters escaped (`escape`, for the
   * text format), characters counted against the column's length. Returns the output position (and sets
   * scanEnd past the closing quote), or AS_NULL (emptyasnull, blanksasnull), or MORE when `stop` comes
   * first, or BAIL for anything the generic path must judge (or reject).
   */
  private textScan(b: Buffer, i: number, stop: number, out: Buffer, p: number, max: number, escape: boolean): number {
    let chars = 0;
    // For blanksasnull: did we see a character that is surely not white space, or one we cannot judge here?
    let solid = false;
    let unsure = false;
    for (;;) {
      const run = i;
      let c = 0;
      while (i < stop && PLAIN[(c = b[i]!)] === 1) {
        out[p++] = c;
        i++;
      }
      if (i > run) {
        chars += i - run;
        if (this.blanksAsNull && !solid) {
          for (let k = run; k < i; k++) {
            if (b[k] !== 32) {
              solid = true;
              break;
            }
          }
        }
      }
      if (i >= stop) return MORE;
      c = b[i]!;
      if (c === 34) {
        this.scanEnd = i + 1;
        break;
      }
      if (c === 92) {
        if (i + 1 >= stop) return MORE;
        const x = b[i + 1]!;
        chars++;
        switch (x) {
          case 34:
            out[p++] = 34;
            solid = true;
            i += 2;
            continue;
          case 92:
            if (escape) out[p++] = 92;
            out[p++] = 92;
            solid = true;
            i += 2;
            continue;
          case 47:
            out[p++] = 47;
            solid = true;
            i += 2;
            continue;
          case 98:
            out[p++] = 8;
            solid = true;
            i += 2;
            continue;
          case 102:
            out[p++] = 12;
            i += 2;
            continue;
          case 110:
            if (escape) out[p++] = 92;
            out[p++] = escape ? 110 : 10;
            i += 2;
            continue;
          case 114:
            if (escape) out[p++] = 92;
            out[p++] = escape ? 114 : 13;
            i += 2;
            continue;
          case 116:
            if (escape) out[p++] = 92;
            out[p++] = escape ? 116 : 9;
            i += 2;
            continue;
          case 117: {
            if (i + 5 >= stop) return MORE;
            let u = hex4(b, i + 2);
            if (u < 0) return BAIL;
            i += 6;
            if (u === 0) return BAIL; // NUL: the generic path rejects it
            if (u >= 0xd800 && u <= 0xdfff) {
              // A pair written as two escapes makes one character; a lone half is for the generic path.
              if (u >= 0xdc00) return BAIL;
              if (i + 5 >= stop) return MORE;
              if (b[i] !== 92 || b[i + 1] !== 117) return BAIL;
              const lo = hex4(b, i + 2);
              if (lo < 0xdc00 || lo > 0xdfff) return BAIL;
              i += 6;
              u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
              out[p++] = 0xf0 | (u >> 18);
              out[p++] = 0x80 | ((u >> 12) & 0x3f);
              out[p++] = 0x80 | ((u >> 6) & 0x3f);
              out[p++] = 0x80 | (u & 0x3f);
              solid = true;
            } else if (u < 0x80) {
              if (escape && (u === 9 || u === 10 || u === 13 || u === 92)) {
                out[p++] = 92;
                out[p++] = u === 9 ? 116 : u === 10 ? 110 : u === 13 ? 114 : 92;
              } else out[p++] = u;
              if (!(u === 32 || (u >= 9 && u <= 13))) solid = true;
            } else if (u < 0x800) {
              out[p++] = 0xc0 | (u >> 6);
              out[p++] = 0x80 | (u & 0x3f);
              unsure = true;
            } else {
              out[p++] = 0xe0 | (u >> 12);
              out[p++] = 0x80 | ((u >> 6) & 0x3f);
              out[p++] = 0x80 | (u & 0x3f);
              unsure = true;
            }
            continue;
          }
          default:
            return BAIL;
        }
      }
      if (c < 32) return BAIL; // a raw control character: not JSON
      // A UTF-8 sequence: copied when well-formed; invalid bytes are for the generic path.
      let len: number;
      if (c >= 0xc2 && c <= 0xdf) len = 2;
      else if (c >= 0xe0 && c <= 0xef) len = 3;
      else if (c >= 0xf0 && c <= 0xf4) len = 4;
      else return BAIL;
      if (i + len > stop) return MORE;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80) return BAIL;
      if (len === 3) {
        if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (b[i + 2]! & 0xc0) !== 0x80) return BAIL;
      } else if (len === 4) {
        if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f) || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return BAIL;
      }
      for (let j = 0; j < len; j++) out[p++] = b[i + j]!;
      i += len;
      chars++;
      if (len === 4) solid = true;
      else unsure = true;
    }
    if (chars === 0 && this.emptyAsNull) return AS_NULL;
    if (this.blanksAsNull && !solid) {
      if (unsure) return BAIL; // Unicode white space: JavaScript's trim() decides, in the generic path
      return AS_NULL;
    }
    if (max >= 0 && chars > max) return BAIL;
    return p;
  }

  /**
   * Classify a JSON number (already checked to be JSON) by what `String(Number(text))` would print:
   * 1 = a whole number of at most 15 digits, 2 = a fraction of at most 15 significant digits printed in
   * plain notation, 0 = anything else (exponents, more digits, -0, tiny numbers): for the generic path.
   * Sets nNeg, nIntS..nIntE (integer digits) and nFracS..nFracE (fraction digits, trailing zeros dropped).
   */
  private canonKind(b: Buffer, s: number, e: number): number {
    let k = s;
    const neg = b[k] === 45;
    if (neg) k++;
    const intS = k;
    while (k < e && b[k]! >= 48 && b[k]! <= 57) k++;
    const intE = k;
    let fracS = k;
    let fracE = k;
    if (k < e && b[k] === 46) {
      k++;
      fracS = k;
      while (k < e && b[k]! >= 48 && b[k]! <= 57) k++;
      fracE = k;
      while (fracE > fracS && b[fracE - 1] === 48) fracE--;
    }
    if (k !== e) return 0; // an exponent
    this.nNeg = neg;
    this.nIntS = intS;
    this.nIntE = intE;
    this.nFracS = fracS;
    this.nFracE = fracE;
    const intDigits = intE - intS;
    const zero = intDigits === 1 && b[intS] === 48;
    if (fracE === fracS) {
      if (intDigits > 15 || (neg && zero)) return 0;
      return 1;
    }
    if (zero) {
      let lead = 0;
      while (fracS + lead < fracE && b[fracS + lead] === 48) lead++;
      // Below 1e-6 JavaScript prints an exponent.
      if (lead >= 6 || fracE - fracS - lead > 15) return 0;
      return 2;
    }
    return intDigits + (fracE - fracS) > 15 ? 0 : 2;
  }

  /** Write the number as String(Number(text)) prints it; -1 when canonKind says generic. */
  private canonNumber(b: Buffer, s: number, e: number, out: Buffer, p: number): number {
    const kind = this.canonKind(b, s, e);
    if (kind === 0) return -1;
    if (this.nNeg) out[p++] = 45;
    for (let k = this.nIntS; k < this.nIntE; k++) out[p++] = b[k]!;
    if (kind === 2) {
      out[p++] = 46;
      for (let k = this.nFracS; k < this.nFracE; k++) out[p++] = b[k]!;
    }
    return p;
  }

  /**
   * The value of the number canonKind just read (kind 1 or 2), exactly as Number(text) gives it: at most
   * 15 significant digits make an exact integer M, and M / 10^k (k <= 22) is correctly rounded.
   */
  private floatValue(b: Buffer): number {
    let m = 0;
    for (let k = this.nIntS; k < this.nIntE; k++) m = m * 10 + (b[k]! - 48);
    for (let k = this.nFracS; k < this.nFracE; k++) m = m * 10 + (b[k]! - 48);
    const v = m / POW10[this.nFracE - this.nFracS]!;
    return this.nNeg ? -v : v;
  }

  /** The whole number canonKind just read (at most 15 digits: exact in a double). */
  private intValue(b: Buffer): number {
    let v = 0;
    for (let k = this.nIntS; k < this.nIntE; k++) v = v * 10 + (b[k]! - 48);
    return this.nNeg ? -v : v;
  }
}

/** Where rows go: a growable buffer (see ChunkWriter in buffers.ts). */
export interface RowSink {
  buf: Buffer;
  pos: number;
  /** Room for n bytes after pos. */
  ensure(n: number): void;
  /** Room for n bytes after p (> pos), keeping what is written before p; the buffer. */
  ensureFrom(p: number, n: number): Buffer;
}

/** textScan: the value is NULL (emptyasnull, blanksasnull). */
const AS_NULL = -3;
/** parse: direct output ran out of its room; parse again, noting values first. */
const RESTART = -4;
/** Input bytes of one object converted straight into the output (room reserved for as many). */
const DIRECT_INPUT = 64 * 1024;
/** 10^0 .. 10^22: exact doubles. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Key positions remembered for prediction. */
const PREDICT = 64;
/** Bytes a JSON string holds as they are: printable ASCII but the quote and the backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 32; c < 128; c++) if (c !== 34 && c !== 92) PLAIN[c] = 1;

const BAIL = FastRows.BAIL;
const MORE = FastRows.MORE;

// Column kinds.
const TEXT = 1;
const INT = 2;
const FLOAT = 3;
const BOOL = 4;
const TS = 5;
const OTHER = 6;
// Value types.
const STR = 1;
const NUM = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;
// String and number flags.
const ESC = 1;
const NONASCII = 2;
const EXP = 4;

/** Four hex digits at b[k], or -1. */
function hex4(b: Buffer, k: number): number {
  const a = hexVal(b[k]!);
  const c = hexVal(b[k + 1]!);
  const d = hexVal(b[k + 2]!);
  const e = hexVal(b[k + 3]!);
  return (a | c | d | e) < 0 ? -1 : (a << 12) | (c << 8) | (d << 4) | e;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
