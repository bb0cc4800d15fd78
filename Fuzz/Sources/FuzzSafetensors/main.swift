import FuzzSupport
import QZooCore
import QZooFormats

/// Any byte string must either parse into a checkpoint whose tensors all lie inside the input,
/// or throw QZooError; a trap or a sanitizer report is a bug.
runLibFuzzer { data, size in
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let checkpoint = try? SafetensorsReader.read(storage: ByteStorage(owning: bytes)) {
        for tensor in checkpoint.tensors.values { _ = tensor.withBytes { $0.reduce(0, &+) } }
    }
    return 0
}
