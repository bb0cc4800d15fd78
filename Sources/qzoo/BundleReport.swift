import QZooCore
import QZooFormats

/// `qzoo inspect BUNDLE.tar.zst`: the verified manifest as tables (provenance, members, and
/// each export's tensors with their scheme, bits per weight and error).
enum BundleReport {
    static func table(path: String, _ result: BundleVerification) -> String {
        let manifest = result.manifest
        var lines = ["\(path)  (qzoo bundle v\(BundleManifest.formatVersion), verified)", ""]
        for key in ["model", "pipeline", "qzoo_version"] {
            lines.append("\(key): \(manifest[key]?.stringValue ?? "-")")
        }
        for input in manifest["inputs"]?.arrayValue ?? [] {
            lines.append("input: \(input["name"]?.stringValue ?? "?")  sha256 \(input["sha256"]?.stringValue ?? "?")")
        }
        lines += ["", "members:"]
        lines += TextTable.render([["path", "bytes", "sha256"]] + result.members.map { [$0.path, String($0.size), $0.sha256] }, rightAligned: [1])
        for export in manifest["exports"]?.arrayValue ?? [] { lines += exportTable(export) }
        return lines.joined(separator: "\n")
    }

    static func exportTable(_ export: JSONValue) -> [String] {
        let files = (export["files"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        var lines = ["", "export '\(export["stage"]?.stringValue ?? "?")': \(export["format"]?.stringValue ?? "?") (\(files))"]
        var cells = [["tensor", "shape", "scheme", "bits", "group", "bpw", "rel rms err", "max abs err"]]
        for tensor in export["tensors"]?.arrayValue ?? [] {
            let shape = "[" + (tensor["shape"]?.arrayValue ?? []).map { JSONWriter.serialize($0) }.joined(separator: ", ") + "]"
            cells.append([
                tensor["name"]?.stringValue ?? "?", shape, text(tensor["scheme"]), text(tensor["bits"]), text(tensor["group_size"]),
                number(tensor["bits_per_weight"]), number(tensor["rel_rms_error"]), number(tensor["max_abs_error"]),
            ])
        }
        lines += TextTable.render(cells, rightAligned: [3, 5, 6, 7])
        if let totals = export["totals"] {
            lines.append("parameters \(text(totals["parameters"])), \(number(totals["bits_per_weight"])) bits per weight overall, "
                         + "\(number(totals["quantized_bits_per_weight"])) per quantized weight, mean rel rms error \(number(totals["mean_rel_rms_error"]))")
        }
        return lines
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "-" }
        return value.stringValue ?? JSONWriter.serialize(value)
    }

    static func number(_ value: JSONValue?) -> String {
        guard let number = value?.doubleValue else { return "-" }
        return String(Float((number * 10000).rounded() / 10000))
    }
}
