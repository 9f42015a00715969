/**
 * The streaming splitter: finds the top-level JSON values in a file's bytes as they arrive in chunks of any
 * size (one value a line, several a line, or one spread over lines; a value may straddle chunks). A line
 * that does not start a JSON object or array is one value too ("junk": the decoder rejects it). It skips a
 * UTF-8 byte-order mark and the header lines IGNOREHEADER names, and counts lines for messages.
 *
 * A value longer than the maximum is read past, keeping only its head for the message: memory is bounded
 * by the chunk size and that maximum, never by the file's size.
 *
 * What becomes of each value is the subclass's (decode.ts): it may take an object whole at its first byte
 * (the fast path), else it gets each value once it is whole. Subclassing rather than callbacks keeps these
 * calls monomorphic in the hot loop.
 */
export abstract class JsonSplitter {
  /** Set by the subclass to stop reading (more rejects than maxerror: the rest of the file is not needed). */
  stopped = false;

  /** The line the scan is at (1-based). */
  protected line = 1;
  /** The line the current value starts on. */
  protected vLine = 0;

  /** Header lines still to skip (ignoreheader). */
  private skip: number;
  private mode = BETWEEN;
  private atStart = true;
  // The value being scanned: its bytes so far (when it straddles chunks), and whether it is over the maximum.
  private vLen = 0;
  private oversize = false;
  /** wholeObject ran out of bytes on this value: offer it again when whole (rather than it refusing it). */
  private retryWhole = false;
  private carry: Buffer = EMPTY;
  private carryLen = 0;
  private depth = 0;
  private inStr = false;
  private esc = false;

  constructor(
    /** The largest value, in bytes; a longer one goes to `oversize`. */
    protected readonly max: number,
    ignoreHeader: number,
  ) {
    this.skip = ignoreHeader;
  }

  /**
   * An object starts at b[i] (a '{'), with b[i..n) what is at hand: take it whole if possible, returning
   * where it ends (and adding the newlines inside it to `line`); WHOLE_RETRY if b ended before the value
   * did (offer it again once whole); any other negative number to leave it to the scan.
   */
  protected abstract wholeObject(b: Buffer, i: number, n: number): number;
  /** One whole value b[s..e), starting on line vLine; `junk`: a line that is not JSON; `retry`: see wholeObject. */
  protected abstract value(b: Buffer, s: number, e: number, junk: boolean, retry: boolean): void;
  /** A value of `len` bytes, over the maximum; head[s..e) is its start (up to 1 KB of it). */
  protected abstract oversized(len: number, head: Buffer, s: number, e: number): void;
  /** The file ended inside a value that started on line vLine. */
  protected abstract unclosed(): void;

  push(data: Uint8Array): void {
    if (this.stopped || data.length === 0) return;
    let b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.atStart) {
      if (this.carryLen) {
        b = Buffer.concat([this.carry.subarray(0, this.carryLen), b]);
        this.carryLen = 0;
      }
      // A UTF-8 byte-order mark is not data; wait for three bytes to know.
      if (b.length < 3 && b[0] === 0xef && (b.length < 2 || b[1] === 0xbb)) {
        this.keepRaw(b);
        return;
      }
      this.atStart = false;
      this.scanAfterHeader(b, b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0);
      return;
    }
    this.scanAfterHeader(b, 0);
  }

  /** The file is done: a value still open is unclosed, a last line without a newline is a value. */
  end(): void {
    if (this.stopped) return;
    if (this.atStart) {
      this.atStart = false;
      if (this.carryLen) {
        const b = Buffer.from(this.carry.subarray(0, this.carryLen));
        this.carryLen = 0;
        this.scanAfterHeader(b, 0);
      }
    }
    if (this.mode === VALUE) {
      this.unclosed();
    } else if (this.mode === JUNK) {
      if (this.oversize) this.oversized(this.vLen, this.carry, 0, this.carryLen);
      else this.value(this.carry, 0, this.carryLen, true, this.retryWhole);
    }
    this.mode = BETWEEN;
    this.resetCarry();
  }

  /** Scan from i, past what is left of the header lines (ignoreheader), which are read past, never held. */
  private scanAfterHeader(b: Buffer, i: number): void {
    while (this.skip > 0) {
      const nl = b.indexOf(10, i);
      if (nl < 0) return;
      this.line++;
      this.skip--;
      i = nl + 1;
    }
    this.scan(b, i);
  }

  private scan(b: Buffer, i: number): void {
    const n = b.length;
    while (i < n) {
      if (this.stopped) return;
      let fresh = false; // the value starts in b (else it goes on from an earlier chunk)
      if (this.mode === BETWEEN) {
        let c = b[i]!;
        while (c === 32 || c === 10 || c === 13 || c === 9) {
          if (c === 10) this.line++;
          if (++i >= n) return;
          c = b[i]!;
        }
        this.retryWhole = false;
        this.vLine = this.line;
        if (c === 123) {
          const r = this.wholeObject(b, i, n);
          if (r >= 0) {
            i = r;
            continue;
          }
          this.retryWhole = r === WHOLE_RETRY;
        }
        this.vLen = 0;
        this.oversize = false;
        if (c === 123 || c === 91) {
          this.mode = VALUE;
          this.depth = 0;
          this.inStr = false;
          this.esc = false;
        } else this.mode = JUNK;
        fresh = true;
      }
      // The rest of a value (or of a line that is not JSON): find its end.
      const end = this.mode === VALUE ? this.scanValue(b, i, n) : b.indexOf(10, i);
      const junk = this.mode === JUNK;
      if (end < 0) {
        this.keep(b, i, n);
        return;
      }
      if (fresh) {
        // Whole in this chunk: handed on in place.
        if (end - i > this.max) this.oversized(end - i, b, i, end);
        else this.value(b, i, end, junk, this.retryWhole);
      } else {
        this.keep(b, i, end);
        if (this.oversize) this.oversized(this.vLen, this.carry, 0, this.carryLen);
        else this.value(this.carry, 0, this.carryLen, junk, this.retryWhole);
        this.resetCarry();
      }
      this.mode = BETWEEN;
      i = end;
    }
  }

  /** Scan on from b[i] for the end of the value; -1 when b ends first (the state carries over). */
  private scanValue(b: Buffer, i: number, n: number): number {
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    let line = this.line;
    let end = -1;
    for (; i < n; i++) {
      const c = b[i]!;
      if (inStr) {
        if (esc) esc = false; // the escaped character, whatever it is (an escaped newline is not counted)
        else if (c === 92) esc = true;
        else if (c === 34) inStr = false;
        else if (c === 10) line++;
      } else if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth === 0) {
          end = i + 1;
          break;
        }
      } else if (c === 10) line++;
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    this.line = line;
    return end;
  }

  /** Hold b[s..e) of a value that straddles chunks; past the maximum size keep only its head (for the message). */
  private keep(b: Buffer, s: number, e: number): void {
    this.vLen += e - s;
    if (this.oversize) return;
    if (this.vLen > this.max) {
      this.oversize = true;
      e = Math.min(e, s + Math.max(0, 1024 - this.carryLen));
    }
    this.keepRaw(b.subarray(s, e));
  }

  private keepRaw(b: Uint8Array): void {
    if (this.carryLen + b.length > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLen + b.length, 65536));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    this.carry.set(b, this.carryLen);
    this.carryLen += b.length;
  }

  private resetCarry(): void {
    this.carryLen = 0;
    this.vLen = 0;
    this.oversize = false;
    if (this.carry.length > 8 * 1024 * 1024) this.carry = EMPTY; // a large value passed: give its memory back
  }
}

/** wholeObject's answer when the bytes at hand ended before the object did. */
export const WHOLE_RETRY = -2;

const BETWEEN = 0;
const VALUE = 1;
const JUNK = 2;

const EMPTY = Buffer.alloc(0);
