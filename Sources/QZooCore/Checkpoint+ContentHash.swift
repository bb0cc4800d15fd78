extension Checkpoint {
    /// SHA-256 of the dense tensors' names, dtypes, shapes and bytes, in name order (UTF-8).
    ///
    /// Identifies the weights independently of the file format, sharding, tensor order and
    /// metadata, so calibration files and provenance can say which model they belong to.
    /// Each tensor contributes `name NUL dtype NUL d0,d1,... NUL byteCount(u64 LE) bytes`.
    public func contentSHA256() -> String {
        var hasher = SHA256()
        let names = tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            hasher.update(Array(name.utf8) + [0] + Array(tensor.dtype.rawValue.utf8) + [0] + Array(shape.utf8) + [0])
            var count = UInt64(tensor.byteCount).littleEndian
            withUnsafeBytes(of: &count) { hasher.update($0) }
            tensor.withBytes { hasher.update($0) }
        }
        return SHA256.hexString(hasher.finalize())
    }
}
