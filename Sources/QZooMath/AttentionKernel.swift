import CBFloat16
import QZooCore

/// Scaled dot-product attention of one sequence, every head, in a hand-written float32 AVX-512
/// kernel (`qzoo_attention`, compiled with the bfloat16 kernel and run where it runs).
///
/// Why not two sgemm calls per head: a calibration sentence is ~30 tokens, so those products
/// are 30×30×32 — too small for BLAS to reach speed, and 24 calls plus a softmax pass per
/// sentence and layer took ~5 % of a QuIP# run. The kernel keeps a head's scores for four
/// queries in cache from product to softmax to weighted sum.
public enum AttentionKernel {
    /// Whether the kernel runs here for heads `headSize` wide (a multiple of its 16 lanes).
    public static func runs(headSize: Int) -> Bool {
        BFloat16Product.accelerated && headSize > 0 && headSize % 16 == 0
    }

    /// Scratch floats the kernel needs for sequences of up to `length` tokens.
    public static func scratchCount(length: Int, headSize: Int) -> Int {
        qzoo_attention_scratch_count(max(length, 1), headSize)
    }

    /// `context[r]` (row stride `hidden`) = per head `Σ_j softmax_j(scale · q_r·k_j) · v_j` for
    /// the `length` rows of `qkv` (`[q | k | v]`, row stride `3 · hidden`, heads side by side).
    public static func attend(_ qkv: UnsafeBufferPointer<Float>, length: Int, hidden: Int, heads: Int, scale: Float,
                              into context: UnsafeMutableBufferPointer<Float>, scratch: inout [Float]) throws {
        guard length > 0, heads > 0, hidden % heads == 0, runs(headSize: hidden / heads),
              let inputs = CheckedMath.multiply(length, 3 * hidden), qkv.count >= inputs, context.count >= length * hidden,
              let q = qkv.baseAddress, let out = context.baseAddress else {
            throw QZooError(.invalidArgument, "cannot attend over \(length) tokens of \(heads) heads in \(hidden) columns "
                            + "from \(qkv.count) values into \(context.count)" + (runs(headSize: heads > 0 ? hidden / heads : 0) ? "" : " with this kernel"))
        }
        let needed = scratchCount(length: length, headSize: hidden / heads)
        if scratch.count < needed { scratch = [Float](repeating: 0, count: needed) }
        scratch.withUnsafeMutableBufferPointer { buffer in
            if let work = buffer.baseAddress { qzoo_attention(q, length, hidden, heads, scale, out, work) }
        }
    }
}
