import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

@Suite struct ShardedSafetensorsTests {
    static let maxShardSize = 100

    /// f32 tensors of 16 to 120 bytes: several shards at 100 bytes, one tensor larger than that.
    static func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: ["format": "pt"])
        for (layer, count) in [4, 20, 8, 12, 2, 30, 5].enumerated() {
            let values = (0..<count).map { Float(layer * 100 + $0) }
            try checkpoint.add("layer.\(layer).weight", try Tensor(shape: [count], floats: values))
        }
        return checkpoint
    }

    /// Writes `checkpoint()` sharded into a fresh directory; returns the directory and its path.
    static func writeSharded() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/sharded"
        try ShardedSafetensors.write(try checkpoint(), directory: path, maxShardSize: maxShardSize, overwrite: false)
        return (directory, path)
    }

    static func weightMap(_ index: JSONValue) throws -> [(key: String, value: JSONValue)] {
        try #require(index["weight_map"]?.objectMembers)
    }

    @Test func writesHuggingFaceShardsAndIndex() throws {
        let (directory, path) = try Self.writeSharded()
        let files = try listDirectory(path)
        let shards = files.filter { $0 != ShardedSafetensors.indexName }
        #expect(files.contains(ShardedSafetensors.indexName))
        #expect(shards.count >= 3)
        #expect(shards == (1...shards.count).map { ShardedSafetensors.shardName($0, of: shards.count) })
        #expect(ShardedSafetensors.shardName(2, of: 13) == "model-00002-of-00013.safetensors")

        let original = try Self.checkpoint()
        let index = try JSONParser.parse(try TestFiles.read(path + "/" + ShardedSafetensors.indexName))
        #expect(index["metadata"]?["total_size"]?.intValue == original.tensors.values.reduce(0) { $0 + $1.byteCount })
        let weightMap = try Self.weightMap(index)
        #expect(Set(weightMap.map(\.key)) == Set(original.tensors.keys))
        for shard in shards {
            let content = try SafetensorsReader.read(path: path + "/" + shard)
            let mapped = Set(weightMap.filter { $0.value.stringValue == shard }.map(\.key))
            #expect(Set(content.tensors.keys) == mapped, "\(shard)")
            #expect(content.byteCount <= Self.maxShardSize || content.tensors.count == 1, "\(shard)")
            #expect(content.metadata == original.metadata)
        }
        withExtendedLifetime(directory) {}
    }

    @Test func readingTheIndexGivesTheSameCheckpoint() throws {
        let (directory, path) = try Self.writeSharded()
        let back = try ShardedSafetensors.read(indexPath: path + "/" + ShardedSafetensors.indexName)
        let original = try Self.checkpoint()
        #expect(back.metadata == original.metadata)
        #expect(Set(back.tensors.keys) == Set(original.tensors.keys))
        for (name, tensor) in original.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
        let (viaIO, format) = try CheckpointIO.read(path: path)
        #expect(format == .shardedSafetensors && viaIO.tensors.count == original.tensors.count)
        withExtendedLifetime(directory) {}
    }

    @Test func checkpointThatFitsIsOnePlainFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/single"
        let original = try Self.checkpoint()
        try ShardedSafetensors.write(original, directory: path, maxShardSize: 1 << 20, overwrite: false)
        #expect(try listDirectory(path) == ["model.safetensors"])
        let back = try SafetensorsReader.read(path: path + "/model.safetensors")
        for (name, tensor) in original.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
    }

    /// Rewrites the index of a freshly sharded checkpoint through `edit`, then reads it.
    static func readEdited(_ edit: ([(key: String, value: JSONValue)]) throws -> [(key: String, value: JSONValue)]) throws -> (QZooError, indexPath: String, directory: String) {
        let (directory, path) = try writeSharded()
        let indexPath = path + "/" + ShardedSafetensors.indexName
        let index = try JSONParser.parse(try TestFiles.read(indexPath))
        let edited: JSONValue = .object([
            ("metadata", try #require(index["metadata"])),
            ("weight_map", .object(try edit(try weightMap(index)))),
        ])
        try AtomicFile.write(to: indexPath, overwrite: true) { try $0.write(Array(JSONWriter.pretty(edited).utf8)) }
        let error = try #require(throws: QZooError.self) { try ShardedSafetensors.read(indexPath: indexPath) }
        return withExtendedLifetime(directory) { (error, indexPath, path) }
    }

    @Test func rejectsIndexNamingATensorTheShardLacks() throws {
        let (error, _, directory) = try Self.readEdited { map in
            map + [(key: "ghost.weight", value: try #require(map.first?.value))]
        }
        #expect(error.code == .malformed)
        #expect(error.tensor == "ghost.weight")
        #expect(error.file?.hasPrefix(directory + "/model-00001-of-") == true)
        #expect(error.message.contains("does not contain"))
    }

    @Test func rejectsTensorInAShardButNotInTheIndex() throws {
        let (error, _, directory) = try Self.readEdited { map in map.filter { $0.key != "layer.1.weight" } }
        #expect(error.code == .malformed)
        #expect(error.tensor == "layer.1.weight")
        #expect(error.file?.hasPrefix(directory + "/model-") == true)
        #expect(error.message.contains("index"))
    }

    @Test(arguments: ["../x.safetensors", "/etc/passwd", "sub/model.safetensors", "..", ".", ""])
    func rejectsShardNamesOutsideTheDirectory(_ file: String) throws {
        let (error, indexPath, _) = try Self.readEdited { map in
            map.enumerated().map { $0.offset == 0 ? (key: $0.element.key, value: .string(file)) : $0.element }
        }
        #expect(error.code == .malformed)
        #expect(error.file == indexPath)
        #expect(error.tensor == "layer.0.weight")
        #expect(error.message.contains("file name"))
    }

    /// A NUL would cut the name short at the C boundary (kept out of the test arguments above
    /// because it garbles test output).
    @Test func rejectsShardNameWithNUL() {
        #expect(!ShardedSafetensors.isPlainFileName("model.safetensors\u{0}.txt"))
        #expect(ShardedSafetensors.isPlainFileName("model.safetensors"))
    }

    @Test func rejectsMissingShardFile() throws {
        let missing = "model-00009-of-00009.safetensors"
        let (error, _, directory) = try Self.readEdited { map in
            map.enumerated().map { $0.offset == 0 ? (key: $0.element.key, value: .string(missing)) : $0.element }
        }
        #expect(error.code == .io)
        #expect(error.file == directory + "/" + missing)
    }
}
