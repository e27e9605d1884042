#if canImport(Glibc)
import Glibc
#endif

/// The allocator's policy for a process that makes many large, short-lived buffers (a batch of
/// impulse responses: arrival grids of megabytes, transforms, band signals).
///
/// glibc's malloc returns freed memory at the top of a heap to the kernel once more than
/// M_TRIM_THRESHOLD (128 KiB by default) is free, and serves blocks from M_MMAP_THRESHOLD up by a
/// fresh mapping; either way the next buffer of that size comes back as new pages, zeroed by the
/// kernel one page fault at a time (mallopt(3)). Keeping up to `retainedBytes` and growing heaps in
/// steps of `padBytes` lets the next scene reuse the pages. Only the allocator's bookkeeping
/// changes; no result does.
public enum ProcessMemory {
    public static func keepFreedPages(retainedBytes: Int32 = 1 << 30, padBytes: Int32 = 64 << 20, mapFromBytes: Int32 = 32 << 20) {
        #if canImport(Glibc)
        // mallopt(3) is not in the Glibc module; it is looked up in the C library itself.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        // <malloc.h>: M_TRIM_THRESHOLD −1, M_TOP_PAD −2, M_MMAP_THRESHOLD −3 (not all imported into Swift).
        _ = mallopt(-1, retainedBytes)
        _ = mallopt(-2, padBytes)
        _ = mallopt(-3, mapFromBytes) // the largest glibc accepts on 64-bit systems
        #endif
    }
}
