extension Tensor {
    /// All elements as float32 (a copy). Integer values beyond 2^24 round to nearest.
    public func floats() -> [Float] {
        var result = [Float](repeating: 0, count: elementCount)
        result.withUnsafeMutableBufferPointer { out in
            withBytes { raw in
                guard let src = raw.baseAddress, let dst = out.baseAddress else { return }
                ElementConversion.decode(src, dtype: dtype, count: elementCount, into: dst)
            }
        }
        return result
    }

    /// The tensor with its elements converted to the floating-point `target` (a copy; `self`
    /// when the dtype already matches). Conversion from f64 rounds once, to the target.
    public func converted(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        guard target.isFloatingPoint else {
            throw QZooError(.invalidArgument, "conversion to \(target.rawValue) is not supported; targets are floating-point types")
        }
        let count = elementCount
        let storage = try ByteStorage.make(count: count * target.byteSize) { out in
            guard let dst = out.baseAddress else { return }
            try convertChunks(count: count, target: target, into: dst)
        }
        return try Tensor(dtype: target, shape: shape, storage: storage)
    }

    /// Converts in fixed-size chunks so a multi-gigabyte tensor needs only a small float buffer.
    private func convertChunks(count: Int, target: DType, into destination: UnsafeMutableRawPointer) throws {
        let chunk = 1 << 16
        var scratch = [Float](repeating: 0, count: Swift.min(chunk, count))
        try withBytes { raw in
            guard let src = raw.baseAddress else { return }
            var start = 0
            while start < count {
                let n = Swift.min(chunk, count - start)
                try scratch.withUnsafeMutableBufferPointer { buffer in
                    guard let tmp = buffer.baseAddress else { return }
                    decodeForConversion(src + start * dtype.byteSize, count: n, target: target, into: tmp)
                    if target == .f64 {
                        for i in 0..<n { (destination + (start + i) * 8).storeBytes(of: Double(tmp[i]), as: Double.self) }
                    } else {
                        try ElementConversion.encode(tmp, count: n, to: target, into: destination + start * target.byteSize)
                    }
                }
                start += n
            }
        }
    }

    private func decodeForConversion(_ source: UnsafeRawPointer, count: Int, target: DType, into out: UnsafeMutablePointer<Float>) {
        guard dtype == .f64, target != .f32 else {
            ElementConversion.decode(source, dtype: dtype, count: count, into: out)
            return
        }
        for i in 0..<count {
            out[i] = ElementConversion.roundToOdd(source.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
        }
    }
}
