import OrderedCollections
import QZooCore

/// Sharded safetensors checkpoints: `model.safetensors.index.json` plus
/// `model-0000k-of-0000N.safetensors`, as Hugging Face writes them.
public enum ShardedSafetensors {
    public static let indexName = "model.safetensors.index.json"

    /// Reads an index file and every shard it names. Every tensor in the weight map must be in
    /// the shard it names, and every tensor in a shard must be in the weight map: stray files or
    /// tensors are not silently merged.
    public static func read(indexPath: String) throws -> Checkpoint {
        let weightMap = try parseIndex(path: indexPath)
        let directory = AtomicFile.parentDirectory(of: indexPath)
        var shards: OrderedDictionary<String, [String]> = [:]
        for (tensor, file) in weightMap { shards[file, default: []].append(tensor) }
        var checkpoint = Checkpoint()
        for (file, expected) in shards {
            let path = directory + "/" + file
            let shard = try SafetensorsReader.read(path: path)
            try checkShard(shard, expected: Set(expected), path: path)
            checkpoint.metadata.merge(shard.metadata) { first, _ in first }
            for (name, tensor) in shard.tensors { try checkpoint.add(name, tensor) }
        }
        return checkpoint
    }

    static func checkShard(_ shard: Checkpoint, expected: Set<String>, path: String) throws {
        if let stray = shard.tensors.keys.first(where: { !expected.contains($0) }) {
            throw QZooError.malformed("tensor is in the shard but the index maps it elsewhere or not at all", file: path, tensor: stray)
        }
        if let missing = expected.sorted().first(where: { shard.tensors[$0] == nil }) {
            throw QZooError.malformed("the index maps this tensor to this shard, but the shard does not contain it", file: path, tensor: missing)
        }
    }

    /// The weight map (tensor → shard file name), validated: names are plain file names.
    static func parseIndex(path: String) throws -> OrderedDictionary<String, String> {
        do {
            let storage = try ByteStorage.map(path: path)
            guard storage.count <= 256 << 20 else { throw QZooError(.limitExceeded, "index file larger than 256 MiB") }
            // The map must outlive the parse: `buffer` is a raw view that does not retain it.
            let json = try withExtendedLifetime(storage) { try JSONParser.parse(storage.buffer) }
            guard let members = json["weight_map"]?.objectMembers else {
                throw QZooError.malformed("missing object \"weight_map\"")
            }
            var map: OrderedDictionary<String, String> = [:]
            for (tensor, value) in members {
                guard let file = value.stringValue, isPlainFileName(file) else {
                    throw QZooError.malformed("weight_map entry must be a file name in the index's directory", tensor: tensor)
                }
                map[tensor] = file
            }
            return map
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// Writes `checkpoint` into `directory` as shards of at most `maxShardSize` bytes of tensor
    /// data (a larger tensor gets a shard of its own) and the index, following Hugging Face's
    /// splitting rule. A checkpoint that fits in one shard is written as `model.safetensors`.
    public static func write(_ checkpoint: Checkpoint, directory: String, maxShardSize: Int, overwrite: Bool) throws {
        let groups = split(checkpoint, maxShardSize: maxShardSize)
        try AtomicFile.writeDirectory(at: directory, overwrite: overwrite) { temporary in
            if groups.count == 1 {
                try SafetensorsWriter.write(checkpoint, to: temporary + "/model.safetensors", overwrite: false)
                return
            }
            var weightMap: [(key: String, value: JSONValue)] = []
            for (index, names) in groups.enumerated() {
                let file = shardName(index + 1, of: groups.count)
                var shard = Checkpoint(metadata: checkpoint.metadata)
                for name in names { shard.tensors[name] = checkpoint.tensors[name] }
                try SafetensorsWriter.write(shard, to: temporary + "/" + file, overwrite: false)
                weightMap += names.map { (key: $0, value: .string(file)) }
            }
            let index: JSONValue = .object([
                ("metadata", .object([("total_size", .int(checkpoint.byteCount))])),
                ("weight_map", .object(weightMap)),
            ])
            let text = JSONWriter.pretty(index) + "\n"
            try AtomicFile.write(to: temporary + "/" + indexName, overwrite: false) { try $0.write(Array(text.utf8)) }
        }
    }

    /// Tensor names per shard, in checkpoint order.
    static func split(_ checkpoint: Checkpoint, maxShardSize: Int) -> [[String]] {
        var groups: [[String]] = [[]]
        var size = 0
        for (name, tensor) in checkpoint.tensors {
            if size + tensor.byteCount > maxShardSize, !(groups[groups.count - 1].isEmpty) {
                groups.append([])
                size = 0
            }
            groups[groups.count - 1].append(name)
            size += tensor.byteCount
        }
        return groups
    }

    public static func shardName(_ index: Int, of count: Int) -> String {
        func pad(_ n: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "model-\(pad(index))-of-\(pad(count)).safetensors"
    }
}
