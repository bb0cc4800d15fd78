import Dispatch

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
