import Testing
@testable import QZooMath

struct ParallelMapTests {
    /// Tasks start by decreasing cost, results come back in index order, and each task sees
    /// single-threaded BLAS. (The thread count is process-wide and other tests may be inside
    /// such a scope too, so the restore is not checked here.)
    @Test func largestFirstKeepsIndexOrderAndRunsBLASSingleThreaded() throws {
        let costs: [Double] = [3, 9, 1, 9, 5, 0, 7]
        #expect(largestFirst(count: costs.count, cost: { costs[$0] }) == [1, 3, 6, 4, 0, 2, 5])
        let results = try parallelMapLargestFirst(count: costs.count, cost: { costs[$0] }) { index in
            (index * index, BLAS.threadCount)
        }
        #expect(results.map(\.0) == costs.indices.map { $0 * $0 })
        #expect(results.allSatisfy { $0.1 == 1 })
    }
}
