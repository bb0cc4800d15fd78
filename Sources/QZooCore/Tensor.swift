/// A typed, shaped view of little-endian, C-order bytes.
///
/// The bytes may be a slice of a memory-mapped file; nothing is copied until a caller converts
/// (`floats()`, `converted(to:)`). Invariant: `byteCount == shape product × dtype.byteSize`,
/// established by the only public initialiser, which validates it.
public struct Tensor: Sendable {
    public let dtype: DType
    public let shape: [Int]
    let storage: ByteStorage
    let offset: Int
    public let byteCount: Int

    /// A tensor viewing `storage[offset ..< offset + byteCount]`; throws if the shape does not
    /// match the span or the span is outside the storage.
    public init(dtype: DType, shape: [Int], storage: ByteStorage, offset: Int = 0) throws {
        guard let bytes = CheckedMath.byteCount(shape: shape, dtype: dtype) else {
            throw QZooError.malformed("shape \(shape) of \(dtype.rawValue) overflows the address space")
        }
        guard offset >= 0, let end = CheckedMath.add(offset, bytes), end <= storage.count else {
            throw QZooError.malformed("\(bytes) bytes at offset \(offset) exceed the \(storage.count) available")
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.byteCount = bytes
    }

    /// A tensor owning a copy of `bytes`.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        try self.init(dtype: dtype, shape: shape, storage: ByteStorage(owning: bytes))
    }

    /// A float32 tensor holding `values`.
    public init(shape: [Int], floats values: [Float]) throws {
        let storage = values.withUnsafeBytes { raw in
            ByteStorage.make(count: raw.count) { $0.copyMemory(from: raw) }
        }
        try self.init(dtype: .f32, shape: shape, storage: storage)
    }

    public var elementCount: Int { byteCount / dtype.byteSize }

    /// Calls `body` with the tensor's raw little-endian bytes (valid only inside `body`).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = storage.base.map { $0 + offset }
        return try body(UnsafeRawBufferPointer(start: byteCount == 0 ? nil : start, count: byteCount))
    }

    /// The bytes as an array (a copy).
    public var bytes: [UInt8] { withBytes { Array($0) } }
}

extension Tensor: Equatable {
    /// Equal when dtype, shape and every byte agree (so NaNs with equal bits compare equal).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
        return lhs.withBytes { a in rhs.withBytes { b in a.elementsEqual(b) } }
    }
}
