#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooFormats

/// Delivers a run's outputs to `--out`: a bundle stage's `.tar.zst` as `OUT/FILE`, an export
/// stage that ends the pipeline as the directory `OUT/STAGE-ID/`. An existing identical output is
/// kept and its modification time refreshed (so `make` sees it as new); a different one is
/// replaced only with `force`.
struct OutputWriter {
    let pipeline: Pipeline
    let run: RunContext
    let directory: String
    let force: Bool

    func expectedPaths() -> [String] {
        pipeline.outputStages.map { index in
            let stage = pipeline.stages[index]
            if let bundle = stage.pass as? BundlePass { return directory + "/" + bundle.outputName(run) }
            return directory + "/" + stage.id
        }
    }

    func write(states: [PipelineState?], keys: [String], cache: StageCache, observer: (any RunObserver)?) throws -> [String] {
        try Directories.create(directory)
        let paths = expectedPaths()
        if let duplicate = Dictionary(grouping: paths, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw QZooError(.invalidArgument, "two output stages would both write \(duplicate); give one bundle a different 'file'", file: pipeline.file)
        }
        for (index, path) in zip(pipeline.outputStages, paths) {
            let state = try states[index] ?? cache.load(keys[index])
            let upToDate: Bool
            if pipeline.stages[index].signature.produces == .bundle, let bundle = state.files.first {
                upToDate = try deliver(file: bundle.path, to: path)
            } else {
                upToDate = try deliver(files: state.files, to: path)
            }
            observer?.handle(.wrote(path: path, upToDate: upToDate))
        }
        return paths
    }

    /// Returns whether `destination` already held exactly these bytes.
    func deliver(file source: String, to destination: String) throws -> Bool {
        if try sameContent(source, destination) {
            _ = utimensat(AT_FDCWD, destination, nil, 0)
            return true
        }
        try checkReplaceable(destination)
        try Directories.copy(source, to: destination, overwrite: true)
        return false
    }

    func deliver(files: [NamedFile], to destination: String) throws -> Bool {
        let existing = (try? listDirectory(destination)) ?? []
        let identical = try existing == files.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            && files.allSatisfy { try sameContent($0.path, destination + "/" + $0.name) }
        if identical {
            _ = utimensat(AT_FDCWD, destination, nil, 0)
            return true
        }
        try checkReplaceable(destination)
        try AtomicFile.writeDirectory(at: destination, overwrite: true) { temporary in
            for file in files { try Directories.copy(file.path, to: temporary + "/" + file.name, overwrite: false) }
        }
        return false
    }

    private func checkReplaceable(_ path: String) throws {
        guard !force, access(path, F_OK) == 0 else { return }
        throw QZooError(.invalidArgument, "exists with different content; pass --force to replace it", file: path)
    }

    private func sameContent(_ a: String, _ b: String) throws -> Bool {
        guard access(b, F_OK) == 0 else { return false }
        let left = try ByteStorage.map(path: a), right = try ByteStorage.map(path: b)
        guard left.count == right.count else { return false }
        return left.withBuffer { l in right.withBuffer { r in l.elementsEqual(r) } }
    }
}
