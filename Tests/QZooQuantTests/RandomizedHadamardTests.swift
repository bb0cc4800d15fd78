import Testing
import QZooCore
import QZooMath
import QZooTestSupport
@testable import QZooQuant

/// The RHT on weight and Hessian: undone exactly, and the layer's function preserved when a
/// runtime applies it to activations as documented (`y = S_V 𝓗_m (Wr (𝓗_nᵀ (S_U x)))`).
@Suite struct RandomizedHadamardTests {
    static let shapes: [(rows: Int, columns: Int)] = [(384, 1536), (1536, 384), (12, 8), (40, 24), (8, 172)]

    @Test(arguments: 0..<shapes.count)
    func rotationIsUndoneExactly(shape index: Int) throws {
        let (rows, columns) = Self.shapes[index]
        let weight = TestMatrices.weights(rows: rows, columns: columns, seed: UInt64(index))
        let rht = try RandomizedHadamard(rows: rows, columns: columns, seed: 7)
        let rotated = rht.rotate(weight: weight)
        let restored = rht.restore(weight: rotated)
        let scale = weight.map { abs($0) }.max() ?? 1
        let worst = zip(restored, weight).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale, "[\(rows), \(columns)]: largest error \(worst)")
        #expect(zip(rotated, weight).contains { abs($0 - $1) > 1e-3 }, "the rotation changed nothing")
    }

    @Test func functionIsPreservedWhenTheRuntimeRotatesActivations() throws {
        let rows = 40, columns = 24
        let weight = TestMatrices.weights(rows: rows, columns: columns, seed: 3)
        let rht = try RandomizedHadamard(rows: rows, columns: columns, seed: 11)
        let rotated = rht.rotate(weight: weight)
        var random = SplitMix64(seed: 5)
        let x = (0..<columns).map { _ in Float(random.unit() * 2 - 1) }
        var t = zip(x, rht.columnSigns).map { $0 * $1 }
        try HadamardTransform(size: columns).apply(&t, transposed: true)
        var z = (0..<rows).map { r in (0..<columns).reduce(Float(0)) { $0 + rotated[r * columns + $1] * t[$1] } }
        try HadamardTransform(size: rows).apply(&z, transposed: false)
        let y = zip(z, rht.rowSigns).map { $0 * $1 }
        let expected = (0..<rows).map { r in (0..<columns).reduce(Float(0)) { $0 + weight[r * columns + $1] * x[$1] } }
        let worst = zip(y, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "largest output difference \(worst)")
    }

    @Test func proxyLossIsInvariant() throws {
        let rows = 24, columns = 40
        let weight = TestMatrices.weights(rows: rows, columns: columns, seed: 9)
        let hessian = GPTQTestProblems.hessian(columns: columns, tokens: 200, seed: 4)
        let rht = try RandomizedHadamard(rows: rows, columns: columns, seed: 2)
        let zero = [Float](repeating: 0, count: weight.count)
        let before = GPTQTestProblems.proxyLoss(reference: zero, candidate: weight, hessian: hessian, rows: rows, columns: columns)
        let after = GPTQTestProblems.proxyLoss(reference: zero, candidate: rht.rotate(weight: weight),
                                               hessian: rht.rotate(hessian: hessian), rows: rows, columns: columns)
        #expect(abs(after - before) <= 1e-4 * before, "tr(W H Wᵀ) \(before) became \(after)")
    }

    /// The Hessian is rotated on both sides by the column transform: exactly the weight
    /// rotation of an RHT with the column signs on both sides, then symmetrized, whatever
    /// shortcut `rotate(hessian:)` takes (it never forms the left product the weight path does).
    @Test(arguments: [24, 64, 96, 1536])
    func hessianRotationIsTheTwoSidedWeightRotationSymmetrized(columns: Int) throws {
        let hessian = GPTQTestProblems.hessian(columns: columns, tokens: 40, seed: UInt64(columns))
        let rht = try RandomizedHadamard(rows: 12, columns: columns, seed: 5)
        let twoSided = try RandomizedHadamard(rowSigns: rht.columnSigns, columnSigns: rht.columnSigns)
        let asWeight = twoSided.rotate(weight: hessian.map { Float($0) })
        let rotated = rht.rotate(hessian: hessian)
        let expected = (0 ..< columns * columns).map { i in
            0.5 * (Double(asWeight[i]) + Double(asWeight[(i % columns) * columns + i / columns]))
        }
        #expect(rotated == expected)
        #expect(zip(rotated, hessian).contains { abs($0 - $1) > 1e-3 * abs($1) }, "the rotation changed nothing")
    }

    @Test func signsFollowTheSeedAndSurviveStorage() throws {
        let a = try RandomizedHadamard(rows: 12, columns: 16, seed: 1)
        #expect(a == (try RandomizedHadamard(rows: 12, columns: 16, seed: 1)))
        #expect(a.rowSigns + a.columnSigns != (try RandomizedHadamard(rows: 12, columns: 16, seed: 2)).rowSigns
                + (try RandomizedHadamard(rows: 12, columns: 16, seed: 2)).columnSigns)
        #expect(Set(a.rowSigns + a.columnSigns) == [-1, 1])
        guard case .randomizedHadamard(let stored) = try a.transform() else { Issue.record("wrong transform kind"); return }
        #expect(try RandomizedHadamard(signs: stored, rows: 12, columns: 16) == a)
    }

    @Test func sizesWithoutATransformAreRejected() {
        #expect(throws: QZooError.self) { try RandomizedHadamard(rows: 44, columns: 16, seed: 0) }
    }
}

extension HadamardTransform {
    /// One vector in place.
    func apply(_ vector: inout [Float], transposed: Bool) {
        vector.withUnsafeMutableBufferPointer { apply($0, count: 1, transposed: transposed) }
    }
}
