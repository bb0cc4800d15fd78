import Foundation
import Testing
import QZooCore
@testable import QZooMath

@Suite struct AttentionKernelTests {
    /// The attention of one sequence computed in float64, the plain way: per head, scores, max
    /// subtracted, exp, normalized, weighted sum of the values.
    func reference(_ qkv: [Float], length: Int, hidden: Int, heads: Int) -> [Double] {
        let d = hidden / heads, scale = 1 / Double(d).squareRoot()
        var context = [Double](repeating: 0, count: length * hidden)
        for head in 0..<heads {
            for i in 0..<length {
                let scores = (0..<length).map { j in
                    (0..<d).reduce(0.0) { $0 + Double(qkv[i * 3 * hidden + head * d + $1]) * Double(qkv[j * 3 * hidden + hidden + head * d + $1]) } * scale
                }
                let top = scores.max() ?? 0, weights = scores.map { Foundation.exp($0 - top) }, total = weights.reduce(0, +)
                for c in 0..<d {
                    context[i * hidden + head * d + c] = (0..<length).reduce(0.0) { $0 + weights[$1] / total * Double(qkv[$1 * 3 * hidden + 2 * hidden + head * d + c]) }
                }
            }
        }
        return context
    }

    /// Within float32 rounding of the float64 attention for sequence lengths around the kernel's
    /// 16-key blocks and 4-query groups (1, a partial block, exactly one, one more, several),
    /// with two 32-wide heads and one 16-wide; scores up to ±8 exercise the max subtraction.
    @Test(arguments: [(1, 64, 2), (3, 64, 2), (16, 64, 2), (17, 64, 2), (45, 48, 3)])
    func matchesFloat64Attention(_ length: Int, _ hidden: Int, _ heads: Int) throws {
        guard AttentionKernel.runs(headSize: hidden / heads) else { return }
        var state = UInt64(length * 131 + hidden)
        let qkv = (0..<length * 3 * hidden).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 3 - 1.5
        }
        var (context, scratch) = ([Float](repeating: .nan, count: length * hidden), [Float]())
        try qkv.withUnsafeBufferPointer { qkv in
            try context.withUnsafeMutableBufferPointer {
                try AttentionKernel.attend(qkv, length: length, hidden: hidden, heads: heads, scale: 1 / Float(hidden / heads).squareRoot(),
                                           into: $0, scratch: &scratch)
            }
        }
        let expected = reference(qkv, length: length, hidden: hidden, heads: heads)
        let worst = zip(context, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 2e-6)
        #expect(scratch.count >= AttentionKernel.scratchCount(length: length, headSize: hidden / heads))
    }

    @Test func shapesTheKernelCannotTakeAreRefused() throws {
        guard AttentionKernel.runs(headSize: 16) else { return }
        var scratch = [Float]()
        let qkv = [Float](repeating: 0.5, count: 2 * 3 * 48)
        var context = [Float](repeating: 0, count: 2 * 48)
        for (length, hidden, heads) in [(0, 48, 3), (2, 48, 2), (3, 48, 3), (2, 48, 0)] {
            #expect(throws: QZooError.self) {
                try qkv.withUnsafeBufferPointer { qkv in
                    try context.withUnsafeMutableBufferPointer {
                        try AttentionKernel.attend(qkv, length: length, hidden: hidden, heads: heads, scale: 1, into: $0, scratch: &scratch)
                    }
                }
            }
        }
        #expect(!AttentionKernel.runs(headSize: 24) && !AttentionKernel.runs(headSize: 0))
    }
}
