import QZooCore
import QZooFormats

/// Collects exports into one reproducible `.tar.zst` with a manifest, the pipeline file and the
/// model's side files (formats/bundle.md).
public struct BundlePass: Pass {
    public static let name = "bundle"
    public static let summary = "pack exports, side files, pipeline.yaml and a manifest into a reproducible .tar.zst (level, long_distance, file, side_files)"
    public static let signature = PassSignature(inputs: 1...64, consumes: .files, produces: .bundle, usesTargets: false)

    let level: Int
    let fileName: String?
    let includeSideFiles: Bool
    let longDistance: Bool

    public init(parameters: inout PassParameters) throws {
        level = try parameters.int("level", in: BundleOptions.levels, default: 10)
        fileName = try parameters.string("file", default: nil) { name in
            name.hasSuffix(".tar.zst") && PipelineSpecReader.isIdentifier(name) ? nil : "must be a plain file name ending in .tar.zst"
        }
        includeSideFiles = try parameters.bool("side_files", default: true)
        longDistance = try parameters.bool("long_distance", default: true)
    }

    /// The bundle's file name: `file`, or the pipeline's name.
    func outputName(_ run: RunContext) -> String { fileName ?? run.pipelineName + ".tar.zst" }

    public func externalKey(_ run: RunContext) throws -> JSONValue {
        .object([("model", .string(run.modelName)), ("pipeline", .string(run.pipelineName)),
                 ("pipeline_yaml", .string(run.pipelineText)), ("file", .string(outputName(run)))])
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        var members: [String: NamedFile] = [:]
        for file in inputs.flatMap(\.files) {
            if let other = members[file.name] {
                throw QZooError(.invalidArgument, "stage '\(context.stageID)': two exports both write '\(file.name)' (\(other.path), \(file.path)); give one a different 'name'")
            }
            members[file.name] = file
        }
        if includeSideFiles {
            for side in inputs.flatMap(\.sideFiles) where members[side.name] == nil { members[side.name] = side }
        }
        let run = context.run
        var bundleInputs = members.values.map { BundleInput(path: $0.name, source: .file($0.path)) }
        bundleInputs.append(BundleInput(path: "pipeline.yaml", source: .bytes(Array(run.pipelineText.utf8))))
        let body: [(key: String, value: JSONValue)] = [
            ("model", .string(run.modelName)), ("pipeline", .string(run.pipelineName)), ("qzoo_version", .string(QZooVersion.current)),
            ("inputs", .array(run.model.files.map { .object([("name", .string($0.name)), ("sha256", .string($0.sha256)), ("size", .int($0.size))]) })),
            ("exports", .array(inputs.flatMap(\.exports).map(\.json))),
        ]
        let path = context.directory + "/" + outputName(run)
        try BundleWriter.write(bundleInputs, body: body, to: path, options: BundleOptions(level: level, longDistance: longDistance))
        return PipelineState(files: [NamedFile(name: outputName(run), path: path)])
    }
}
