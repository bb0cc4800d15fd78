import QZooCore

/// Dense tensors from and to Swift arrays of fixed-width values (little-endian, as `Tensor`
/// stores them), for the float64 and int64 tensors calibration files hold.
enum PlainTensor {
    static func make<V: BitwiseCopyable>(_ dtype: DType, shape: [Int], _ values: [V]) throws -> Tensor {
        let storage = values.withUnsafeBytes { raw in
            ByteStorage.make(count: raw.count) { $0.copyMemory(from: raw) }
        }
        return try Tensor(dtype: dtype, shape: shape, storage: storage)
    }

    /// The elements of an i64 tensor.
    static func int64s(_ tensor: Tensor) -> [Int64] {
        guard tensor.dtype == .i64 else { return [] }
        return tensor.withBytes { raw in
            (0..<tensor.elementCount).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }

    /// The elements of a floating-point tensor as float64 (exact for f64, widened otherwise).
    static func doubles(_ tensor: Tensor) throws -> [Double] {
        if tensor.dtype == .f64 {
            return tensor.withBytes { raw in
                (0..<tensor.elementCount).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
        }
        guard tensor.dtype.isFloatingPoint else {
            throw QZooError.malformed("has dtype \(tensor.dtype.rawValue); expected a floating-point type")
        }
        return tensor.floats().map(Double.init)
    }
}
