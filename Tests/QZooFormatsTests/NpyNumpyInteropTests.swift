import Foundation
import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// The Python with numpy used for interop tests: `QZOO_PYTHON`, else the repository's
/// `.venv/bin/python` (which the Makefile creates), else none.
enum ReferencePython {
    static let path: String? = {
        if let configured = ProcessInfo.processInfo.environment["QZOO_PYTHON"], !configured.isEmpty { return configured }
        let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        let venv = root + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()
}

/// Runs numpy on qzoo's output: every npz, npy-dir and .npy file qzoo writes must load with
/// `numpy.load` (pickle disabled, as by default) into arrays with exactly the tensors' bytes.
/// Skipped, with the reason shown, when no `ReferencePython` exists.
@Suite(.enabled(if: ReferencePython.path != nil, "set QZOO_PYTHON or create .venv with numpy to run numpy interop tests"))
struct NpyNumpyInteropTests {
    static let script = """
        import json, pathlib, sys, zipfile
        import numpy as np
        npz, directory, single, out = sys.argv[1:5]
        def info(a):
            return {"descr": a.dtype.str, "shape": list(a.shape), "hex": np.asarray(a, order="C").tobytes().hex()}
        result = {"npz": {}, "dir": {}}
        with np.load(npz) as archive:
            for key in archive.files:
                result["npz"][key] = info(archive[key])
        result["methods"] = sorted({m.compress_type for m in zipfile.ZipFile(npz).infolist()})
        for path in sorted(pathlib.Path(directory).rglob("*.npy")):
            result["dir"][str(path.relative_to(directory))[:-4]] = info(np.load(path))
        result["npy"] = info(np.load(single))
        pathlib.Path(out).write_text(json.dumps(result))
        """

    /// The descr numpy reports after loading: void types come back without a byte order.
    static func loadedDescr(_ dtype: DType) -> String {
        switch dtype {
        case .bf16: return "|V2"
        case .f8e4m3, .f8e5m2: return "|V1"
        default: return NpyDescr.descr(for: dtype)
        }
    }

    @Test func numpyLoadsEverythingQZooWrites() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        for dtype in DType.allCases {
            for (name, tensor) in try NpyRoundTripTests.checkpoint(dtype).tensors { try checkpoint.add(name, tensor) }
        }
        try NpzArchive.write(checkpoint, to: dir.path + "/m.npz", overwrite: false)
        try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false)
        let single = try #require(checkpoint.tensors["layer.0.weight.bf16"])
        try NpyFile.write(single, to: dir.path + "/one.npy", overwrite: false)
        let result = try runNumpy(dir.path + "/m.npz", dir.path + "/d", dir.path + "/one.npy", out: dir.path + "/result.json")
        #expect(result["methods"] == .array([.number("0")]), "np.savez-style stored members")
        for container in ["npz", "dir"] {
            let loaded = try #require(result[container]?.objectMembers)
            #expect(loaded.map(\.key).sorted() == checkpoint.tensors.keys.sorted(), "\(container)")
            for (name, json) in loaded {
                let tensor = try #require(checkpoint.tensors[name])
                expectMatches(json, tensor, "\(container) \(name)")
            }
        }
        expectMatches(try #require(result["npy"]), single, "single .npy")
    }

    func expectMatches(_ json: JSONValue, _ tensor: Tensor, _ label: String) {
        #expect(json["descr"]?.stringValue == Self.loadedDescr(tensor.dtype), "\(label)")
        #expect(json["shape"]?.arrayValue?.compactMap(\.intValue) == tensor.shape, "\(label)")
        #expect(json["hex"]?.stringValue.flatMap { try? bytes(hex: $0) } == tensor.bytes, "\(label)")
    }

    func runNumpy(_ arguments: String..., out: String) throws -> JSONValue {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(ReferencePython.path))
        process.arguments = ["-c", Self.script] + arguments + [out]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "numpy failed to load qzoo's output")
        let storage = try ByteStorage.map(path: out)
        return try storage.withBuffer { try JSONParser.parse($0) }
    }
}
