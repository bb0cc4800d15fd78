import Foundation
import QZooCore
import QZooQuant

/// What `qzoo quantize` prints: one line per quantized tensor, then totals.
struct QuantizeReport {
    let result: CheckpointQuantization

    func table() -> String {
        let calibrated = result.reports.contains { $0.calibrated != nil }
        var cells = [["name", "shape", "bits", "group", "bpw", "rel.err", "max.err"] + (calibrated ? ["proxy", "damping"] : [])]
        for report in result.reports {
            let extra = calibrated ? [report.calibrated.map { String(format: "%.3e", $0.relativeProxyLoss) } ?? "-",
                                      report.calibrated.map { $0.damping.map { String(format: "%.3g", $0) } ?? "rtn" } ?? "-"] : []
            cells.append([
                report.name, "[" + report.shape.map(String.init).joined(separator: ", ") + "]",
                bitsCell(report.scheme), groupCell(report.scheme),
                String(format: "%.3f", report.bitsPerWeight), String(format: "%.5f", report.error.relativeRMS),
                String(format: "%.3g", report.error.maxAbsolute),
            ] + extra)
        }
        var lines = TextTable.render(cells, rightAligned: Set(2..<(calibrated ? 9 : 7)))
        lines.append("")
        lines.append(summary())
        return lines.joined(separator: "\n")
    }

    func summary() -> String {
        let weights = result.reports.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let meanError = result.reports.reduce(0) { $0 + $1.error.relativeRMS } / Double(max(result.reports.count, 1))
        return "\(result.reports.count) tensors quantized (\(weights) weights): "
            + String(format: "%.3f", result.bitsPerWeight) + " bits per weight incl. scales, mean rel. error "
            + String(format: "%.5f", meanError) + "; tensor data \(ByteCountText.format(result.bytesBefore)) → "
            + ByteCountText.format(result.bytesAfter) + proxySummary()
    }

    /// Mean relative proxy loss and how many weights fell back to rounding to nearest.
    private func proxySummary() -> String {
        let calibrated = result.reports.compactMap(\.calibrated)
        guard !calibrated.isEmpty else { return "" }
        let mean = calibrated.reduce(0) { $0 + $1.relativeProxyLoss } / Double(calibrated.count)
        let fallbacks = calibrated.filter { $0.damping == nil }.count
        return "; mean rel. proxy loss " + String(format: "%.3e", mean)
            + (fallbacks > 0 ? "; \(fallbacks) weight(s) rounded to nearest (Hessian not factorable)" : "")
    }

    private func bitsCell(_ scheme: QuantizationScheme) -> String {
        switch scheme {
        case .affine(let grid): return "\(grid.bits)\(grid.symmetric ? " sym" : "")"
        case .lattice(let codebook): return "\(codebook.bitsPerWeight) \(codebook.rawValue)"
        }
    }

    private func groupCell(_ scheme: QuantizationScheme) -> String {
        guard case .affine(let grid) = scheme else { return "tensor" }
        switch grid.granularity {
        case .perTensor: return "tensor"
        case .perChannel: return "channel"
        case .group(let size): return String(size)
        }
    }
}
