import Dispatch
import Synchronization
import Testing
@testable import QZooMath

struct ParallelMapTests {
    /// Tasks start by decreasing cost, results come back in index order, and each task that
    /// runs beside others sees single-threaded BLAS. (The thread count is process-wide and other
    /// tests may be inside such a scope too, so neither the restore nor the count a task alone
    /// sees is checked here.)
    @Test func largestFirstKeepsIndexOrderAndRunsBLASSingleThreaded() throws {
        let costs: [Double] = [3, 9, 1, 9, 5, 0, 7]
        let order = largestFirst(count: costs.count, cost: { costs[$0] })
        #expect(order == [1, 3, 6, 4, 0, 2, 5])
        let results = try parallelMapLargestFirst(count: costs.count, cost: { costs[$0] }) { index in
            (index * index, BLAS.threadCount)
        }
        #expect(results.map(\.0) == costs.indices.map { $0 * $0 })
        let sideBySide = order.prefix(costs.count <= parallelCores ? costs.count : costs.count - costs.count % parallelCores)
        #expect(sideBySide.allSatisfy { results[$0].1 == 1 })
    }

    /// With one task more than there are cores, the cheapest runs after the others, alone: a
    /// `parallelMap` inside it really runs its iterations side by side (each waits until the
    /// other has started; nested in the side-by-side map they would run one after the other
    /// on one thread, and the first would wait in vain). The others' results are unaffected.
    @Test(.enabled(if: parallelCores >= 2))
    func theTaskThatCannotFillTheCoresRunsAloneWithEveryCore() throws {
        let count = parallelCores + 1
        let results = try parallelMapLargestFirst(count: count, cost: { Double(count - $0) }) { index -> Bool? in
            guard index == count - 1 else { return nil }
            let started = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
            return try parallelMap(count: 2) { side in
                started[side].signal()
                return started[1 - side].wait(timeout: .now() + 30) == .success
            }.allSatisfy { $0 }
        }
        #expect(results == Array(repeating: nil, count: count - 1) + [true])
    }

    /// Both results come back, each from its own closure; when both throw, the first's error is
    /// the one rethrown, whichever finished first.
    @Test func parallelPairReturnsBothAndRethrowsTheFirstError() throws {
        let (a, b) = try parallelPair({ (0..<1000).reduce(0, +) }, { "second" })
        #expect(a == 499_500 && b == "second")
        struct Failure: Error, Equatable { let which: Int }
        #expect(throws: Failure(which: 1)) { try parallelPair({ () throws -> Int in throw Failure(which: 1) }, { () throws -> Int in throw Failure(which: 2) }) }
        #expect(throws: Failure(which: 2)) { try parallelPair({ 1 }, { () throws -> Int in throw Failure(which: 2) }) }
    }

    /// The parts cover `0 ..< count` exactly once, in consecutive ranges, whatever the part count
    /// asked for (none, more than the rows, or a count of 0).
    @Test(arguments: [(0, 2), (1, 2), (5, 1), (5, 2), (7, 3), (3, 8), (1536, 2), (10, 0)])
    func rowPartsCoverEveryRowOnce(count: Int, parts: Int) {
        let seen = Mutex<[Range<Int>]>([])
        forEachRowPart(count: count, parts: parts) { range in seen.withLock { $0.append(range) } }
        let ranges = seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.count == max(1, min(parts, count)))
        #expect(ranges.flatMap { Array($0) } == Array(0..<count))
        #expect(ranges == rowPartRanges(count: count, parts: parts))
    }

    /// Each entry is the float32 sum of the parts in order, widened, times the scale; mirrored
    /// parts are read above the diagonal only (what lies below is ignored) and give an exactly
    /// symmetric matrix. 300 and 264 rows take the two-core path (with and without a partial
    /// 8 × 8 tile at the edge), 5 the one-core path; parts shorter than n × n give nothing.
    @Test(arguments: [5, 264, 300])
    func widenedSumAddsThePartsInOrder(n: Int) {
        let parts: [[Float]] = (0..<3).map { part in
            (0..<n * n).map { index -> Float in
                let spread: Int = (index &* 7919 &+ part &* 104_729) % 2001
                return Float(spread - 1000) / 997
            }
        }
        let plain = widenedSum(parts, n: n, scale: 0.25, mirroringUpper: false)
        let mirrored = widenedSum(parts, n: n, scale: 0.25, mirroringUpper: true)
        for r in 0..<n {
            for c in 0..<n {
                let entry = r * n + c, upper = min(r, c) * n + max(r, c)
                #expect(plain[entry] == Double(parts[0][entry] + parts[1][entry] + parts[2][entry]) * 0.25)
                #expect(mirrored[entry] == Double(parts[0][upper] + parts[1][upper] + parts[2][upper]) * 0.25)
            }
        }
        #expect(widenedSum([parts[0], [1, 2]], n: n, scale: 1, mirroringUpper: false).isEmpty)
        #expect(widenedSum([], n: n, scale: 1, mirroringUpper: true).isEmpty)
    }
}
