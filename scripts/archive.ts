// Release archives with no tool outside Bun: a gzipped ustar tarball and a deflate zip, byte-reproducible (fixed times, owners, order).
import { deflateRawSync, gzipSync } from "node:zlib";

/** One file to put in an archive. */
export interface ArchiveEntry {
  /** Path inside the archive, `/`-separated, at most 100 bytes (ustar's name field). */
  name: string;
  data: Uint8Array;
  /** Unix permission bits, e.g. 0o755 for an executable. */
  mode: number;
}

const enc = new TextEncoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function tarHeader(e: ArchiveEntry): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, text: string) => h.set(enc.encode(text), offset);
  const name = enc.encode(e.name);
  if (name.length > 100) throw new Error(`archive entry name over 100 bytes: ${e.name}`);
  h.set(name, 0);
  put(100, octal(e.mode & 0o7777, 8));
  put(108, octal(0, 8)); // uid
  put(116, octal(0, 8)); // gid
  put(124, octal(e.data.length, 12));
  put(136, octal(0, 12)); // mtime: the epoch, so the same binary gives the same archive
  put(148, "        "); // checksum placeholder: eight spaces while summing
  put(156, "0"); // regular file
  put(257, "ustar\0");
  put(263, "00");
  put(265, "root");
  put(297, "root");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/**
 * The entries as a `.tar.gz` (POSIX ustar). `level` is zlib's 1–9 (9, the default, is what releases
 * use: about 6 s for the 115 MB binary; tests pass 1). Throws an Error for a name over 100 bytes.
 */
export function tarGz(entries: readonly ArchiveEntry[], level: number = 9): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024)); // two zero blocks end the archive
  return gzipSync(Buffer.concat(parts), { level });
}

/**
 * The entries as a `.zip` (deflate at zlib `level` 1–9, default 9; Unix permissions in the external
 * attributes; times at 1980-01-01). Sizes must stay under 4 GiB (no zip64).
 */
export function zip(entries: readonly ArchiveEntry[], level: number = 9): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const e of entries) {
    const name = enc.encode(e.name);
    const packed = deflateRawSync(e.data, { level });
    const crc = Bun.hash.crc32(e.data) >>> 0;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    local.setUint16(6, 0x0800, true); // flags: UTF-8 names
    local.setUint16(8, 8, true); // deflate
    local.setUint16(10, 0, true); // time 00:00
    local.setUint16(12, DOS_DATE, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, packed.length, true);
    local.setUint32(22, e.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, (3 << 8) | 20, true); // made by: Unix, 2.0 (so the mode bits count)
    cd.setUint16(6, 20, true);
    cd.setUint16(8, 0x0800, true);
    cd.setUint16(10, 8, true);
    cd.setUint16(12, 0, true);
    cd.setUint16(14, DOS_DATE, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, packed.length, true);
    cd.setUint32(24, e.data.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint32(38, ((0o100000 | (e.mode & 0o7777)) << 16) >>> 0, true); // regular file + mode
    cd.setUint32(42, offset, true);
    locals.push(new Uint8Array(local.buffer), name, packed);
    central.push(new Uint8Array(cd.buffer), name);
    offset += 30 + name.length + packed.length;
  }
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  return Buffer.concat([...locals, ...central, new Uint8Array(end.buffer)]);
}
