// The demo page (web/, `npm run demo:web`) in headless Chromium, used as a person would: it
// loads the sample photograph, shows SoftPool, max and average pooling at the expected sizes,
// reacts to kernel/stride, to dragging the beta slider (only SoftPool changes, towards max
// pooling), to a picked file and to a dropped file. Saves a screenshot to out/demo-web.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { openSession, ROOT, type Session } from './chromium.ts';

const SCREENSHOT = path.join(ROOT, 'out', 'demo-web.png');
const NAMES = ['softpool', 'maxpool', 'avgpool'] as const;
let s: Session;

before(async () => {
  s = await openSession(['web', 'dist', 'build', 'assets'], { width: 1280, height: 800 });
});
after(async () => {
  await s?.close();
});

/** A PNG of the given size with a colour gradient and a checkerboard. */
function makePng(width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      const check = ((x >> 2) + (y >> 2)) & 1;
      png.data[i] = Math.round((255 * x) / Math.max(1, width - 1));
      png.data[i + 1] = Math.round((255 * y) / Math.max(1, height - 1));
      png.data[i + 2] = check ? 230 : 20;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

interface Canvases {
  renders: number;
  sizes: Record<string, [number, number]>;
  hashes: Record<string, number>;
  /** mean |SoftPool - max pooling| over all bytes */
  softToMax: number;
  times: string[];
}

async function canvases(): Promise<Canvases> {
  return s.page.evaluate((names) => {
    const out: Canvases = { renders: Number(document.body.dataset.renders), sizes: {}, hashes: {}, softToMax: NaN, times: [] };
    const data: Record<string, Uint8ClampedArray> = {};
    for (const n of names) {
      const c = document.getElementById(n) as HTMLCanvasElement;
      out.sizes[n] = [c.width, c.height];
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      data[n] = d;
      let h = 0x811c9dc5;
      for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 0x01000193) >>> 0;
      out.hashes[n] = h;
      out.times.push(document.getElementById(`${n}-time`)!.textContent ?? '');
    }
    let sum = 0;
    for (let i = 0; i < data.softpool.length; i++) sum += Math.abs(data.softpool[i] - data.maxpool[i]);
    out.softToMax = sum / data.softpool.length;
    return out;
  }, NAMES);
}

/** Waits until the page has rendered more than `renders` times and is idle. */
async function rendered(renders: number): Promise<Canvases> {
  await s.page.waitForFunction((n) => Number(document.body.dataset.renders) > n && document.body.dataset.state === 'ready', renders);
  return canvases();
}

function assertSizes(c: Canvases, w: number, h: number): void {
  for (const n of NAMES) assert.deepEqual(c.sizes[n], [w, h], `${n} canvas is ${w}x${h}`);
}

describe('demo page (web/) in headless Chromium', () => {
  let last: Canvases;

  it('loads the sample photograph and shows the three 2x2 poolings (256x256) with times and the build', async () => {
    await s.page.goto(`${s.base}web/`);
    last = await rendered(0);
    assert.equal(await s.page.textContent('#backend'), 'relaxed');
    assert.match(await s.page.textContent('#input-info') ?? '', /astronaut\.png: 512×512/);
    assertSizes(last, 256, 256);
    for (const t of last.times) assert.match(t, /^[\d.]+ ms · [\d.]+ [MG] elements\/s$/);
    assert.notEqual(last.hashes.softpool, last.hashes.maxpool);
    assert.notEqual(last.hashes.softpool, last.hashes.avgpool);
  });

  it('kernel 4 (stride = kernel) gives 128x128; kernel 3 stride 2 gives 255x255', async () => {
    await s.page.selectOption('#kernel', '3');
    await s.page.selectOption('#stride', '2');
    last = await rendered(last.renders);
    assertSizes(last, 255, 255);
    await s.page.selectOption('#kernel', '4');
    await s.page.selectOption('#stride', '0');
    last = await rendered(last.renders);
    assertSizes(last, 128, 128);
  });

  it('dragging the beta slider changes SoftPool only, and moves it towards max pooling', async () => {
    const slider = s.page.locator('#beta');
    const box = (await slider.boundingBox())!;
    const xAt = (beta: number) => box.x + 8 + ((box.width - 16) * (beta + 20)) / 80; // min -20, max 60
    const y = box.y + box.height / 2;
    await s.page.mouse.move(xAt(1), y);
    await s.page.mouse.down();
    await s.page.mouse.move(xAt(10), y, { steps: 4 });
    await s.page.mouse.move(xAt(20), y, { steps: 4 });
    await s.page.mouse.up();
    const beta = Number(await slider.inputValue());
    assert.ok(beta >= 15 && beta <= 25, `beta is ${beta} after the drag`);
    const now = await rendered(last.renders);
    assert.equal(await s.page.textContent('#beta-value'), beta.toFixed(1));
    assertSizes(now, 128, 128);
    assert.notEqual(now.hashes.softpool, last.hashes.softpool, 'SoftPool output changed');
    assert.equal(now.hashes.maxpool, last.hashes.maxpool, 'max pooling unchanged');
    assert.equal(now.hashes.avgpool, last.hashes.avgpool, 'average pooling unchanged');
    assert.ok(now.softToMax < last.softToMax / 2, `closer to max pooling: ${now.softToMax} vs ${last.softToMax}`);
    last = now;
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await s.page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('a picked file (37x23 PNG) is pooled: 9x5 outputs with kernel 4', async () => {
    await s.page.setInputFiles('#file', { name: 'gradient.png', mimeType: 'image/png', buffer: makePng(37, 23) });
    last = await rendered(last.renders);
    assertSizes(last, 9, 5);
    assert.match(await s.page.textContent('#input-info') ?? '', /gradient\.png: 37×23/);
  });

  it('a dropped file (20x30 PNG) is pooled: 5x7 outputs with kernel 4', async () => {
    const bytes = [...makePng(20, 30)];
    await s.page.evaluate((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'dropped.png', { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        document.querySelector('main')!.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    }, bytes);
    last = await rendered(last.renders);
    assertSizes(last, 5, 7);
    assert.match(await s.page.textContent('#input-info') ?? '', /dropped\.png: 20×30/);
    assert.equal(await s.page.isHidden('#drop-overlay'), true);
  });

  it('?backend=scalar loads the scalar build and renders the same sizes', async () => {
    await s.page.goto(`${s.base}web/?backend=scalar`);
    const c = await rendered(0);
    assert.equal(await s.page.textContent('#backend'), 'scalar');
    assertSizes(c, 256, 256);
  });

  it('no page errors, nothing fetched from outside 127.0.0.1', () => {
    assert.deepEqual(s.pageErrors, []);
    assert.deepEqual(s.outside, []);
  });
});
