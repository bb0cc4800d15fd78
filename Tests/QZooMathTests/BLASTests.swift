import Testing
import QZooCore
@testable import QZooMath

@Suite struct BLASTests {
    /// Naive row-major product of op(A) [m×k] and op(B) [k×n].
    func naive(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let x = transA ? a[p * m + i] : a[i * k + p]
                    let y = transB ? b[j * k + p] : b[p * n + j]
                    c[i * n + j] += x * y
                }
            }
        }
        return c
    }

    func values(_ count: Int, seed: Int) -> [Double] {
        (0..<count).map { Double(($0 * 37 + seed * 11) % 23) / 7 - 1.5 }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(_ transA: Bool, _ transB: Bool) throws {
        let (m, n, k) = (5, 4, 3)
        let a = values(m * k, seed: 1), b = values(k * n, seed: 2)
        var c = [Double](repeating: 0, count: m * n)
        try a.withUnsafeBufferPointer { ab in
            try b.withUnsafeBufferPointer { bb in
                try c.withUnsafeMutableBufferPointer { cb in
                    try BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k,
                                  a: ab, lda: transA ? m : k, b: bb, ldb: transB ? k : n, c: cb, ldc: n)
                }
            }
        }
        let expected = naive(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
        #expect(zip(c, expected).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func gemmRejectsBuffersSmallerThanTheLayout() {
        let a = [Float](repeating: 1, count: 5), b = [Float](repeating: 1, count: 6)
        var c = [Float](repeating: 0, count: 4)
        #expect(throws: QZooError.self) {
            try a.withUnsafeBufferPointer { ab in
                try b.withUnsafeBufferPointer { bb in
                    try c.withUnsafeMutableBufferPointer { cb in
                        try BLAS.gemm(m: 2, n: 2, k: 3, a: ab, lda: 3, b: bb, ldb: 2, c: cb, ldc: 2)
                    }
                }
            }
        }
    }

    @Test func syrkAccumulatesGramMatrix() throws {
        let (rows, n) = (7, 4)
        let x = values(rows * n, seed: 3)
        var gram = [Double](repeating: 0, count: n * n)
        try x.withUnsafeBufferPointer { xb in
            try gram.withUnsafeMutableBufferPointer { gb in
                try BLAS.syrkTransposedUpper(n: n, k: rows, a: xb, lda: n, c: gb)
                try BLAS.syrkTransposedUpper(n: n, k: rows, a: xb, lda: n, c: gb)
            }
        }
        let expected = naive(x, x, m: n, n: n, k: rows, transA: true, transB: false).map { 2 * $0 }
        for i in 0..<n {
            for j in 0..<n { #expect(j >= i ? abs(gram[i * n + j] - expected[i * n + j]) < 1e-12 : gram[i * n + j] == 0) }
        }
    }

    /// `choleskySolve` after `lowerCholesky`: A·X = B for every right-hand side (row-major Z·A⁻¹
    /// in the layout the weight targets use), and mismatched sizes are refused.
    @Test func choleskySolveSolvesEveryRightHandSide() throws {
        let a: [Double] = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]
        let b: [Double] = [1, 2, 3, -1, 0.5, 4]
        var factor = a, x = b
        #expect(try factor.withUnsafeMutableBufferPointer { try LAPACK.lowerCholesky($0, n: 3) })
        try factor.withUnsafeBufferPointer { l in
            try x.withUnsafeMutableBufferPointer { try LAPACK.choleskySolve(factor: l, n: 3, $0, count: 2) }
        }
        for column in 0..<2 {
            for row in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + a[row * 3 + $1] * x[column * 3 + $1] }
                #expect(abs(product - b[column * 3 + row]) < 1e-12)
            }
        }
        #expect(throws: QZooError.self) {
            var short = [Double](repeating: 1, count: 5)
            try factor.withUnsafeBufferPointer { l in
                try short.withUnsafeMutableBufferPointer { try LAPACK.choleskySolve(factor: l, n: 3, $0, count: 2) }
            }
        }
    }
}
