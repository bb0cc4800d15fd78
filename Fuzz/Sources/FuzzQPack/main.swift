import FuzzSupport
import QZooCore
import QZooFormats

/// A qpack file's bytes must read into a checkpoint (index, checksums, values all valid) or throw.
runLibFuzzer { data, size in
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? QPackReader.read(storage: ByteStorage(owning: bytes))
    return 0
}
