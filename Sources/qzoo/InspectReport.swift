import QZooCore
import QZooFormats
import QZooQuant

/// What `qzoo inspect` prints, as a table or as JSON.
///
/// Quantized weights are listed with their dequantized values' statistics, their scheme, and
/// their storage cost in bits per weight (codes + scales + zero points), which is what a user
/// compares between quantization settings.
struct InspectReport {
    let path: String
    let format: CheckpointFormat
    let checkpoint: Checkpoint
    let rows: [InspectRow]

    init(path: String, format: CheckpointFormat, checkpoint: Checkpoint) throws {
        self.path = path
        self.format = format
        self.checkpoint = checkpoint
        let dense = checkpoint.tensors.map { InspectRow(name: $0.key, tensor: $0.value) }
        let quantized = try checkpoint.quantized.map { name, weight in
            do { return try InspectRow(name: name, weight: weight) } catch let error as QZooError { throw error.inTensor(name).inFile(path) }
        }
        rows = dense + quantized
    }

    var elementTotal: Int { rows.reduce(0) { $0 + $1.elementCount } }
    var byteTotal: Int { rows.reduce(0) { $0 + $1.bytes } }

    func table() -> String {
        var lines = ["\(path)  (\(format.rawValue))", ""]
        let header = ["name", "dtype", "shape", "bytes", "scheme", "bits", "group", "bpw", "min", "max", "mean", "std", "nan", "inf"]
        var cells = [header]
        for row in rows {
            let s = row.stats
            let q = row.quantization
            cells.append([
                row.name, row.dtype.rawValue, "[" + row.shape.map(String.init).joined(separator: ", ") + "]", String(row.bytes),
                q?.schemeName ?? "-", q.map { String($0.bits) } ?? "-", q?.groupName ?? "-", q.map { bitsText($0.bitsPerWeight) } ?? "-",
                number(s.min), number(s.max), number(s.mean), number(s.std), String(s.nanCount), String(s.infCount),
            ])
        }
        lines += TextTable.render(cells, rightAligned: Set([3, 5, 7] + Array(8..<14)))
        lines.append("")
        let quantizedCount = checkpoint.quantized.count
        let counts = quantizedCount == 0 ? "\(rows.count) tensors" : "\(rows.count) tensors (\(quantizedCount) quantized)"
        lines.append("\(counts), \(elementTotal) elements, \(ByteCountText.format(byteTotal)) (\(byteTotal) bytes)")
        if !checkpoint.metadata.isEmpty {
            lines.append("metadata:")
            for (key, value) in checkpoint.metadata.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
        }
        return lines.joined(separator: "\n")
    }

    func number(_ value: Double) -> String {
        value.isNaN ? "-" : String(Float(value))
    }

    func bitsText(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }

    func json() -> String {
        let tensors: [JSONValue] = rows.map { row in
            let s = row.stats
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(row.name)), ("dtype", .string(row.dtype.rawValue)),
                ("shape", .array(row.shape.map { .int($0) })), ("bytes", .int(row.bytes)),
                ("min", .double(s.min)), ("max", .double(s.max)), ("mean", .double(s.mean)), ("std", .double(s.std)),
                ("nan", .int(s.nanCount)), ("inf", .int(s.infCount)),
            ]
            if let q = row.quantization { members.append(("quantization", q.json)) }
            return .object(members)
        }
        let document: JSONValue = .object([
            ("path", .string(path)), ("format", .string(format.rawValue)),
            ("tensor_count", .int(rows.count)), ("quantized_count", .int(checkpoint.quantized.count)),
            ("element_count", .int(elementTotal)), ("total_bytes", .int(byteTotal)), ("metadata", .strings(checkpoint.metadata)),
            ("tensors", .array(tensors)),
        ])
        return JSONWriter.serialize(document)
    }
}

/// One line of the report: a dense tensor, or a quantized weight described by its source
/// dtype, logical shape, stored bytes and the statistics of its dequantized values.
struct InspectRow {
    let name: String
    let dtype: DType
    let shape: [Int]
    let bytes: Int
    let elementCount: Int
    let stats: TensorStatistics
    let quantization: QuantizationSummary?

    init(name: String, tensor: Tensor) {
        self.name = name
        dtype = tensor.dtype
        shape = tensor.shape
        bytes = tensor.byteCount
        elementCount = tensor.elementCount
        stats = TensorStatistics(tensor)
        quantization = nil
    }

    init(name: String, weight: QuantizedTensor) throws {
        self.name = name
        dtype = weight.sourceDType
        shape = [weight.rows, weight.columns]
        let transformBytes = weight.transforms.reduce(0) { total, transform in
            switch transform {
            case .columnPermutation(let data), .inputScale(let data), .randomizedHadamard(let data): return total + data.byteCount
            }
        }
        bytes = weight.codes.byteCount + weight.scales.byteCount + (weight.zeroPoints?.byteCount ?? 0) + transformBytes
        elementCount = weight.rows * weight.columns
        stats = TensorStatistics(try weight.dequantize())
        quantization = QuantizationSummary(weight)
    }
}

/// The scheme of a quantized weight as `inspect` names it.
struct QuantizationSummary {
    let scheme: QuantizationScheme
    let bitsPerWeight: Double
    /// Whether the weight carries a randomized Hadamard transform.
    let hadamard: Bool

    init(_ weight: QuantizedTensor) {
        scheme = weight.scheme
        bitsPerWeight = weight.bitsPerWeight
        hadamard = weight.transforms.contains { if case .randomizedHadamard = $0 { return true } else { return false } }
    }

    var bits: Int {
        switch scheme {
        case .affine(let grid): return grid.bits
        case .lattice(let codebook): return codebook.bitsPerWeight
        }
    }

    var schemeName: String {
        switch scheme {
        case .affine(let grid): return grid.symmetric ? "affine sym" : "affine asym"
        case .lattice(let codebook): return codebook.rawValue + (hadamard ? " +rht" : "")
        }
    }

    var groupName: String {
        switch scheme {
        case .affine(let grid):
            switch grid.granularity {
            case .perTensor: return "tensor"
            case .perChannel: return "channel"
            case .group(let size): return String(size)
            }
        case .lattice: return "tensor"
        }
    }

    var json: JSONValue {
        switch scheme {
        case .affine(let grid):
            var members: [(key: String, value: JSONValue)] = [
                ("scheme", .string("affine")), ("symmetric", .bool(grid.symmetric)), ("bits", .int(grid.bits)),
                ("bits_per_weight", .double(bitsPerWeight)),
            ]
            switch grid.granularity {
            case .perTensor: members.append(("granularity", .string("tensor")))
            case .perChannel: members.append(("granularity", .string("channel")))
            case .group(let size): members += [("granularity", .string("group")), ("group_size", .int(size))]
            }
            return .object(members)
        case .lattice(let codebook):
            return .object([
                ("scheme", .string("lattice")), ("codebook", .string(codebook.rawValue)), ("bits", .int(codebook.bitsPerWeight)),
                ("bits_per_weight", .double(bitsPerWeight)), ("randomized_hadamard", .bool(hadamard)),
            ])
        }
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
