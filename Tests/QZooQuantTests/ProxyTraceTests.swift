import QZooCore
import QZooTestSupport
import Testing
@testable import QZooQuant

struct ProxyTraceTests {
    /// A Hessian shaped like a layer's: the Gram matrix of inputs that share a large mean (so one
    /// eigenvalue stands far above the rest and `tr(X H Xᵀ)` is a small sum of large terms of
    /// both signs), divided by its mean diagonal, plus 0.01 on the diagonal, as QuIP# uses it.
    static func hessian(n: Int, seed: UInt64) -> [Float] {
        let tokens = 2 * n
        let inputs = TestMatrices.weights(rows: tokens, columns: n, seed: seed).map { Double($0) + 3 }
        var gram = [Double](repeating: 0, count: n * n)
        for t in 0..<tokens {
            for i in 0..<n where inputs[t * n + i] != 0 {
                for j in 0..<n { gram[i * n + j] += inputs[t * n + i] * inputs[t * n + j] }
            }
        }
        let mean = (0..<n).reduce(0.0) { $0 + gram[$1 * n + $1] } / Double(n)
        return (0..<n * n).map { Float(gram[$0] / mean + ($0 % (n + 1) == 0 ? 0.01 : 0)) }
    }

    /// `tr(X H Xᵀ)` row by row in float64 from the float32 entries.
    static func exact(_ x: [Float], _ h: [Float], rows: Int, columns: Int) -> Double {
        (0..<rows).reduce(0.0) { sum, r in
            var row = 0.0
            for i in 0..<columns {
                var hx = 0.0
                for j in 0..<columns { hx += Double(h[i * columns + j]) * Double(x[r * columns + j]) }
                row += Double(x[r * columns + i]) * hx
            }
            return sum + row
        }
    }

    /// The Gram-matrix form matches float64 to 1e-7 relative on wide, tall and small weights,
    /// column counts that do and do not fill the last panel included.
    @Test(arguments: [(64, 520), (700, 300), (5, 8), (3, 256)])
    func quadraticMatchesFloat64(rows: Int, columns: Int) throws {
        let h = Self.hessian(n: columns, seed: UInt64(columns))
        let x = TestMatrices.weights(rows: rows, columns: columns, seed: UInt64(rows) + 99)
        let expected = Self.exact(x, h, rows: rows, columns: columns)
        let got = try ProxyTrace.quadratic(x, h, rows: rows, columns: columns)
        #expect(abs(got - expected) <= 1e-7 * expected)
    }

    /// No rows give 0; shapes that do not match the values are refused.
    @Test func quadraticChecksItsShapes() throws {
        #expect(try ProxyTrace.quadratic([], [1, 0, 0, 1], rows: 0, columns: 2) == 0)
        #expect(throws: QZooError.self) { try ProxyTrace.quadratic([1, 2, 3], [1, 0, 0, 1], rows: 2, columns: 2) }
        #expect(throws: QZooError.self) { try ProxyTrace.quadratic([1, 2], [1, 0, 0], rows: 1, columns: 2) }
    }
}

