/// Summary statistics of a tensor's values, as `qzoo inspect` shows them.
///
/// Computed in one streaming pass over fixed-size chunks with float64 accumulators, so a
/// multi-gigabyte tensor needs no full float copy. min/max/mean/std cover finite values only;
/// NaN and Inf are counted separately, since one of them would otherwise hide all the others.
public struct TensorStatistics: Sendable, Equatable {
    public var count = 0
    public var finiteCount = 0
    public var nanCount = 0
    public var infCount = 0
    public var min: Double = .nan
    public var max: Double = .nan
    public var mean: Double = .nan
    public var std: Double = .nan

    public init(_ tensor: Tensor) {
        count = tensor.elementCount
        var sum = 0.0, sumSquares = 0.0
        var low = Double.infinity, high = -Double.infinity
        let chunk = 1 << 16
        var scratch = [Float](repeating: 0, count: Swift.min(chunk, Swift.max(count, 1)))
        tensor.withBytes { raw in
            guard let base = raw.baseAddress else { return }
            var start = 0
            while start < count {
                let n = Swift.min(chunk, count - start)
                scratch.withUnsafeMutableBufferPointer { buffer in
                    guard let out = buffer.baseAddress else { return }
                    ElementConversion.decode(base + start * tensor.dtype.byteSize, dtype: tensor.dtype, count: n, into: out)
                    for value in buffer[0..<n] {
                        if value.isNaN { nanCount += 1; continue }
                        if value.isInfinite { infCount += 1; continue }
                        let v = Double(value)
                        sum += v
                        sumSquares += v * v
                        low = Swift.min(low, v)
                        high = Swift.max(high, v)
                    }
                }
                start += n
            }
        }
        finiteCount = count - nanCount - infCount
        guard finiteCount > 0 else { return }
        min = low
        max = high
        mean = sum / Double(finiteCount)
        std = (Swift.max(0, sumSquares / Double(finiteCount) - mean * mean)).squareRoot()
    }
}
