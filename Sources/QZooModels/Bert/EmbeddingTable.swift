import QZooCore

/// The word-embedding table, read in place from the checkpoint's tensor a row at a time.
///
/// Why not a float copy like the other weights: it is the largest tensor of a small encoder
/// (MiniLM's 30,522 × 384 is a fifth of the model), and a batch reads only its tokens' rows.
/// A copy costs its whole size in freshly touched memory, which sequential calibration holds
/// through its peak; reading the checkpoint's (memory-mapped) bytes touches only the rows used.
struct EmbeddingTable: Sendable {
    private let tensor: Tensor
    let width: Int

    /// The tensor `name` of `checkpoint`, rows of `width` elements.
    init(_ checkpoint: Checkpoint, _ name: String, width: Int) throws {
        guard let tensor = checkpoint.tensors[name], width > 0, tensor.dtype.isFloatingPoint, tensor.elementCount % width == 0 else {
            throw QZooError.malformed("an embedding table needs floating-point rows of \(width) values", tensor: name)
        }
        self.tensor = tensor
        self.width = width
    }

    var rows: Int { tensor.elementCount / width }

    /// Row `id` decoded into `scratch` (`width` floats); zeros for an id outside the table, which
    /// `BertForward.check` rules out before any lookup.
    func row(_ id: Int, into scratch: UnsafeMutableBufferPointer<Float>) {
        guard let out = scratch.baseAddress, scratch.count >= width else { return }
        guard id >= 0, id < rows else {
            scratch.update(repeating: 0)
            return
        }
        tensor.withBytes { raw in
            guard let base = raw.baseAddress else { return }
            ElementConversion.decode(base + id * width * tensor.dtype.byteSize, dtype: tensor.dtype, count: width, into: out)
        }
    }
}
