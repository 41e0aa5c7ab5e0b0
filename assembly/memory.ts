// Buffers for the loader. The minimal runtime's TLSF allocator really frees, so repeated
// calls reuse the same pages instead of growing memory. Blocks are 16-byte aligned.

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
