import Dispatch
import Glibc

/// `body(0) … body(count − 1)` on all cores, results in index order.
///
/// Tensors quantize independently, so a checkpoint's weights can be spread over cores without
/// changing any result; the output is the same bytes whatever the scheduling. When several
/// calls throw, the error of the lowest index is rethrown, so failures are deterministic too.
public func parallelMap<T>(count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    let slots = ResultSlots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { index in
        slots.store(Result { try body(index) }, at: index)
    }
    return try slots.values()
}

/// `first()` and `second()` side by side: two independent steps of one computation. When both
/// throw, `first`'s error is rethrown.
public func parallelPair<A, B>(_ first: @Sendable () throws -> A, _ second: @Sendable () throws -> B) throws -> (A, B) {
    let (a, b) = (ResultSlots<A>(count: 1), ResultSlots<B>(count: 1))
    DispatchQueue.concurrentPerform(iterations: 2) { index in
        if index == 0 { a.store(Result { try first() }, at: 0) } else { b.store(Result { try second() }, at: 0) }
    }
    let firstValue = try a.values()[0]
    return (firstValue, try b.values()[0])
}

/// `0 ..< count` in `parts` consecutive ranges, range `p` being `p·count/parts ..< (p+1)·count/parts`:
/// how a matrix whose rows are independent is split between the cores. `parts` is capped at
/// `count`, and below 1 counts as 1.
public func rowPartRanges(count: Int, parts: Int) -> [Range<Int>] {
    let parts = max(1, min(parts, count))
    return (0..<parts).map { part in part * count / parts ..< (part + 1) * count / parts }
}

/// Below this many rows (of a few hundred values each) a pass over a matrix's elements stays on
/// one core: handing half the rows to another thread costs more than it saves.
public let elementwiseRowsWorthSplitting = 256

/// The row-major `n × n` matrix whose row `r` `fill(r, row)` writes, its rows in two parts side
/// by side from `elementwiseRowsWorthSplitting` rows on: the element-wise passes over a Hessian
/// that sit between calibration and rounding, where nothing else keeps the other core busy.
/// One call per row, so the caller's loop over the columns stays a plain loop.
public func squareMatrix<T: BinaryFloatingPoint & SendableMetatype>(_ n: Int, fill: @Sendable (Int, UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
    [T](unsafeUninitializedCapacity: n * n) { out, initialized in
        nonisolated(unsafe) let out = out
        forEachRowPart(count: n, parts: n >= elementwiseRowsWorthSplitting ? 2 : 1) { rows in
            for r in rows { fill(r, UnsafeMutableBufferPointer(rebasing: out[r * n ..< (r + 1) * n])) }
        }
        initialized = n * n
    }
}

/// `body` on each of `rowPartRanges(count:parts:)` side by side.
public func forEachRowPart(count: Int, parts: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let ranges = rowPartRanges(count: count, parts: parts)
    DispatchQueue.concurrentPerform(iterations: ranges.count) { body(ranges[$0]) }
}

/// `parallelMap` for independent BLAS-heavy tasks of unequal size (the weights of a model):
/// started largest `cost` first so the cores finish together, each task with single-threaded
/// BLAS when there are several (one task per core beats OpenBLAS pools contending for the same
/// cores). A single task keeps every BLAS thread. Results in index order.
///
/// Tasks that run side by side get one core each: libdispatch runs a `concurrentPerform`
/// inside another on the calling thread alone. So the tasks that cannot fill the cores (the
/// smallest `count % cores` when there are more tasks than cores: QuIP#'s q, k and v on two
/// cores leave one) run after the others, one at a time with every core for their own
/// parallel steps, instead of beside an idle core.
public func parallelMapLargestFirst<T>(count: Int, cost: (Int) -> Double, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    guard count > 1 else { return try parallelMap(count: count, body) }
    let order = largestFirst(count: count, cost: cost)
    let sideBySide = count <= parallelCores ? count : count - count % parallelCores
    let results = try BLAS.singleThreaded { try parallelMap(count: sideBySide) { try body(order[$0]) } }
        + order[sideBySide...].map { try body($0) }
    var inOrder = results
    for (position, index) in order.enumerated() { inOrder[index] = results[position] }
    return inOrder
}

/// The cores `parallelMapLargestFirst` spreads tasks over.
let parallelCores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// `0 ..< count` by decreasing `cost`, ties in index order.
func largestFirst(count: Int, cost: (Int) -> Double) -> [Int] {
    (0..<count).sorted { cost($0) > cost($1) || (cost($0) == cost($1) && $0 < $1) }
}

/// Preallocated result storage: iteration `i` writes only slot `i`, and slots are read only
/// after `concurrentPerform` has returned, so no lock is needed.
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<T, any Error>>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: .failure(NotRun()), count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ result: Result<T, any Error>, at index: Int) {
        slots[index] = result
    }

    func values() throws -> [T] {
        try (0..<count).map { try slots[$0].get() }
    }

    /// What a slot holds until its iteration stores a result (never seen after a full run).
    private struct NotRun: Error {}
}
