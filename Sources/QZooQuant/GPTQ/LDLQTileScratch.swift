/// Per-thread lane buffers of one row tile (`T.tileLanes` values each), kept in L1 between the
/// vector steps of the LDLQ loops; lanes past the last row stay 0.
struct LDLQTileScratch<T: LDLQScalar> {
    let memory: UnsafeMutablePointer<T>
    static var buffers: Int { 7 }

    init() {
        memory = .allocate(capacity: Self.buffers * T.tileLanes)
        memory.initialize(repeating: 0, count: Self.buffers * T.tileLanes)
    }

    func deallocate() { memory.deallocate() }

    /// The weight being rounded, with its pending feedback.
    var pending: UnsafeMutablePointer<T> { memory }
    /// The original weight (for `δ = w − q`), or the block rounder's result.
    var original: UnsafeMutablePointer<T> { memory + T.tileLanes }
    var scale: UnsafeMutablePointer<T> { memory + 2 * T.tileLanes }
    var zero: UnsafeMutablePointer<T> { memory + 3 * T.tileLanes }
    var code: UnsafeMutablePointer<T> { memory + 4 * T.tileLanes }
    var errorEnergy: UnsafeMutablePointer<T> { memory + 5 * T.tileLanes }
    var deltaEnergy: UnsafeMutablePointer<T> { memory + 6 * T.tileLanes }

    /// Zeros the value lanes past the last row (`valid` rows in this tile), which an earlier,
    /// fuller tile may have left behind.
    func clearLanes(after valid: Int) {
        guard valid < T.tileLanes else { return }
        for buffer in [pending, original, code] { (buffer + valid).update(repeating: 0, count: T.tileLanes - valid) }
    }

    /// Sets the energy sums to 0 (at the start of a tile's lazy block).
    func resetEnergy() {
        errorEnergy.update(repeating: 0, count: 2 * T.tileLanes)
    }

    /// The energy sums, lane by lane into float64.
    func energy() -> (scaledError: Double, delta: Double) {
        var error = 0.0, delta = 0.0
        for i in 0..<T.tileLanes {
            error += Double(errorEnergy[i])
            delta += Double(deltaEnergy[i])
        }
        return (error, delta)
    }
}
