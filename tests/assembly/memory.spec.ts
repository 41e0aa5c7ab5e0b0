import { alloc, free } from "../../assembly/memory";

// alloc/free are what the loader uses for its buffers: 16-byte aligned blocks from the
// TLSF allocator, and a freed block is handed out again for the same size (no growth).
// No managed allocation (expect, strings) happens between a free and the next alloc in
// these tests, so nothing else can take the freed block in between.

describe("alloc / free", () => {
  it("blocks are 16-byte aligned, for many sizes", () => {
    const sizes: StaticArray<i32> = [1, 3, 4, 15, 16, 17, 31, 33, 100, 1000, 4096, 65535, 65536, 1 << 20];
    const ptrs = new StaticArray<usize>(sizes.length);
    for (let i = 0; i < sizes.length; i++) ptrs[i] = alloc(<usize>sizes[i]);
    let misaligned = 0;
    for (let i = 0; i < sizes.length; i++) {
      expect<usize>(ptrs[i]).toBeGreaterThan(0, "null block for size " + sizes[i].toString());
      if (ptrs[i] & 15) misaligned++;
    }
    expect<i32>(misaligned).toBe(0);
    for (let i = 0; i < sizes.length; i++) free(ptrs[i]);
  });

  it("live blocks do not overlap and keep their contents", () => {
    const n = 12;
    const ptrs = new StaticArray<usize>(n);
    for (let i = 0; i < n; i++) {
      let size = <usize>(16 + i * 24);
      ptrs[i] = alloc(size);
      memory.fill(ptrs[i], <u8>(i + 1), size);
    }
    let bad = 0;
    for (let i = 0; i < n; i++) {
      let size = <usize>(16 + i * 24);
      for (let b: usize = 0; b < size; b++) if (load<u8>(ptrs[i] + b) != <u8>(i + 1)) bad++;
      for (let j = 0; j < n; j++) {
        if (i == j) continue;
        let sj = <usize>(16 + j * 24);
        if (ptrs[i] < ptrs[j] + sj && ptrs[j] < ptrs[i] + size) bad++;
      }
    }
    expect<i32>(bad).toBe(0);
    for (let i = 0; i < n; i++) free(ptrs[i]);
  });

  it("alloc, free, alloc the same size: the same block comes back", () => {
    const sizes: StaticArray<i32> = [4, 64, 1000, 4096, 100000, 3 << 20];
    for (let i = 0; i < sizes.length; i++) {
      let size = <usize>sizes[i];
      let a = alloc(size);
      free(a);
      let b = alloc(size);
      expect<usize>(b).toBe(a, "size " + size.toString());
      free(b);
    }
  });

  it("repeated alloc/free cycles do not grow memory", () => {
    // Warm up once so that any growth happens before the measurement.
    let sz = <usize>(2 << 20);
    let w1 = alloc(sz), w2 = alloc(sz >> 1);
    free(w2); free(w1);
    let pages = memory.size();
    let first: usize = 0, same = 0;
    for (let k = 0; k < 50; k++) {
      let a = alloc(sz), b = alloc(sz >> 1);
      if (k == 0) first = a;
      if (a == first) same++;
      free(b); free(a);
    }
    expect<i32>(memory.size()).toBe(pages);
    expect<i32>(same).toBe(50);
  });
});
