/**
 * PostgreSQL prints jsonb as `{"a": 1, "bb": [true, null]}`: keys sorted by
 * length, then by bytes; one space after each `,` and `:`; strings escaped
 * as JSON.stringify escapes them; numbers as numeric prints them. RFC 8785
 * wants no spaces, keys in UTF-16 order and ES number forms. For the common
 * value (ASCII keys that happen to be in both orders, integers of up to 15
 * digits) the two differ only by those spaces, so the canonical form is the
 * jsonb text with them left out, written byte by byte without parsing into
 * objects.
 *
 * writeJsonbCanonical returns -1 for anything else (a key out of UTF-16
 * order, a key with an escape or a non-ASCII byte, any other number, a
 * separator it did not expect), and the caller takes the slow path:
 * canonicalJson(JSON.parse(text)). It never writes a wrong form it
 * believes right: what it accepts is byte for byte what canonicalJson
 * prints (a property test holds them equal).
 */
export function writeJsonbCanonical(out: Buffer, p: number, src: Buffer, at: number, end: number): number {
  const r = new JsonbReader(out, p, src, end);
  const i = r.value(at);
  return i === end ? r.p : -1;
}

class JsonbReader {
  constructor(
    readonly out: Buffer,
    public p: number,
    readonly src: Buffer,
    readonly end: number,
  ) {}

  /** Copy one value starting at `i`; the index after it, or -1. */
  value(i: number): number {
    if (i >= this.end) return -1;
    const c = this.src[i];
    if (c === 0x22) return this.string(i, false);
    if (c === 0x7b) return this.object(i);
    if (c === 0x5b) return this.array(i);
    if (c === 0x74) return this.word(i, 'true');
    if (c === 0x66) return this.word(i, 'false');
    if (c === 0x6e) return this.word(i, 'null');
    return this.number(i);
  }

  private object(i: number): number {
    const { src, out } = this;
    out[this.p++] = 0x7b;
    i++;
    if (src[i] === 0x7d) {
      out[this.p++] = 0x7d;
      return i + 1;
    }
    let prevAt = -1;
    let prevEnd = -1;
    for (;;) {
      const keyAt = i;
      i = this.string(i, true);
      if (i < 0) return -1;
      // Keys must already be in UTF-16 order (for plain ASCII, byte order): compare what is between the quotes.
      if (prevAt >= 0 && src.compare(src, prevAt, prevEnd, keyAt + 1, i - 1) <= 0) return -1;
      prevAt = keyAt + 1;
      prevEnd = i - 1;
      if (i + 1 >= this.end || src[i] !== 0x3a || src[i + 1] !== 0x20) return -1;
      out[this.p++] = 0x3a;
      i = this.after(this.value(i + 2), 0x7d);
      if (i < 0 || this.closed) return i;
    }
  }

  private array(i: number): number {
    const { src, out } = this;
    out[this.p++] = 0x5b;
    i++;
    if (src[i] === 0x5d) {
      out[this.p++] = 0x5d;
      return i + 1;
    }
    for (;;) {
      i = this.after(this.value(i), 0x5d);
      if (i < 0 || this.closed) return i;
    }
  }

  /** Whether the last `after` met the closing bracket. */
  private closed = false;

  /**
   * What follows an item that ended at `i` (-1: it failed): the closing
   * bracket, written, and the index after it (`closed` set); or jsonb's `, `,
   * written as `,`, and the next item's index; -1 for anything else.
   */
  private after(i: number, close: number): number {
    const { src, out, end } = this;
    this.closed = false;
    if (i < 0 || i >= end) return -1;
    if (src[i] === close) {
      out[this.p++] = close;
      this.closed = true;
      return i + 1;
    }
    if (i + 1 >= end || src[i] !== 0x2c || src[i + 1] !== 0x20) return -1;
    out[this.p++] = 0x2c;
    return i + 2;
  }

  /**
   * Copy a string as printed (PostgreSQL escapes exactly the characters
   * JSON.stringify escapes, the same way). A key must be plain printable
   * ASCII without escapes, so that its bytes order as its UTF-16 units do.
   */
  private string(i: number, key: boolean): number {
    const { src, out, end } = this;
    out[this.p++] = 0x22;
    i++;
    while (i < end) {
      const c = src[i];
      if (c === 0x22) {
        out[this.p++] = 0x22;
        return i + 1;
      }
      if (key && (c < 0x20 || c > 0x7e || c === 0x5c)) return -1;
      if (c === 0x5c) {
        // An escape: copy it and the character it escapes, so an escaped quote does not end the string.
        out[this.p++] = c;
        i++;
        if (i >= end) return -1;
      }
      out[this.p++] = src[i];
      i++;
    }
    return -1;
  }

  private word(i: number, w: 'true' | 'false' | 'null'): number {
    for (let k = 0; k < w.length; k++) {
      if (this.src[i + k] !== w.charCodeAt(k)) return -1;
      this.out[this.p++] = w.charCodeAt(k);
    }
    return i + w.length;
  }

  /** Only an integer of at most 15 digits (no leading zero, no -0) prints the same in numeric and in ES. */
  private number(i: number): number {
    const { src, out, end } = this;
    let j = i;
    if (src[j] === 0x2d) j++;
    const first = j;
    while (j < end && src[j] >= 0x30 && src[j] <= 0x39) j++;
    const digits = j - first;
    if (digits === 0 || digits > 15) return -1;
    if (src[first] === 0x30 && (digits > 1 || first > i)) return -1;
    if (j < end && (src[j] === 0x2e || src[j] === 0x65 || src[j] === 0x45)) return -1;
    for (let k = i; k < j; k++) out[this.p++] = src[k];
    return j;
  }
}
