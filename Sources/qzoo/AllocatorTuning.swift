import CMalloc

/// glibc's allocator settings for qzoo's pattern of work: sequential calibration allocates and
/// frees megabytes of activations per batch and site, thousands of times per run. By default
/// glibc hands such blocks back to the kernel (`mmap`/`munmap` above a moving threshold, heap
/// trimming, one arena per thread), and every reuse then faults in freshly zeroed pages: a
/// quarter to a third of a QuIP# run went to the kernel. Keeping freed memory in the process
/// (one arena, blocks up to 32 MiB from the heap, no trimming) cuts that to a few percent; the
/// cost is that the process keeps its peak footprint until it exits, which a command-line run
/// does soon after.
enum AllocatorTuning {
    static func keepFreedMemory() {
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        _ = mallopt(M_ARENA_MAX, 1)
    }
}
