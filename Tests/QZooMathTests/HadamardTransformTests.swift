import Testing
import QZooCore
@testable import QZooMath

/// The transform against its definition `(H_K ⊗ H_{2^k}) / √n`, built entry by entry.
struct HadamardTransformTests {
    /// Every size MiniLM uses, every factor at a few powers of two, and plain powers of two.
    /// (O(n³) to check, so the largest factors are checked at K and 2K only.)
    static let sizes: [Int] = [1, 2, 4, 8, 16, 64, 384, 1536]
        + HadamardTransform.factors.flatMap { $0 <= 60 ? [$0, $0 * 2, $0 * 16] : [$0, $0 * 2] }

    /// The dense matrix the transform applies, column j = 𝓗 e_j.
    static func dense(_ transform: HadamardTransform, transposed: Bool) -> [Float] {
        let n = transform.size
        var columns = [Float](repeating: 0, count: n * n)
        for j in 0..<n { columns[j * n + j] = 1 }
        columns.withUnsafeMutableBufferPointer { transform.apply($0, count: n, transposed: transposed) }
        var matrix = [Float](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { matrix[i * n + j] = columns[j * n + i] } }
        return matrix
    }

    /// Sylvester `H_L[a, b] = (−1)^popcount(a & b)`.
    static func sylvester(_ a: Int, _ b: Int) -> Float { (a & b).nonzeroBitCount % 2 == 0 ? 1 : -1 }

    @Test(arguments: sizes)
    func matchesTheKroneckerDefinition(size: Int) throws {
        let transform = try HadamardTransform(size: size)
        let k = transform.factor, length = size / k
        let matrix = Self.dense(transform, transposed: false)
        let norm = 1 / Float(size).squareRoot()
        var worst: Float = 0
        for row in 0..<size {
            for column in 0..<size {
                let hk: Float = k == 1 ? 1 : transform.factorEntry(row / length, column / length)
                let expected = hk * Self.sylvester(row % length, column % length) * norm
                worst = max(worst, abs(matrix[row * size + column] - expected))
            }
        }
        #expect(worst < 1e-6, "size \(size) (K = \(k)): largest deviation \(worst)")
    }

    /// Transforming the columns of a matrix in place is, bit for bit, transforming the rows of
    /// its transpose: for sizes with and without a factor K (12 and 20 among them) and below 8,
    /// column counts that fill whole strips, leave a narrow last strip (1, 7, 65, 300) or split
    /// into two parts, both directions, on values with every kind of rounding.
    @Test(arguments: [1, 2, 4, 8, 12, 20, 64, 384, 1536], [1, 7, 64, 65, 300])
    func columnsAreTheTransposedRowsBitForBit(size: Int, columns: Int) throws {
        let transform = try HadamardTransform(size: size)
        let matrix = (0 ..< size * columns).map { index -> Float in
            let spread: Int = (index &* 7919 &+ 13) % 4001
            return Float(spread - 2000) / 1237
        }
        for transposed in [false, true] {
            var byColumns = matrix
            byColumns.withUnsafeMutableBufferPointer { transform.applyToColumns($0, columns: columns, transposed: transposed) }
            var rows = (0 ..< columns * size).map { matrix[($0 % size) * columns + $0 / size] }
            rows.withUnsafeMutableBufferPointer { transform.apply($0, count: columns, transposed: transposed) }
            let expected = (0 ..< size * columns).map { rows[($0 % columns) * size + $0 / columns] }
            #expect(byColumns.map(\.bitPattern) == expected.map(\.bitPattern), "size \(size), \(columns) columns, transposed \(transposed)")
        }
    }

    @Test(arguments: sizes)
    func isOrthogonalAndTransposeInverts(size: Int) throws {
        let transform = try HadamardTransform(size: size)
        let forward = Self.dense(transform, transposed: false)
        let backward = Self.dense(transform, transposed: true)
        var worstProduct = 0.0, worstTranspose: Float = 0
        for i in 0..<size {
            for j in 0..<size {
                var dot = 0.0
                for t in 0..<size { dot += Double(forward[i * size + t]) * Double(forward[j * size + t]) }
                worstProduct = max(worstProduct, abs(dot - (i == j ? 1 : 0)))
                worstTranspose = max(worstTranspose, abs(backward[i * size + j] - forward[j * size + i]))
            }
        }
        #expect(worstProduct < 1e-5, "size \(size): 𝓗𝓗ᵀ deviates from I by \(worstProduct)")
        #expect(worstTranspose < 1e-6, "size \(size): transposed apply is not 𝓗ᵀ (\(worstTranspose))")
    }

    @Test(arguments: HadamardTransform.factors)
    func factorTablesAreHadamardMatrices(order: Int) throws {
        let transform = try HadamardTransform(size: order)
        #expect(transform.factor == order)
        for i in 0..<order {
            for j in 0..<order {
                var dot: Float = 0
                for t in 0..<order { dot += transform.factorEntry(i, t) * transform.factorEntry(j, t) }
                #expect(dot == (i == j ? Float(order) : 0), "H_\(order) rows \(i), \(j)")
            }
        }
    }

    @Test func miniLMSizesUseTwelve() throws {
        #expect(try HadamardTransform(size: 384).factor == 12)
        #expect(try HadamardTransform(size: 1536).factor == 12)
        #expect(try HadamardTransform(size: 1024).factor == 1)
        #expect(try HadamardTransform(size: 11008).factor == 172)
    }

    @Test(arguments: [0, 3, 44, 100, 12 * 3, 768 * 3 + 8])
    func sizesWithoutAFactorisationAreRejectedByName(size: Int) {
        if size == 36 { #expect(HadamardTransform.supports(size: 36)); return }
        do {
            _ = try HadamardTransform(size: size)
            Issue.record("size \(size) was accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("\(size)"), "\(error.message)")
        } catch { Issue.record("unexpected \(error)") }
    }
}
