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
}
