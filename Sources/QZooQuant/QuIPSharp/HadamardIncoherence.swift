import QZooCore

/// Randomized Hadamard incoherence around a Hessian-aware rounding (QuIP#, and QuIP-style GPTQ
/// on a scalar grid): each weight and its Hessian are rotated together (`RandomizedHadamard`),
/// rounded in the rotated basis, and the rotation is stored as the quantized tensor's first
/// transform, so dequantization undoes it. The rotation is orthogonal, so the rounding's
/// reconstruction error and proxy loss mean the same in both bases.
public struct HadamardIncoherence: Sendable, Equatable {
    /// Seeds the sign vectors; each weight mixes in its name, so weights get different signs.
    public var seed: UInt64

    public init(seed: UInt64 = 0) {
        self.seed = seed
    }

    /// The rotation of the weight `name`, `[rows, columns]`: the seed mixed with the FNV-1a hash
    /// of the name.
    public func rotation(of name: String, rows: Int, columns: Int) throws -> RandomizedHadamard {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return try RandomizedHadamard(rows: rows, columns: columns, seed: seed ^ hash)
    }

    /// Rounds `weight` in the rotated basis: `round` receives the rotated weight (F32) and
    /// Hessian. The result keeps the rounding's codes and calibrated summary, stores the rotation
    /// before the rounding's own transforms, and reports its error against `weight`. Its
    /// reconstruction is the rounding's own, rotated back: what dequantizing the stored codes and
    /// rotation gives, without decoding them again.
    public func quantizeWeight(name: String, _ weight: Tensor, hessian: [Double],
                               round: (Tensor, [Double]) throws -> QuantizedWeight) throws -> QuantizedWeight {
        do {
            let (rows, columns) = try weight.weightMatrixShape()
            guard hessian.count == columns * columns, hessian.withUnsafeBufferPointer(Double.allFinite) else {
                throw QZooError(.invalidArgument, "the Hessian must be a finite \(columns)×\(columns) matrix, got \(hessian.count) values")
            }
            let rht = try rotation(of: name, rows: rows, columns: columns)
            let rotated = try Tensor(shape: [rows, columns], floats: rht.rotate(weight: weight.floats()))
            var result = try round(rotated, rht.rotate(hessian: hessian))
            let rotatedReconstruction = try result.takeDequantized()
            result.tensor.transforms.insert(try rht.transform(), at: 0)
            try result.attribute(to: weight, reconstructed: try Tensor(shape: [rows, columns],
                                                                      floats: rht.restore(weight: rotatedReconstruction.floats())))
            return result
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }
}
