import Foundation
import QZooCore
import QZooQuant

/// What `qzoo quantize` prints: one line per quantized tensor, then totals.
struct QuantizeReport {
    let result: CheckpointQuantization

    func table() -> String {
        var cells = [["name", "shape", "bits", "group", "bpw", "rel.err", "max.err"]]
        for report in result.reports {
            cells.append([
                report.name, "[" + report.shape.map(String.init).joined(separator: ", ") + "]",
                "\(report.grid.bits)\(report.grid.symmetric ? " sym" : "")", group(report.grid.granularity),
                String(format: "%.3f", report.bitsPerWeight), String(format: "%.5f", report.error.relativeRMS),
                String(format: "%.3g", report.error.maxAbsolute),
            ])
        }
        var lines = TextTable.render(cells, rightAligned: Set(2..<7))
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
            + ByteCountText.format(result.bytesAfter)
    }

    private func group(_ granularity: Granularity) -> String {
        switch granularity {
        case .perTensor: return "tensor"
        case .perChannel: return "channel"
        case .group(let size): return String(size)
        }
    }
}
