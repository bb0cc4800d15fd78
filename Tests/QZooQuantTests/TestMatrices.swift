import QZooCore
import QZooTestSupport
@testable import QZooQuant

/// Deterministic test weights and an element-by-element transcription of the reference rules,
/// so tests compare the fast kernels against the plain formulas rather than against themselves.
enum TestMatrices {
    /// Uniform values in [−1, 1) with a few outliers up to ±`outlier`.
    static func weights(rows: Int, columns: Int, seed: UInt64, outlier: Float = 4) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<(rows * columns)).map { _ in
            let unit = Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1
            return generator.next() % 97 == 0 ? unit * outlier : unit
        }
    }

    static func tensor(_ values: [Float], rows: Int, columns: Int) throws -> Tensor {
        try Tensor(shape: [rows, columns], floats: values)
    }

    /// The scale index of element `[row, column]` (the layout the QuantizedTensor doc defines).
    static func scaleIndex(row: Int, column: Int, columns: Int, granularity: Granularity) -> Int {
        switch granularity {
        case .perTensor: return 0
        case .perChannel: return row
        case .group(let size): return row * ((columns + size - 1) / size) + column / size
        }
    }

    /// The elements sharing a scale, as `[index: [element positions]]`.
    static func runs(rows: Int, columns: Int, granularity: Granularity) -> [Int: [Int]] {
        var runs: [Int: [Int]] = [:]
        for row in 0..<rows {
            for column in 0..<columns {
                runs[scaleIndex(row: row, column: column, columns: columns, granularity: granularity), default: []].append(row * columns + column)
            }
        }
        return runs
    }
}

/// GPTQ's `find_params` + `quantize` (quant.py) for one run, written out literally.
struct ReferenceRule {
    let bits: Int
    let symmetric: Bool
    var maxq: Float { Float((1 << bits) - 1) }

    func parameters(_ xs: [Float], shrink: Float = 1) -> (scale: Float, zero: Float) {
        var xmin = Swift.min(xs.min() ?? 0, 0)
        var xmax = Swift.max(xs.max() ?? 0, 0)
        if symmetric {
            xmax = Swift.max(Swift.abs(xmin), xmax)
            xmin = -xmax
        }
        if xmin == 0 && xmax == 0 { xmin = -1; xmax = 1 }
        xmin *= shrink
        xmax *= shrink
        let scale = (xmax - xmin) / maxq
        let zero = symmetric ? (maxq + 1) / 2 : Swift.min(Swift.max((-xmin / scale).rounded(.toNearestOrEven), 0), maxq)
        return (scale, zero)
    }

    func code(_ x: Float, scale: Float, zero: Float) -> Float {
        Swift.min(Swift.max((x / scale).rounded(.toNearestOrEven) + zero, 0), maxq)
    }
}
