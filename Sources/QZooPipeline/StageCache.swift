#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooFormats
import QZooQuant

/// Stage outputs on disk, one directory per cache key:
/// `KEY/state.json` (what the state holds), `KEY/checkpoint.qpack`, `KEY/calibration.safetensors`,
/// `KEY/side/*`, `KEY/files/*`.
///
/// An entry appears atomically (built in a temporary sibling, then renamed), so a failed or
/// interrupted stage leaves nothing behind, and a present entry is complete.
public struct StageCache: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try Directories.create(root)
    }

    public func path(_ key: String) -> String { root + "/" + key }

    public func contains(_ key: String) -> Bool {
        access(path(key) + "/state.json", F_OK) == 0
    }

    /// Runs `produce` with an empty `files` directory inside a new entry, stores what it returns
    /// and gives the state back as re-read from the entry.
    func store(_ key: String, _ produce: (String) throws -> PipelineState) throws -> PipelineState {
        try AtomicFile.writeDirectory(at: path(key), overwrite: true) { entry in
            let files = entry + "/files"
            guard mkdir(files, 0o755) == 0 else { throw QZooError.io("cannot create \(files): \(errnoText())") }
            let state = try produce(files)
            try persist(state, in: entry)
        }
        return try load(key)
    }

    private func persist(_ state: PipelineState, in entry: String) throws {
        if let checkpoint = state.checkpoint {
            try CheckpointIO.write(checkpoint, to: entry + "/checkpoint.qpack", format: .qpack)
        }
        if !state.sideFiles.isEmpty {
            guard mkdir(entry + "/side", 0o755) == 0 else { throw QZooError.io("cannot create \(entry)/side: \(errnoText())") }
            for side in state.sideFiles { try Directories.copy(side.path, to: entry + "/side/" + side.name, overwrite: false) }
        }
        let calibration = try state.calibration.map { try CalibrationRecord.persist($0, in: entry) } ?? .null
        let document = JSONValue.object([
            ("checkpoint", .bool(state.checkpoint != nil)),
            ("errors", .object(state.errors.sorted { $0.key < $1.key }.map { ($0.key, .array([.double($0.value.relativeRMS), .double($0.value.maxAbsolute)])) })),
            ("calibrated", .object(state.calibrated.sorted { $0.key < $1.key }.map { ($0.key, CalibrationRecord.json($0.value)) })),
            ("calibration", calibration),
            ("incoherence", state.incoherence.map { .object([("seed", .number(String($0.seed)))]) } ?? .null),
            ("side_files", .array(state.sideFiles.map { .string($0.name) })),
            ("files", .array(state.files.map { .string($0.name) })),
            ("exports", .array(state.exports.map(\.json))),
        ])
        try AtomicFile.write(to: entry + "/state.json", overwrite: false) { try $0.write(Array(JSONWriter.serialize(document).utf8)) }
    }

    func load(_ key: String) throws -> PipelineState {
        let entry = path(key)
        let file = entry + "/state.json"
        let document = try JSONParser.parse(ByteStorage.map(path: file).withBuffer { Array($0) })
        let damaged = { QZooError.malformed("damaged cache entry; delete \(entry) and run again", file: file) }
        guard let hasCheckpoint = document["checkpoint"]?.boolValue, let errors = document["errors"]?.objectMembers,
              let calibrated = document["calibrated"]?.objectMembers, let calibration = document["calibration"],
              let sides = document["side_files"]?.arrayValue, let files = document["files"]?.arrayValue,
              let exports = document["exports"]?.arrayValue else { throw damaged() }
        var state = PipelineState()
        if hasCheckpoint { state.checkpoint = try CheckpointIO.read(path: entry + "/checkpoint.qpack").0 }
        for (name, value) in calibrated {
            guard let rounding = CalibrationRecord.rounding(value) else { throw damaged() }
            state.calibrated[name] = rounding
        }
        if calibration != .null {
            guard let restored = try CalibrationRecord.load(calibration, in: entry) else { throw damaged() }
            state.calibration = restored
        }
        if let incoherence = document["incoherence"], incoherence != .null {
            guard case .number(let text)? = incoherence["seed"], let seed = UInt64(text) else { throw damaged() }
            state.incoherence = HadamardIncoherence(seed: seed)
        }
        for (name, value) in errors {
            guard let pair = value.arrayValue, pair.count == 2, let rms = pair[0].doubleValue, let maximum = pair[1].doubleValue else { throw damaged() }
            state.errors[name] = ReconstructionError(maxAbsolute: maximum, relativeRMS: rms)
        }
        state.sideFiles = try sides.map { guard let name = $0.stringValue else { throw damaged() }; return NamedFile(name: name, path: entry + "/side/" + name) }
        state.files = try files.map { guard let name = $0.stringValue else { throw damaged() }; return NamedFile(name: name, path: entry + "/files/" + name) }
        state.exports = try exports.map { record in
            guard let stage = record["stage"]?.stringValue else { throw damaged() }
            return ExportRecord(stage: stage, json: record)
        }
        return state
    }
}

/// Directory creation and file copies for the cache and `--out`.
enum Directories {
    /// `mkdir -p`.
    static func create(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw QZooError.io("cannot create directory: \(errnoText())", file: prefix)
            }
        }
    }

    /// Copies a file atomically.
    static func copy(_ source: String, to destination: String, overwrite: Bool) throws {
        let storage = try ByteStorage.map(path: source)
        try AtomicFile.write(to: destination, overwrite: overwrite) { sink in try storage.withBuffer { try sink.write($0) } }
    }
}
