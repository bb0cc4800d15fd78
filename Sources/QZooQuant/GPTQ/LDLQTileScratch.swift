/// Per-thread buffers of one row tile (`T.tileLanes` rows) over `columns` columns, column by
/// column (`columns × tileLanes`), so the LDLQ loops' vector steps read and write L1/L2-resident
/// contiguous lanes instead of striding through row-major matrices. Lanes past the last row are 0.
struct LDLQTileScratch<T: LDLQScalar> {
    let columns: Int
    let memory: UnsafeMutablePointer<T>
    /// Codes of the tile, `columns × tileLanes`.
    let codeBytes: UnsafeMutablePointer<UInt8>

    init(columns: Int) {
        self.columns = columns
        let count = (3 * columns + 5) * T.tileLanes
        memory = .allocate(capacity: count)
        memory.initialize(repeating: 0, count: count)
        codeBytes = .allocate(capacity: columns * T.tileLanes)
        codeBytes.initialize(repeating: 0, count: columns * T.tileLanes)
    }

    func deallocate() {
        memory.deallocate()
        codeBytes.deallocate()
    }

    /// The weight being rounded, with its pending feedback.
    var pending: UnsafeMutablePointer<T> { memory }
    /// The original weight (for `‖Ŵ − W‖²`), then the residual `W − Ŵ` once rounded.
    var original: UnsafeMutablePointer<T> { memory + columns * T.tileLanes }
    /// The negated scaled errors.
    var errors: UnsafeMutablePointer<T> { memory + 2 * columns * T.tileLanes }
    /// Lanes of one column: its grid values, and the energy sums over the lazy block.
    var code: UnsafeMutablePointer<T> { memory + 3 * columns * T.tileLanes }
    var scale: UnsafeMutablePointer<T> { code + T.tileLanes }
    var zero: UnsafeMutablePointer<T> { code + 2 * T.tileLanes }
    var errorEnergy: UnsafeMutablePointer<T> { code + 3 * T.tileLanes }
    var deltaEnergy: UnsafeMutablePointer<T> { code + 4 * T.tileLanes }

    /// Zeros the value lanes past the last row (`valid` rows in this tile), which an earlier,
    /// fuller tile may have left behind.
    func clearLanes(after valid: Int) {
        guard valid < T.tileLanes else { return }
        for buffer in [pending, original, errors] {
            for k in 0..<columns { (buffer + k * T.tileLanes + valid).update(repeating: 0, count: T.tileLanes - valid) }
        }
        (code + valid).update(repeating: 0, count: T.tileLanes - valid)
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
