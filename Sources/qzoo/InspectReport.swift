import QZooCore
import QZooFormats

/// What `qzoo inspect` prints, as a table or as JSON.
struct InspectReport {
    let path: String
    let format: CheckpointFormat
    let checkpoint: Checkpoint
    let rows: [(name: String, tensor: Tensor, stats: TensorStatistics)]

    init(path: String, format: CheckpointFormat, checkpoint: Checkpoint) {
        self.path = path
        self.format = format
        self.checkpoint = checkpoint
        rows = checkpoint.tensors.map { (name: $0.key, tensor: $0.value, stats: TensorStatistics($0.value)) }
    }

    var elementTotal: Int { rows.reduce(0) { $0 + $1.tensor.elementCount } }

    func table() -> String {
        var lines = ["\(path)  (\(format.rawValue))", ""]
        let header = ["name", "dtype", "shape", "bytes", "min", "max", "mean", "std", "nan", "inf"]
        var cells = [header]
        for row in rows {
            let s = row.stats
            cells.append([
                row.name, row.tensor.dtype.rawValue, "[" + row.tensor.shape.map(String.init).joined(separator: ", ") + "]",
                String(row.tensor.byteCount), number(s.min), number(s.max), number(s.mean), number(s.std),
                String(s.nanCount), String(s.infCount),
            ])
        }
        lines += TextTable.render(cells, rightAligned: Set(3..<10))
        lines.append("")
        lines.append("\(rows.count) tensors, \(elementTotal) elements, \(ByteCountText.format(checkpoint.byteCount)) (\(checkpoint.byteCount) bytes)")
        if !checkpoint.metadata.isEmpty {
            lines.append("metadata:")
            for (key, value) in checkpoint.metadata.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
        }
        return lines.joined(separator: "\n")
    }

    func number(_ value: Double) -> String {
        value.isNaN ? "-" : String(Float(value))
    }

    func json() -> String {
        let tensors: [JSONValue] = rows.map { row in
            let s = row.stats
            return .object([
                ("name", .string(row.name)), ("dtype", .string(row.tensor.dtype.rawValue)),
                ("shape", .array(row.tensor.shape.map { .int($0) })), ("bytes", .int(row.tensor.byteCount)),
                ("min", .double(s.min)), ("max", .double(s.max)), ("mean", .double(s.mean)), ("std", .double(s.std)),
                ("nan", .int(s.nanCount)), ("inf", .int(s.infCount)),
            ])
        }
        let document: JSONValue = .object([
            ("path", .string(path)), ("format", .string(format.rawValue)),
            ("tensor_count", .int(rows.count)), ("element_count", .int(elementTotal)),
            ("total_bytes", .int(checkpoint.byteCount)), ("metadata", .strings(checkpoint.metadata)),
            ("tensors", .array(tensors)),
        ])
        return JSONWriter.serialize(document)
    }
}

/// Plain monospaced tables for terminal output.
enum TextTable {
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
