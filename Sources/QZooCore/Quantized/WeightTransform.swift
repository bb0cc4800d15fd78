/// A transform applied to a weight before quantization, which dequantization must undo (or a
/// runtime must apply to activations). Listed in `QuantizedTensor.transforms` in the order they
/// were applied; undone in reverse.
public enum WeightTransform: Sendable, Equatable {
    /// Columns were permuted: stored column `j` holds original column `permutation[j]`
    /// (GPTQ act-order without static groups). I32 tensor of shape `[columns]`.
    case columnPermutation(Tensor)
    /// Columns were multiplied by `scale[j]` (AWQ/SmoothQuant on a non-foldable group): the
    /// stored weight is `W · diag(s)`, and the layer's input must be multiplied by `1/s`.
    /// F32 tensor of shape `[columns]`.
    case inputScale(Tensor)
    /// QuIP#'s randomized Hadamard transform on both sides: the stored weight is
    /// `Wr = 𝓗_mᵀ · S_V · W · S_U · 𝓗_n` with `𝓗` the orthogonal Hadamard transform of each size
    /// (`HadamardFactor`) and `S_V = diag(rowSigns)`, `S_U = diag(columnSigns)`. Undone as
    /// `W = S_V · 𝓗_m · Wr · 𝓗_nᵀ · S_U`; a runtime computes `y = S_V 𝓗_m (Wr (𝓗_nᵀ (S_U x)))`.
    /// I8 tensor of shape `[rows + columns]`, entries ±1: the row signs, then the column signs.
    case randomizedHadamard(Tensor)
}

extension WeightTransform {
    /// The transform's name in qpack indexes and bundle manifests.
    public var kind: String {
        switch self {
        case .columnPermutation: return "column_permutation"
        case .inputScale: return "input_scale"
        case .randomizedHadamard: return "randomized_hadamard"
        }
    }

    /// The per-channel multiplier `1/s` (float32 reciprocals) a runtime applies to a layer's
    /// input when its weight stays in the basis of input scale `s`. One definition, so the
    /// built-in forward pass and every export multiply by the same numbers.
    public static func inputMultiplier(_ scale: Tensor) -> [Float] {
        scale.floats().map { 1 / $0 }
    }
}
