import QZooCore
import QZooFormats
import QZooModels
import QZooQuant

/// How a stage's calibration and calibrated-rounding results are kept in its cache entry:
/// the statistics as `calibration.safetensors` (formats/calibration.md), everything else in
/// `state.json`.
enum CalibrationRecord {
    static let fileName = "calibration.safetensors"

    /// Writes the statistics file and returns the JSON that describes the rest.
    static func persist(_ calibration: PipelineCalibration, in entry: String) throws -> JSONValue {
        try SafetensorsWriter.write(try calibration.statistics.checkpoint(), to: entry + "/" + fileName, overwrite: false)
        let statistics = calibration.statistics
        return .object([
            ("source", .string(calibration.source)), ("sha256", .string(calibration.sha256)),
            ("max_length", .int(calibration.run.maxLength)), ("batch", .int(calibration.run.batchSize)),
            ("layers", .array(statistics.order.compactMap { name in
                statistics.layers[name].map { .array([.string(name), .int($0.inFeatures)]) }
            })),
            ("texts", .array(calibration.run.texts.map { .string($0) })),
        ])
    }

    /// The calibration `persist` stored, or nil when the description is damaged.
    static func load(_ json: JSONValue, in entry: String) throws -> PipelineCalibration? {
        guard let source = json["source"]?.stringValue, let sha256 = json["sha256"]?.stringValue,
              let maxLength = json["max_length"]?.intValue, let batch = json["batch"]?.intValue,
              let layerList = json["layers"]?.arrayValue, let textList = json["texts"]?.arrayValue else { return nil }
        var layers: [LinearLayer] = []
        for item in layerList {
            guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue, let width = pair[1].intValue else { return nil }
            layers.append(LinearLayer(name: name, biasName: "", inFeatures: width, outFeatures: 0))
        }
        let texts = textList.compactMap(\.stringValue)
        guard texts.count == textList.count else { return nil }
        let file = try SafetensorsReader.read(path: entry + "/" + fileName)
        let statistics = try CalibrationSet(checkpoint: file, layers: layers)
        return PipelineCalibration(statistics: statistics, run: CalibrationRun(texts: texts, maxLength: maxLength, batchSize: batch),
                                   source: source, sha256: sha256)
    }

    static func json(_ rounding: CalibratedRounding) -> JSONValue {
        .array([.double(rounding.relativeProxyLoss), rounding.damping.map { .double($0) } ?? .null])
    }

    static func rounding(_ json: JSONValue) -> CalibratedRounding? {
        guard let pair = json.arrayValue, pair.count == 2, let loss = pair[0].doubleValue else { return nil }
        if pair[1] == .null { return CalibratedRounding(relativeProxyLoss: loss, damping: nil) }
        guard let damping = pair[1].doubleValue else { return nil }
        return CalibratedRounding(relativeProxyLoss: loss, damping: damping)
    }
}
