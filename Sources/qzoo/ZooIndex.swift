import QZooCore
import QZooFormats
import QZooPipeline

/// One row of the zoo's index: a verified bundle and the numbers people compare.
struct ZooEntry {
    var model: String
    var pipeline: String
    /// Relative to the index's directory.
    var path: String
    var bundleBytes: Int
    /// Bytes of the model's weight files the bundle was made from (side files excluded).
    var sourceBytes: Int
    var bitsPerWeight: Double?
    var quantizedBitsPerWeight: Double?
    var meanRelativeError: Double?
    var formats: [String]

    var compressionRatio: Double { bundleBytes == 0 ? 0 : Double(sourceBytes) / Double(bundleBytes) }
}

/// Finds and reads the zoo's bundles (ROOT/MODEL/PIPELINE.tar.zst) for `index.json`/`index.html`.
enum ZooIndex {
    static func collect(root: String) throws -> [ZooEntry] {
        var entries: [ZooEntry] = []
        for model in try listDirectory(root) where !model.hasPrefix(".") {
            guard let files = try? listDirectory(root + "/" + model) else { continue }
            for file in files where file.hasSuffix(".tar.zst") {
                entries.append(try entry(root: root, relative: model + "/" + file))
            }
        }
        return entries
    }

    static func entry(root: String, relative: String) throws -> ZooEntry {
        let path = root + "/" + relative
        let result = try BundleVerifier.verify(path: path)
        let manifest = result.manifest
        let exports = manifest["exports"]?.arrayValue ?? []
        let totals = exports.compactMap { $0["totals"] }
        let sources = (manifest["inputs"]?.arrayValue ?? []).filter { !ModelSource.sideFileNames.contains($0["name"]?.stringValue ?? "") }
        let size = try ByteStorage.map(path: path).count
        return ZooEntry(
            model: manifest["model"]?.stringValue ?? "?", pipeline: manifest["pipeline"]?.stringValue ?? "?", path: relative,
            bundleBytes: size, sourceBytes: sources.reduce(0) { $0 + ($1["size"]?.intValue ?? 0) },
            bitsPerWeight: totals.compactMap { $0["bits_per_weight"]?.doubleValue }.min(),
            quantizedBitsPerWeight: totals.compactMap { $0["quantized_bits_per_weight"]?.doubleValue }.min(),
            meanRelativeError: totals.compactMap { $0["mean_rel_rms_error"]?.doubleValue }.max(),
            formats: exports.compactMap { $0["format"]?.stringValue })
    }

    static func json(_ entries: [ZooEntry]) -> String {
        let rows = entries.map { entry -> JSONValue in
            var fields: [(key: String, value: JSONValue)] = [
                ("model", .string(entry.model)), ("pipeline", .string(entry.pipeline)), ("path", .string(entry.path)),
                ("bundle_bytes", .int(entry.bundleBytes)), ("source_bytes", .int(entry.sourceBytes)),
                ("compression_ratio", .double(entry.compressionRatio)), ("formats", .array(entry.formats.map { .string($0) })),
            ]
            if let bpw = entry.bitsPerWeight { fields.append(("bits_per_weight", .double(bpw))) }
            if let bpw = entry.quantizedBitsPerWeight { fields.append(("quantized_bits_per_weight", .double(bpw))) }
            if let error = entry.meanRelativeError { fields.append(("mean_rel_rms_error", .double(error))) }
            return .object(fields)
        }
        return JSONWriter.pretty(.object([("bundles", .array(rows)), ("qzoo_version", .string(QZooVersion.current))])) + "\n"
    }
}
