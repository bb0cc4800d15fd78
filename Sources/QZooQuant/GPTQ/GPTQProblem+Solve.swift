import QZooCore
import QZooMath

extension GPTQProblem {
    /// Factorises the Hessian, runs the column loop and assembles the stored tensor.
    func solve(sourceDType: DType) throws -> GPTQResult {
        let factor = try LDLQFactor<T>(hessian: hessian, n: columns, order: parameters.actOrder ? order : nil, dead: dead,
                                       damp: parameters.damp)
        let loop = GPTQLoop(problem: self, factor: factor)
        let energy = try loop.run()
        let quantized = try assemble(codes: UnsafeBufferPointer(loop.codes), scales: Array(loop.scales),
                                     zeros: Array(loop.zeros), sourceDType: sourceDType)
        let proxyLoss = try factor.damping.map { ProxyTrace.undamped(errorEnergy: energy.scaledError, damping: $0, deltaEnergy: energy.delta) }
            ?? ProxyTrace.direct(candidate: try quantized.dequantize().floats(), weight: zeroedWeight(), hessian: hessian,
                                 rows: rows, columns: columns)
        return GPTQResult(quantized: quantized, proxyLoss: proxyLoss, damping: factor.damping)
    }

    /// The weight (dead columns zeroed) in original column order, as float32.
    private func zeroedWeight() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for j in 0..<columns { out[r * columns + order[j]] = Float(weight[r * columns + j]) }
        }
        return out
    }
}
