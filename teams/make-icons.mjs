// Draws the Teams app icons (no downloads): color.png 192x192 (white key on the accent colour) and
// outline.png 32x32 (white key on transparent, as Teams requires). Run: node teams/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const ACCENT = [0x2b, 0x57, 0x97];

/** Coverage of the key glyph at (x, y) in the unit square: ring, shaft, two teeth. */
function inKey(x, y) {
  const dx = x - 0.33;
  const dy = y - 0.5;
  const r = Math.hypot(dx, dy);
  const ring = r <= 0.19 && r >= 0.085;
  const shaft = x >= 0.5 && x <= 0.84 && y >= 0.455 && y <= 0.545;
  const tooth1 = x >= 0.68 && x <= 0.74 && y >= 0.545 && y <= 0.65;
  const tooth2 = x >= 0.78 && x <= 0.84 && y >= 0.545 && y <= 0.69;
  return ring || shaft || tooth1 || tooth2;
}

/** Antialiased by 4x4 supersampling. */
function coverage(px, py, size) {
  let hits = 0;
  for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (inKey((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size)) hits++;
  return hits / 16;
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 4 + 1) + 1 + x * 4);
  }
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const here = new URL('.', import.meta.url);
writeFileSync(
  new URL('color.png', here),
  png(192, (x, y) => {
    const c = coverage(x, y, 192);
    return [...ACCENT.map((v) => Math.round(v + (255 - v) * c)), 255];
  }),
);
writeFileSync(new URL('outline.png', here), png(32, (x, y) => [255, 255, 255, Math.round(255 * coverage(x, y, 32))]));
